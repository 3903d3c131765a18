package network

import (
	"fmt"

	"github.com/manga-alert-italia/mangaalert/cost"
)

// DefaultNATGBPerMonth is the traffic through the NAT gateway the estimate
// assumes unless told otherwise (Options.NATGBPerMonth): image pulls, scraping and
// mail of a small service, generously rounded up.
const DefaultNATGBPerMonth = 10

// The prices this package's resources cost. VPCs, subnets, route tables,
// internet gateways and security groups are free. Date is the day the figure
// is known to hold from.
var (
	// PublicIPv4Price is the charge for every public IPv4 address, attached
	// or idle, Elastic or not: the same in every region, eu-south-1
	// included, since 2024-02-01.
	PublicIPv4Price = cost.Price{USD: 0.005, Unit: "hour", Source: "https://aws.amazon.com/vpc/pricing/", Date: "2024-02-01", Region: cost.AllRegions}
	// NATHourPrice is a NAT gateway's hourly charge: us-east-1's figure,
	// unchanged since NAT gateways launched; eu-south-1's is at least as high.
	NATHourPrice = cost.Price{USD: 0.045, Unit: "hour", Source: "https://aws.amazon.com/vpc/pricing/", Date: "2015-12-17", Region: cost.USEast1}
	// NATGBPrice is a NAT gateway's charge per GB processed: us-east-1's
	// figure, as NATHourPrice.
	NATGBPrice = cost.Price{USD: 0.045, Unit: "GB", Source: "https://aws.amazon.com/vpc/pricing/", Date: "2015-12-17", Region: cost.USEast1}
)

// Estimate is the monthly cost of the network spec describes (with
// defaults). PublicOnly costs nothing by itself: the public address of each
// instance launched into its subnets is counted by the package that
// launches it.
func (n *Network) Estimate(spec Spec) cost.Estimate {
	spec = spec.WithDefaults()
	if spec.Topology != PrivateWithNAT {
		return cost.Estimate{{Item: "public IPv4 on launch", Quantity: 0, Price: PublicIPv4Price,
			Note: "per instance, counted by the package that launches it; the VPC itself is free"}}
	}
	gb := n.opts.NATGBPerMonth
	if gb <= 0 {
		gb = DefaultNATGBPerMonth
	}
	return cost.Estimate{
		{Item: "NAT gateway", Quantity: cost.HoursPerMonth, Price: NATHourPrice, Note: "us-east-1 price; eu-south-1 may be higher"},
		{Item: "NAT gateway data processed", Quantity: gb, Price: NATGBPrice,
			Note: fmt.Sprintf("assumes %g GB/month; us-east-1 price", gb)},
		{Item: "NAT Elastic IP (public IPv4)", Quantity: cost.HoursPerMonth, Price: PublicIPv4Price, Note: "all regions"},
	}
}

package loadbalancer

import (
	"fmt"

	"github.com/manga-alert-italia/mangaalert/cost"
)

// Prices of an Application Load Balancer: public list prices, us-east-1's
// (Milan's not at hand), as their Region says.
var (
	HourPrice = cost.Price{USD: 0.0225, Unit: "hour",
		Source: "https://aws.amazon.com/elasticloadbalancing/pricing/", Date: "2016-08-11", Region: cost.USEast1}
	LCUPrice = cost.Price{USD: 0.008, Unit: "LCU-hour",
		Source: "https://aws.amazon.com/elasticloadbalancing/pricing/", Date: "2016-08-11", Region: cost.USEast1}
	// PublicIPv4Price is billed for each of the load balancer's nodes,
	// one per zone.
	PublicIPv4Price = cost.Price{USD: 0.005, Unit: "hour",
		Source: "https://aws.amazon.com/vpc/pricing/", Date: "2024-02-01", Region: cost.AllRegions}
)

// LCUs is the capacity the estimate assumes: a quiet site, a few requests
// a minute, far below one LCU. ACM's public certificates are free.
const LCUs = 0.01

// Estimate is the monthly cost of a load balancer with nodes in zones
// zones (at least two).
func Estimate(zones int) cost.Estimate {
	zones = max(zones, 2)
	h := float64(cost.HoursPerMonth)
	return cost.Estimate{
		{Item: "Application Load Balancer", Quantity: h, Price: HourPrice, Note: "ACM certificate free"},
		{Item: "ALB capacity units", Quantity: LCUs * h, Price: LCUPrice, Note: fmt.Sprintf("assumes %g LCU: a quiet site", LCUs)},
		{Item: "ALB public IPv4", Quantity: float64(zones) * h, Price: PublicIPv4Price, Note: fmt.Sprintf("one per zone, %d zones", zones)},
	}
}

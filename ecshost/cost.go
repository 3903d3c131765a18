package ecshost

import (
	"fmt"

	"github.com/manga-alert-italia/mangaalert/cost"
)

// Price sources (AWS public list prices; no Milan figure was at hand for
// these, so they are us-east-1's, as each line's note says).
const (
	ec2PricingURL   = "https://aws.amazon.com/ec2/pricing/on-demand/"
	ebsPricingURL   = "https://aws.amazon.com/ebs/pricing/"
	vpcPricingURL   = "https://aws.amazon.com/vpc/pricing/"
	logsPricingURL  = "https://aws.amazon.com/cloudwatch/pricing/"
	usEast1FigureNB = "us-east-1 list price (the Milan figure is not known here)"
)

// InstancePrices are on-demand Linux prices per hour, with the date each
// figure holds from (the type's launch: they have not changed since).
var InstancePrices = map[string]cost.Price{
	"t3.micro":  {USD: 0.0104, Unit: "hour", Source: ec2PricingURL, Date: "2018-08-21"},
	"t3.small":  {USD: 0.0208, Unit: "hour", Source: ec2PricingURL, Date: "2018-08-21"},
	"t4g.micro": {USD: 0.0084, Unit: "hour", Source: ec2PricingURL, Date: "2020-09-14"},
	"t4g.small": {USD: 0.0168, Unit: "hour", Source: ec2PricingURL, Date: "2020-09-14"},
}

// Other prices the estimate uses.
var (
	GP3Price        = cost.Price{USD: 0.08, Unit: "GB-month", Source: ebsPricingURL, Date: "2020-12-01"}
	PublicIPv4Price = cost.Price{USD: 0.005, Unit: "hour", Source: vpcPricingURL, Date: "2024-02-01"}
	LogIngestPrice  = cost.Price{USD: 0.50, Unit: "GB", Source: logsPricingURL, Date: "2014-07-10"}
)

// DefaultLogGBPerMonth is the log volume the estimate assumes: a quiet
// service and two jobs every six hours write far less than this.
const DefaultLogGBPerMonth = 0.5

// estimate is the monthly cost of the host as specified.
func estimate(s Spec, logGB float64) cost.Estimate {
	var e cost.Estimate
	if p, ok := InstancePrices[s.InstanceType]; ok {
		e = append(e, cost.Line{Item: "EC2 " + s.InstanceType, Quantity: cost.HoursPerMonth, Price: p, Note: usEast1FigureNB})
	} else {
		e = append(e, cost.Line{Item: "EC2 " + s.InstanceType, Quantity: cost.HoursPerMonth,
			Price: cost.Price{Unit: "hour", Source: ec2PricingURL},
			Note:  "price not known to this package: look it up on the source page"})
	}
	e = append(e,
		cost.Line{Item: "EBS gp3 root volume", Quantity: float64(s.RootVolumeGiB), Price: GP3Price,
			Note: usEast1FigureNB},
		cost.Line{Item: "public IPv4 address", Quantity: cost.HoursPerMonth, Price: PublicIPv4Price,
			Note: ipv4Note(s)},
		cost.Line{Item: "CloudWatch Logs ingestion", Quantity: logGB, Price: LogIngestPrice,
			Note: fmt.Sprintf("%s; assumes %g GB/month, kept %d days", usEast1FigureNB, logGB, s.LogRetentionDays)},
	)
	return e
}

func ipv4Note(s Spec) string {
	n := "every public IPv4 address, in use or not, all regions"
	if s.ElasticIP {
		n += "; the Elastic IP replaces the auto-assigned address, so still one"
	}
	return n
}

// FreeTierNote says what the AWS Free Tier takes off the estimate, which
// does not subtract it: it depends on the account's age.
const FreeTierNote = "Free tier, not subtracted above: accounts opened before 2025-07-15 get, for their first 12 months, " +
	"750 h/month of t3.micro where t2.micro is not offered (Milan), 30 GB-month of EBS and 750 h/month of public IPv4; " +
	"accounts opened since get the Free plan's credits instead. Always free: 5 GB/month of CloudWatch Logs."

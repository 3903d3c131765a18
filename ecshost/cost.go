package ecshost

import (
	"fmt"

	"github.com/manga-alert-italia/mangaalert/cost"
)

// Price sources (AWS public list prices). No Milan figure was at hand for
// these, so they are us-east-1's, and each price's Region says so.
const (
	ebsPricingURL  = "https://aws.amazon.com/ebs/pricing/"
	vpcPricingURL  = "https://aws.amazon.com/vpc/pricing/"
	logsPricingURL = "https://aws.amazon.com/cloudwatch/pricing/"
)

// Other prices the estimate uses.
var (
	GP3Price        = cost.Price{USD: 0.08, Unit: "GB-month", Source: ebsPricingURL, Date: "2020-12-01", Region: cost.USEast1}
	PublicIPv4Price = cost.Price{USD: 0.005, Unit: "hour", Source: vpcPricingURL, Date: "2024-02-01", Region: cost.AllRegions}
	LogIngestPrice  = cost.Price{USD: 0.50, Unit: "GB", Source: logsPricingURL, Date: "2014-07-10", Region: cost.USEast1}
)

// SpotDiscount is the share of the on-demand price the estimate assumes a
// Spot instance saves. It is an assumption, not a quote: Spot prices move
// with supply in each zone; `aws ec2 describe-spot-price-history
// --instance-types t4g.nano --product-descriptions Linux/UNIX` tells
// today's.
const SpotDiscount = 0.60

// DefaultLogGBPerMonth is the log volume the estimate assumes: a quiet
// service and two jobs every six hours write far less than this.
const DefaultLogGBPerMonth = 0.5

// FreeLogGBPerMonth is CloudWatch Logs' always-free ingestion, per account.
const FreeLogGBPerMonth = 5.0

// estimate is the monthly cost of the host as specified; the instance
// type must be known (Validate says so first).
func estimate(s Spec, logGB float64) cost.Estimate {
	info := Instances[s.InstanceType]
	n := float64(s.groupSize()) // each instance pays its own hours, volume and address
	ec2 := cost.Line{Item: "EC2 " + s.InstanceType + " on-demand", Quantity: n * cost.HoursPerMonth, Price: info.Price,
		Note: fmt.Sprintf("%d MiB, %s; burstable in standard credit mode", info.MiB, info.Arch)}
	if s.Spot {
		p := info.Price
		p.USD = info.Price.USD * (1 - SpotDiscount)
		p.Source = "https://aws.amazon.com/ec2/spot/pricing/"
		ec2 = cost.Line{Item: "EC2 " + s.InstanceType + " Spot", Quantity: n * cost.HoursPerMonth, Price: p,
			Note: fmt.Sprintf("assumes %.0f%% below on-demand (%g USD/hour); Spot prices move: may be interrupted, capacity rebalancing replaces it first",
				SpotDiscount*100, info.Price.USD)}
	}
	logs := cost.Line{Item: "CloudWatch Logs ingestion", Quantity: 0, Price: LogIngestPrice,
		Note: fmt.Sprintf("%g GB/month assumed, within the %g GB always free; kept %d days (storage %.2f GB-month, also free)",
			logGB, FreeLogGBPerMonth, s.LogRetentionDays, logGB*float64(s.LogRetentionDays)/30)}
	if logGB > FreeLogGBPerMonth {
		logs.Quantity = logGB - FreeLogGBPerMonth
		logs.Note = fmt.Sprintf("%g GB/month assumed, beyond the %g GB always free", logGB, FreeLogGBPerMonth)
	}
	root := "standard AL2023 AMI, ecs-init installed at boot"
	if s.ECSOptimizedAMI {
		root = "ECS-optimized AL2023 AMI"
	}
	return cost.Estimate{
		ec2,
		{Item: "EBS gp3 root volume", Quantity: n * float64(s.RootVolumeGiB), Price: GP3Price, Note: root},
		{Item: "public IPv4 address", Quantity: n * cost.HoursPerMonth, Price: PublicIPv4Price, Note: ipv4Note(s)},
		logs,
	}
}

func ipv4Note(s Spec) string {
	n := "every public IPv4 address, in use or not"
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

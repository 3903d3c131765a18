package stack

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/cost"
	"github.com/manga-alert-italia/mangaalert/schedule/expr"
)

// Prices of what a stack uses beyond the network and the host (whose
// packages price their own), and of the alternatives it was chosen over.
// Public list prices; Date is the day each figure is known to hold from.
// No Milan (eu-south-1) figure was at hand for these, so they are
// us-east-1's, as their Region says.
var (
	SecretPrice = cost.Price{USD: 0.40, Unit: "secret-month",
		Source: "https://aws.amazon.com/secrets-manager/pricing/", Date: "2018-04-04", Region: cost.USEast1}
	ParameterPrice = cost.Price{USD: 0, Unit: "parameter-month",
		Source: "https://aws.amazon.com/systems-manager/pricing/", Date: "2019-04-24", Region: cost.AllRegions}
	DynamoReadPrice = cost.Price{USD: 0.125, Unit: "million read units",
		Source: "https://aws.amazon.com/dynamodb/pricing/on-demand/", Date: "2024-11-01", Region: cost.USEast1}
	DynamoWritePrice = cost.Price{USD: 0.625, Unit: "million write units",
		Source: "https://aws.amazon.com/dynamodb/pricing/on-demand/", Date: "2024-11-01", Region: cost.USEast1}
	// Fargate on Graviton (the image is built for arm64 too), 20% under x86.
	FargateVCPUPrice = cost.Price{USD: 0.03238, Unit: "vCPU-hour",
		Source: "https://aws.amazon.com/fargate/pricing/", Date: "2021-11-23", Region: cost.USEast1}
	FargateGBPrice = cost.Price{USD: 0.00356, Unit: "GB-hour",
		Source: "https://aws.amazon.com/fargate/pricing/", Date: "2021-11-23", Region: cost.USEast1}
	// Fargate Spot runs x86 only; its price moves, this is the figure of the date.
	FargateSpotVCPUPrice = cost.Price{USD: 0.01334053, Unit: "vCPU-hour",
		Source: "https://aws.amazon.com/fargate/pricing/", Date: "2024-01-01", Region: cost.USEast1}
	FargateSpotGBPrice = cost.Price{USD: 0.00146489, Unit: "GB-hour",
		Source: "https://aws.amazon.com/fargate/pricing/", Date: "2024-01-01", Region: cost.USEast1}
	ALBHourPrice = cost.Price{USD: 0.0225, Unit: "hour",
		Source: "https://aws.amazon.com/elasticloadbalancing/pricing/", Date: "2016-08-11", Region: cost.USEast1}
	ALBLCUPrice = cost.Price{USD: 0.008, Unit: "LCU-hour",
		Source: "https://aws.amazon.com/elasticloadbalancing/pricing/", Date: "2016-08-11", Region: cost.USEast1}
	// LightsailPrice is the smallest Linux bundle with a public IPv4
	// (512 MB, 2 vCPUs, 20 GB SSD, 1 TB transfer). Lightsail has no Milan
	// region: Frankfurt's price, the same as the other EU regions'.
	LightsailPrice = cost.Price{USD: 5.00, Unit: "month",
		Source: "https://aws.amazon.com/lightsail/pricing/", Date: "2024-05-01", Region: "eu-central-1"}
)

// USEast1Note marks a price read for us-east-1.
const USEast1Note = "us-east-1 price (Milan's not at hand)"

const (
	fargateVCPU = 0.25
	fargateGB   = 0.5
	albZones    = 2    // an ALB needs two zones, with a public IPv4 in each
	albLCUs     = 0.01 // a quiet site: a few requests a minute, far below one LCU
)

// JobRunTime is how long a run of each job is taken to last on Fargate,
// which bills by the second with a one-minute minimum. Assumed, not
// measured on AWS: a scrape polite to each host (a second between
// requests) over a few hundred pages, a notify run that sends a few mails.
var JobRunTime = map[string]time.Duration{"scrape": 5 * time.Minute, "notify": time.Minute}

const defaultJobRunTime = 2 * time.Minute

// serviceCost prices what any shape of the stack pays: secrets and table
// (the schedules price their runs themselves).
func (s *Stack) serviceCost(spec Spec) cost.Estimate {
	var e cost.Estimate
	if n := len(spec.Secrets); n > 0 && spec.SecretStore == StoreSSM {
		e = append(e, cost.Line{Item: "SSM Parameter Store SecureStrings", Quantity: float64(n), Price: ParameterPrice,
			Note: "standard tier and throughput: no charge; the AWS managed key aws/ssm"})
	} else if n > 0 {
		e = append(e, cost.Line{Item: "Secrets Manager secrets", Quantity: float64(n), Price: SecretPrice,
			Note: "API calls 0.05 USD per 10,000, a few here; secret_store ssm costs 0"})
	}
	if t := spec.Table; t != nil {
		e = append(e,
			cost.Line{Item: "DynamoDB on-demand reads", Quantity: t.ReadsPerMonth, Price: DynamoReadPrice,
				Note: fmt.Sprintf("assumes %g million a month; storage: 25 GB always free", t.ReadsPerMonth)},
			cost.Line{Item: "DynamoDB on-demand writes", Quantity: t.WritesPerMonth, Price: DynamoWritePrice,
				Note: fmt.Sprintf("assumes %g million a month", t.WritesPerMonth)})
	}
	return e
}

// Alternative is a shape the stack's design was chosen over, and what it
// costs, gives and takes away.
type Alternative = cost.Alternative

// hostShape tells the lines only the host shape pays (instances, load balancer,
// volume, addresses, NAT, jobs on Fargate) by the page their price comes from.
func hostShape(l cost.Line) bool {
	for _, page := range []string{"/ec2/", "/ebs/", "/vpc/", "/elasticloadbalancing/", "/fargate/"} {
		if strings.Contains(l.Price.Source, page) {
			return true
		}
	}
	return false
}

// runsPerMonth counts a job's runs in a 730-hour month: a rate by its
// interval, a cron or at expression by its fire times over the 730 hours
// from a fixed Monday (the count must not depend on today).
func runsPerMonth(j Job) float64 {
	e, err := expr.Parse(j.Schedule)
	if err != nil {
		return 0
	}
	if e.Kind() == expr.Rate {
		return float64(cost.HoursPerMonth*time.Hour) / float64(e.Interval())
	}
	loc, err := expr.LoadZone(j.Zone)
	if err != nil {
		return 0
	}
	from := time.Date(2026, 1, 5, 0, 0, 0, 0, loc)
	return float64(len(e.Times(loc, from, cost.HoursPerMonth*60, expr.Bounds{End: from.Add(cost.HoursPerMonth * time.Hour)})))
}

// jobHours is the task-hours the jobs run a month on Fargate, each run
// rounded up to Fargate's one-minute minimum.
func jobHours(spec Spec) (hours float64, detail []string) {
	for _, j := range spec.Jobs {
		d, ok := JobRunTime[j.Name]
		if !ok {
			d = defaultJobRunTime
		}
		d = max(d, time.Minute)
		runs := runsPerMonth(j)
		hours += runs * d.Hours()
		detail = append(detail, fmt.Sprintf("%s %.0f runs × %s", j.Name, runs, d))
	}
	return hours, detail
}

// Alternatives prices the shapes the cheap design was weighed against,
// beside a plan's estimate: Fargate (the service always on, the jobs per
// run), Fargate Spot for the jobs, a NAT gateway, a load balancer, and a
// single Lightsail instance.
func Alternatives(spec Spec, estimate cost.Estimate) []Alternative {
	// A caller's Spec may lack the defaults: a job following another has
	// no schedule of its own until they are applied (it counted 0 runs).
	spec = spec.WithDefaults()
	h := float64(cost.HoursPerMonth)
	var rest cost.Estimate // what every shape pays: logs, schedules, secrets, table, mail
	for _, l := range estimate {
		if !hostShape(l) {
			rest = append(rest, l)
		}
	}
	jh, detail := jobHours(spec)
	runs := strings.Join(detail, ", ")
	service := cost.Estimate{
		{Item: "Fargate vCPU, service", Quantity: fargateVCPU * h, Price: FargateVCPUPrice, Note: fmt.Sprintf("%g vCPU always on, arm64", fargateVCPU)},
		{Item: "Fargate memory, service", Quantity: fargateGB * h, Price: FargateGBPrice, Note: fmt.Sprintf("%g GB always on", fargateGB)},
		{Item: "public IPv4 of the service task", Quantity: h, Price: publicIPv4Price, Note: "an awsvpc task without a NAT needs its own"},
	}
	jobs := func(vcpu, gb cost.Price, what string) cost.Estimate {
		return cost.Estimate{
			{Item: "Fargate vCPU, jobs" + what, Quantity: fargateVCPU * jh, Price: vcpu, Note: runs + " (assumed run times)"},
			{Item: "Fargate memory, jobs" + what, Quantity: fargateGB * jh, Price: gb, Note: fmt.Sprintf("%g GB per run", fargateGB)},
			{Item: "public IPv4 of the job tasks", Quantity: jh, Price: publicIPv4Price, Note: "while a job runs"},
		}
	}
	fargate := append(append(append(cost.Estimate{}, service...), jobs(FargateVCPUPrice, FargateGBPrice, "")...), rest...)
	fargateSpot := append(append(append(cost.Estimate{}, service...), jobs(FargateSpotVCPUPrice, FargateSpotGBPrice, " on Spot")...), rest...)
	out := []Alternative{
		{Name: "Fargate: service always on, jobs per run",
			Gives: "no host to patch or size; each task its own IAM role and limits",
			Takes: "the service's address changes on every deployment (no Elastic IP on a task), and no host to keep its own TLS state",
			Lines: fargate, Full: true},
		{Name: "Fargate, jobs on Fargate Spot",
			Gives: "the same, the jobs about 70% cheaper",
			Takes: "a job may be stopped with two minutes' notice (the next run catches up); Spot runs x86 only",
			Lines: fargateSpot, Full: true},
	}
	if !spec.Network.NAT {
		out = append(out, Alternative{
			Name:  "this stack plus a NAT gateway",
			Gives: "private subnets for awsvpc tasks",
			Takes: "nothing this stack needs: bridge-mode tasks use the host's address",
			Lines: natEstimate(spec),
		})
	}
	out = append(out, instanceAlternatives(spec, estimate)...)
	out = append(out, scalingAlternative(spec, estimate)...)
	if spec.LoadBalancer == nil {
		out = append(out, Alternative{
			Name:  "this stack plus an Application Load Balancer",
			Gives: "TLS at the edge (ACM), health-checked targets, several hosts",
			Takes: "nothing for one host, which serves its own TLS for far less",
			Lines: cost.Estimate{
				{Item: "Application Load Balancer", Quantity: h, Price: ALBHourPrice},
				{Item: "ALB capacity units", Quantity: albLCUs * h, Price: ALBLCUPrice, Note: fmt.Sprintf("assumes %g LCU: a quiet site", albLCUs)},
				{Item: "ALB public IPv4", Quantity: albZones * h, Price: publicIPv4Price, Note: fmt.Sprintf("one per zone, %d zones", albZones)},
			},
		})
	}
	lightsail := append(cost.Estimate{{Item: "Lightsail 512 MB bundle with IPv4", Quantity: 1, Price: LightsailPrice,
		Note: "2 vCPUs, 20 GB SSD, 1 TB transfer; Docker run by hand"}}, rest...)
	return append(out, Alternative{
		Name:  "one Lightsail instance",
		Gives: "the lowest bill, one flat price with the address included",
		Takes: "not in Milan (Frankfurt); no instance role, so long-lived access keys on the box for DynamoDB and SES; " +
			"no ECS (task roles, rollouts, scheduled tasks: cron on the box) and no replacement of a failed instance",
		Lines: lightsail, Full: true,
	})
}

// WriteCost prints a stack's monthly estimate, the alternatives beside
// it, and every price with its region, source and the date it holds from.
func WriteCost(w io.Writer, e cost.Estimate, alts []Alternative) error {
	return cost.Report{Estimate: e, Alternatives: alts}.Write(w)
}

// WriteCostJSON prints the cost model of a plan for scripts: the same
// lines, total, alternatives and notes WritePlan prints for a person.
func WriteCostJSON(w io.Writer, spec Spec, p *change.Plan) error {
	b, err := cost.Report{Estimate: p.Cost, Alternatives: Alternatives(spec, p.Cost), Notes: p.Notes}.JSON()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

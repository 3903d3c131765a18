package stack

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strings"
	"text/tabwriter"

	"github.com/manga-alert-italia/mangaalert/cost"
)

// Prices of what a stack uses beyond the network and the host (whose
// packages price their own), and of the alternatives it was chosen over.
// Public list prices; Date is the day each figure is known to hold from.
// No Milan (eu-south-1) figure was at hand for these, so they are
// us-east-1's, as the lines' notes say.
var (
	SecretPrice = cost.Price{USD: 0.40, Unit: "secret-month",
		Source: "https://aws.amazon.com/secrets-manager/pricing/", Date: "2018-04-04"}
	DynamoReadPrice = cost.Price{USD: 0.125, Unit: "million read units",
		Source: "https://aws.amazon.com/dynamodb/pricing/on-demand/", Date: "2024-11-01"}
	DynamoWritePrice = cost.Price{USD: 0.625, Unit: "million write units",
		Source: "https://aws.amazon.com/dynamodb/pricing/on-demand/", Date: "2024-11-01"}
	FargateVCPUPrice = cost.Price{USD: 0.04048, Unit: "vCPU-hour",
		Source: "https://aws.amazon.com/fargate/pricing/", Date: "2019-01-07"}
	FargateGBPrice = cost.Price{USD: 0.004445, Unit: "GB-hour",
		Source: "https://aws.amazon.com/fargate/pricing/", Date: "2019-01-07"}
	ALBHourPrice = cost.Price{USD: 0.0225, Unit: "hour",
		Source: "https://aws.amazon.com/elasticloadbalancing/pricing/", Date: "2016-08-11"}
	ALBLCUPrice = cost.Price{USD: 0.008, Unit: "LCU-hour",
		Source: "https://aws.amazon.com/elasticloadbalancing/pricing/", Date: "2016-08-11"}
)

// USEast1Note marks a price read for us-east-1.
const USEast1Note = "us-east-1 price (Milan's not at hand)"

const (
	fargateVCPU = 0.25
	fargateGB   = 0.5
	albZones    = 2 // an ALB needs two zones, with a public IPv4 in each
	albLCUs     = 1.0
)

// serviceCost prices what any shape of the stack pays: secrets and table
// (the schedules price their runs themselves).
func (s *Stack) serviceCost(spec Spec) cost.Estimate {
	var e cost.Estimate
	if n := len(spec.Secrets); n > 0 {
		e = append(e, cost.Line{Item: "Secrets Manager secrets", Quantity: float64(n), Price: SecretPrice,
			Note: USEast1Note + "; API calls 0.05 USD per 10,000, a few here"})
	}
	if t := spec.Table; t != nil {
		e = append(e,
			cost.Line{Item: "DynamoDB on-demand reads", Quantity: t.ReadsPerMonth, Price: DynamoReadPrice,
				Note: fmt.Sprintf("assumes %g million a month; %s; storage: 25 GB always free", t.ReadsPerMonth, USEast1Note)},
			cost.Line{Item: "DynamoDB on-demand writes", Quantity: t.WritesPerMonth, Price: DynamoWritePrice,
				Note: fmt.Sprintf("assumes %g million a month; %s", t.WritesPerMonth, USEast1Note)})
	}
	return e
}

// Alternative is a shape the stack's design was chosen over, and what it
// costs.
type Alternative struct {
	Name  string
	Why   string        // what it buys, what it costs
	Lines cost.Estimate // its own lines: the whole estimate when Full, else an addition
	Full  bool
}

// Total is what the stack would cost in this shape, given the stack's own
// estimate.
func (a Alternative) Total(stack cost.Estimate) float64 {
	if a.Full {
		return a.Lines.Total()
	}
	return stack.Total() + a.Lines.Total()
}

// hostShape tells the lines only the one-host shape pays (instance,
// volume, addresses, NAT) by the page their price comes from.
func hostShape(l cost.Line) bool {
	for _, page := range []string{"/ec2/", "/ebs/", "/vpc/"} {
		if strings.Contains(l.Price.Source, page) {
			return true
		}
	}
	return false
}

var counts = []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}

// Alternatives prices the shapes the cheap design avoids, beside a plan's
// estimate: the same containers on Fargate, a NAT gateway, a load
// balancer.
func Alternatives(spec Spec, estimate cost.Estimate) []Alternative {
	h := float64(cost.HoursPerMonth)
	n := 1 + len(spec.Jobs)
	word := fmt.Sprint(n)
	if n < len(counts) {
		word = counts[n]
	}
	fargate := cost.Estimate{
		{Item: "Fargate vCPU", Quantity: float64(n) * fargateVCPU * h, Price: FargateVCPUPrice,
			Note: fmt.Sprintf("%d tasks × %g vCPU always on; %s", n, fargateVCPU, USEast1Note)},
		{Item: "Fargate memory", Quantity: float64(n) * fargateGB * h, Price: FargateGBPrice,
			Note: fmt.Sprintf("%d tasks × %g GB; %s", n, fargateGB, USEast1Note)},
		{Item: "public IPv4 per task", Quantity: float64(n) * h, Price: publicIPv4Price,
			Note: "awsvpc tasks without a NAT need one each; all regions"},
	}
	for _, l := range estimate {
		if !hostShape(l) {
			fargate = append(fargate, l)
		}
	}
	out := []Alternative{{
		Name:  fmt.Sprintf("the same %s containers on Fargate, always on", word),
		Why:   "no host to patch, but every container pays for its vCPU, memory and address around the clock",
		Lines: fargate, Full: true,
	}}
	if !spec.Network.NAT {
		out = append(out, Alternative{
			Name:  "this stack plus a NAT gateway",
			Why:   "private subnets for awsvpc tasks; bridge-mode tasks use the host's address and need none",
			Lines: natEstimate(spec),
		})
	}
	out = append(out, Alternative{
		Name: "this stack plus an Application Load Balancer",
		Why:  "TLS termination and several hosts; one host serves its own TLS for far less",
		Lines: cost.Estimate{
			{Item: "Application Load Balancer", Quantity: h, Price: ALBHourPrice, Note: USEast1Note},
			{Item: "ALB capacity units", Quantity: albLCUs * h, Price: ALBLCUPrice, Note: fmt.Sprintf("assumes %g LCU; %s", albLCUs, USEast1Note)},
			{Item: "ALB public IPv4", Quantity: albZones * h, Price: publicIPv4Price, Note: fmt.Sprintf("one per zone, %d zones; all regions", albZones)},
		},
	})
	return out
}

var trailingSpace = regexp.MustCompile(`(?m)[ \t]+$`)

// WriteCost prints a stack's monthly estimate, the alternatives beside
// it, and every price with its source and the date it holds from.
func WriteCost(w io.Writer, e cost.Estimate, alts []Alternative) error {
	var b bytes.Buffer
	fmt.Fprintln(&b, "Monthly cost of this stack (USD, 730-hour month):")
	if err := e.Write(&b); err != nil {
		return err
	}
	fmt.Fprintln(&b, "\nAlternatives this design was chosen over (USD a month):")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "DESIGN\tTOTAL\tVS THIS\nthis stack\t%.2f\t\n", e.Total())
	for _, a := range alts {
		fmt.Fprintf(tw, "%s\t%.2f\t%+.2f\n", a.Name, a.Total(e), a.Total(e)-e.Total())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	all := append(cost.Estimate{}, e...)
	for _, a := range alts {
		what := "adds"
		if a.Full {
			what = "costs, in all"
		}
		fmt.Fprintf(&b, "\n%s: %s; it %s:\n", a.Name, a.Why, what)
		if err := a.Lines.Write(&b); err != nil {
			return err
		}
		all = append(all, a.Lines...)
	}
	fmt.Fprintln(&b, "\nPrices (public list prices; source, and the date each figure holds from):")
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	seen := map[string]bool{}
	for _, l := range all {
		key := fmt.Sprintf("%s|%g|%s", l.Price.Source, l.Price.USD, l.Price.Unit)
		if seen[key] {
			continue
		}
		seen[key] = true
		date := l.Price.Date
		if date == "" {
			date = "-"
		}
		fmt.Fprintf(tw, "%s\t%g USD/%s\t%s\t%s\n", l.Item, l.Price.USD, l.Price.Unit, l.Price.Source, date)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := w.Write(trailingSpace.ReplaceAll(b.Bytes(), nil))
	return err
}

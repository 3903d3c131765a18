package main

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/manga-alert-italia/mangaalert/cost"
	"github.com/manga-alert-italia/mangaalert/network"
	"github.com/manga-alert-italia/mangaalert/schedule"
)

// Prices of what the stack uses beyond the network and the host (whose
// packages price their own), and of the alternatives it was chosen over.
// Public list prices; Date is the day each figure is known to hold from.
// No Milan (eu-south-1) figure was at hand for these, so they are
// us-east-1's, as the lines' notes say; Milan's are usually a little
// higher.
var (
	SecretPrice = cost.Price{USD: 0.40, Unit: "secret-month",
		Source: "https://aws.amazon.com/secrets-manager/pricing/", Date: "2018-04-04"}
	DynamoReadPrice = cost.Price{USD: 0.125, Unit: "million read units",
		Source: "https://aws.amazon.com/dynamodb/pricing/on-demand/", Date: "2024-11-01"}
	DynamoWritePrice = cost.Price{USD: 0.625, Unit: "million write units",
		Source: "https://aws.amazon.com/dynamodb/pricing/on-demand/", Date: "2024-11-01"}
	SchedulerPrice = cost.Price{USD: 1.00, Unit: "million invocations",
		Source: "https://aws.amazon.com/eventbridge/pricing/", Date: "2022-11-10"}
	SESPrice = cost.Price{USD: 0.10, Unit: "thousand mails",
		Source: "https://aws.amazon.com/ses/pricing/", Date: "2011-01-25"}
	FargateVCPUPrice = cost.Price{USD: 0.04048, Unit: "vCPU-hour",
		Source: "https://aws.amazon.com/fargate/pricing/", Date: "2019-01-07"}
	FargateGBPrice = cost.Price{USD: 0.004445, Unit: "GB-hour",
		Source: "https://aws.amazon.com/fargate/pricing/", Date: "2019-01-07"}
	ALBHourPrice = cost.Price{USD: 0.0225, Unit: "hour",
		Source: "https://aws.amazon.com/elasticloadbalancing/pricing/", Date: "2016-08-11"}
	ALBLCUPrice = cost.Price{USD: 0.008, Unit: "LCU-hour",
		Source: "https://aws.amazon.com/elasticloadbalancing/pricing/", Date: "2016-08-11"}
)

// Usage the estimate assumes for a small service.
const (
	assumedReadsM   = 1.0  // million DynamoDB read units a month
	assumedWritesM  = 0.1  // million write units
	assumedMailsK   = 1.0  // thousand mails
	fargateTasks    = 3    // serve, scrape, notify
	fargateVCPU     = 0.25 // Fargate's smallest task
	fargateGB       = 0.5
	albZones        = 2 // an ALB needs two zones, and has a public IPv4 in each
	albLCUs         = 1.0
	usEast1Note     = "us-east-1 price (Milan's not at hand)"
	schedulerFreeMi = 14 // million invocations a month, always free
)

// stackCost is the monthly cost of the configured stack: the network's and
// the host's own estimates, plus the secrets, the table, the schedules and
// the mail.
func (c Config) stackCost(np *network.Plan, host cost.Estimate, now time.Time) cost.Estimate {
	var e cost.Estimate
	for _, l := range np.Cost {
		if l.Quantity != 0 { // PublicOnly's zero line: the host counts its address
			e = append(e, l)
		}
	}
	e = append(e, host...)
	e = append(e, c.serviceLines(now)...)
	return e
}

// serviceLines are what any shape of the stack pays: secrets, table,
// schedules, mail.
func (c Config) serviceLines(now time.Time) cost.Estimate {
	secretsN := 1.0
	if c.Sender == SenderSMTP {
		secretsN = 2
	}
	runs := 0
	for _, j := range c.jobs() {
		runs += runsPerMonth(j.expression, c.Schedules.Zone, now)
	}
	e := cost.Estimate{
		{Item: "Secrets Manager secrets", Quantity: secretsN, Price: SecretPrice, Note: usEast1Note + "; API calls 0.05 USD per 10,000, a few here"},
		{Item: "DynamoDB on-demand reads", Quantity: assumedReadsM, Price: DynamoReadPrice,
			Note: fmt.Sprintf("assumes %g million a month; %s; storage: 25 GB always free", assumedReadsM, usEast1Note)},
		{Item: "DynamoDB on-demand writes", Quantity: assumedWritesM, Price: DynamoWritePrice,
			Note: fmt.Sprintf("assumes %g million a month; %s", assumedWritesM, usEast1Note)},
		{Item: "EventBridge Scheduler runs", Quantity: 0, Price: SchedulerPrice,
			Note: fmt.Sprintf("%d runs a month, within the %d million always free", runs, schedulerFreeMi)},
	}
	if c.Sender == SenderSES {
		e = append(e, cost.Line{Item: "SES outgoing mail", Quantity: assumedMailsK, Price: SESPrice,
			Note: fmt.Sprintf("assumes %g thousand mails a month; %s", assumedMailsK, usEast1Note)})
	}
	return e
}

// runsPerMonth counts a schedule's runs in the next 730 hours.
func runsPerMonth(expr, zone string, now time.Time) int {
	e, err := schedule.Parse(expr)
	if err != nil {
		return 0
	}
	if e.Kind() == schedule.Rate {
		return int(cost.HoursPerMonth * time.Hour / e.Interval())
	}
	loc, err := schedule.LoadZone(zone)
	if err != nil {
		return 0
	}
	end := now.Add(cost.HoursPerMonth * time.Hour)
	n := 0
	for _, t := range e.Times(loc, now, 50000, schedule.Bounds{End: end}) {
		if t.Before(end) {
			n++
		}
	}
	return n
}

// alternative is a shape this design was chosen over, and what it costs.
type alternative struct {
	Name  string
	Why   string        // what it buys, what it costs
	Lines cost.Estimate // its own lines (full = false: added to the stack's)
	Full  bool          // Lines is the whole estimate, not an addition
}

// alternatives prices the three shapes the cheap design avoids: the same
// containers on Fargate, a NAT gateway, a load balancer.
func (c Config) alternatives(stack cost.Estimate, now time.Time) []alternative {
	h := float64(cost.HoursPerMonth)
	fargate := cost.Estimate{
		{Item: "Fargate vCPU", Quantity: fargateTasks * fargateVCPU * h, Price: FargateVCPUPrice,
			Note: fmt.Sprintf("%d tasks × %g vCPU always on; %s", fargateTasks, fargateVCPU, usEast1Note)},
		{Item: "Fargate memory", Quantity: fargateTasks * fargateGB * h, Price: FargateGBPrice,
			Note: fmt.Sprintf("%d tasks × %g GB; %s", fargateTasks, fargateGB, usEast1Note)},
		{Item: "public IPv4 per task", Quantity: fargateTasks * h, Price: network.PublicIPv4Price,
			Note: "awsvpc tasks without a NAT need one each; all regions"},
	}
	for _, l := range stack {
		if strings.HasPrefix(l.Item, "CloudWatch Logs") {
			fargate = append(fargate, l)
		}
	}
	fargate = append(fargate, c.serviceLines(now)...)

	nat := network.New(nil).Estimate(network.Spec{Stack: c.Stack, Topology: network.PrivateWithNAT})
	alb := cost.Estimate{
		{Item: "Application Load Balancer", Quantity: h, Price: ALBHourPrice, Note: usEast1Note},
		{Item: "ALB capacity units", Quantity: albLCUs * h, Price: ALBLCUPrice, Note: fmt.Sprintf("assumes %g LCU; %s", albLCUs, usEast1Note)},
		{Item: "ALB public IPv4", Quantity: albZones * h, Price: network.PublicIPv4Price, Note: fmt.Sprintf("one per zone, %d zones; all regions", albZones)},
	}
	out := []alternative{{
		Name:  "the same three containers on Fargate, always on",
		Why:   "no host to patch, but every container pays for its vCPU, memory and address around the clock",
		Lines: fargate, Full: true,
	}}
	if !c.NAT {
		out = append(out, alternative{
			Name:  "this stack plus a NAT gateway",
			Why:   "private subnets for awsvpc tasks; bridge-mode tasks use the host's address and need none",
			Lines: nat,
		})
	}
	out = append(out, alternative{
		Name:  "this stack plus an Application Load Balancer",
		Why:   "TLS termination and several hosts; one host serves its own TLS for far less",
		Lines: alb,
	})
	return out
}

// writeCost prints the stack's monthly estimate, the alternatives beside
// it, and every price with its source and the date it holds from.
func writeCost(w io.Writer, name string, stack cost.Estimate, alts []alternative, notes []string) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "Monthly cost of %s (USD, 730-hour month):\n", name)
	if err := stack.Write(&b); err != nil {
		return err
	}
	fmt.Fprintln(&b, "\nAlternatives this design was chosen over (USD a month):")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "DESIGN\tTOTAL\tVS THIS\n")
	fmt.Fprintf(tw, "%s\t%.2f\t\n", name, stack.Total())
	totals := make([]float64, len(alts))
	for i, a := range alts {
		totals[i] = a.Lines.Total()
		if !a.Full {
			totals[i] += stack.Total()
		}
		fmt.Fprintf(tw, "%s\t%.2f\t%+.2f\n", a.Name, totals[i], totals[i]-stack.Total())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, a := range alts {
		what := "adds"
		if a.Full {
			what = "costs, in all"
		}
		fmt.Fprintf(&b, "\n%s: %s; it %s:\n", a.Name, a.Why, what)
		if err := a.Lines.Write(&b); err != nil {
			return err
		}
	}
	fmt.Fprintln(&b, "\nPrices (public list prices; source, and the date each figure holds from):")
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	seen := map[string]bool{}
	all := append(cost.Estimate{}, stack...)
	for _, a := range alts {
		all = append(all, a.Lines...)
	}
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
	for _, n := range notes {
		fmt.Fprintf(&b, "\nnote: %s", n)
	}
	if len(notes) > 0 {
		b.WriteString("\n")
	}
	_, err := w.Write(trailingBlanks.ReplaceAll(b.Bytes(), nil))
	return err
}

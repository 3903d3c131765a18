// Package cost holds the shape of a monthly cost estimate, so every
// infrastructure package reports its prices the same way and the deploy tool
// can add them up, print them for a person (Report.Write) or for a script
// (Report.JSON).
//
// Every price says where it holds (Price.Region) and from when
// (Price.Date): Milan's figure where it is known, otherwise a us-east-1
// list price, and the line says so. A price with neither is an error of
// Report.Check, never a silent guess.
package cost

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"text/tabwriter"
)

// HoursPerMonth is the 730-hour month AWS's pricing calculator uses.
const HoursPerMonth = 730

// Regions a price may hold in.
const (
	Milan      = "eu-south-1"
	USEast1    = "us-east-1"
	AllRegions = "all regions"
)

// Price is one unit price, with where and when it was read.
type Price struct {
	USD    float64 `json:"usd"`    // per Unit
	Unit   string  `json:"unit"`   // "hour", "GB-month", "GB"
	Source string  `json:"source"` // the page the price was read from
	Date   string  `json:"date"`   // YYYY-MM-DD the figure holds from
	Region string  `json:"region"` // Milan, USEast1 (Milan's not known here) or AllRegions
}

// Where says the price's region and date as a line prints them.
func (p Price) Where() string {
	r := p.Region
	if r == USEast1 {
		r = "us-east-1 figure"
	}
	return strings.TrimSpace(r + " " + p.Date)
}

// Line is one item of an estimate.
type Line struct {
	Item     string  `json:"item"`     // what is paid for
	Quantity float64 `json:"quantity"` // in Price.Unit per month
	Price    Price   `json:"price"`
	Note     string  `json:"note,omitempty"` // free tier, assumptions
}

// USD is the line's monthly cost.
func (l Line) USD() float64 { return l.Quantity * l.Price.USD }

// Estimate is a list of lines; its total is their sum.
type Estimate []Line

// Total is the estimate's monthly cost in USD.
func (e Estimate) Total() float64 {
	var t float64
	for _, l := range e {
		t += l.USD()
	}
	return t
}

// Check reports every line whose price does not say its region, date or
// source: an estimate must never guess silently.
func (e Estimate) Check() error {
	var errs []error
	for _, l := range e {
		var missing []string
		for _, f := range []struct{ name, v string }{{"region", l.Price.Region}, {"date", l.Price.Date}, {"source", l.Price.Source}, {"unit", l.Price.Unit}} {
			if f.v == "" {
				missing = append(missing, f.name)
			}
		}
		if len(missing) > 0 {
			errs = append(errs, fmt.Errorf("cost line %q: its price has no %s", l.Item, strings.Join(missing, ", ")))
		}
	}
	return errors.Join(errs...)
}

var trailingSpace = regexp.MustCompile(`(?m)[ \t]+$`)

// Write prints the estimate as an aligned table with a total line; each
// line says where and from when its price holds.
func (e Estimate) Write(w io.Writer) error {
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ITEM\tQUANTITY\tUSD/MONTH\tPRICE AS OF\tNOTE")
	for _, l := range e {
		fmt.Fprintf(tw, "%s\t%.4g %s\t%.2f\t%s\t%s\n", l.Item, l.Quantity, l.Price.Unit, l.USD(), l.Price.Where(), l.Note)
	}
	fmt.Fprintf(tw, "TOTAL\t\t%.2f\t\t\n", e.Total())
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := w.Write(trailingSpace.ReplaceAll(buf.Bytes(), nil))
	return err
}

// Alternative is another shape the design was weighed against: what it
// costs, what it gives and what it takes away.
type Alternative struct {
	Name  string   `json:"name"`
	Gives string   `json:"gives"`
	Takes string   `json:"takes"`
	Lines Estimate `json:"lines"` // the whole estimate when Full, else what it adds
	Full  bool     `json:"full"`
}

// Total is what the design would cost in this shape, given its own
// estimate.
func (a Alternative) Total(base Estimate) float64 {
	if a.Full {
		return a.Lines.Total()
	}
	return base.Total() + a.Lines.Total()
}

// Report is a design's monthly estimate beside its alternatives: the one
// cost model a plan prints for a person and for a script.
type Report struct {
	Estimate     Estimate
	Alternatives []Alternative
	Notes        []string // what the figures assume or leave out
}

// Check checks every line of the estimate and of the alternatives.
func (r Report) Check() error {
	errs := []error{r.Estimate.Check()}
	for _, a := range r.Alternatives {
		errs = append(errs, a.Lines.Check())
	}
	return errors.Join(errs...)
}

type jsonLine struct {
	Line
	USD float64 `json:"usd_month"`
}

// JSON is the report for scripts: the lines with their monthly USD, the
// total, the alternatives with theirs, the notes.
func (r Report) JSON() ([]byte, error) {
	lines := func(e Estimate) []jsonLine {
		out := make([]jsonLine, len(e))
		for i, l := range e {
			out[i] = jsonLine{l, round(l.USD())}
		}
		return out
	}
	type alt struct {
		Name     string     `json:"name"`
		Gives    string     `json:"gives"`
		Takes    string     `json:"takes"`
		Full     bool       `json:"full"`
		Lines    []jsonLine `json:"lines"`
		TotalUSD float64    `json:"total_usd"`
		VsThis   float64    `json:"vs_this_usd"`
	}
	v := struct {
		HoursPerMonth int        `json:"hours_per_month"`
		Lines         []jsonLine `json:"lines"`
		TotalUSD      float64    `json:"total_usd"`
		Alternatives  []alt      `json:"alternatives"`
		Notes         []string   `json:"notes"`
	}{HoursPerMonth: HoursPerMonth, Lines: lines(r.Estimate), TotalUSD: round(r.Estimate.Total()), Alternatives: []alt{}, Notes: r.Notes}
	for _, a := range r.Alternatives {
		t := a.Total(r.Estimate)
		v.Alternatives = append(v.Alternatives, alt{a.Name, a.Gives, a.Takes, a.Full, lines(a.Lines), round(t), round(t - r.Estimate.Total())})
	}
	return json.MarshalIndent(v, "", "  ")
}

func round(f float64) float64 {
	if f < 0 {
		return -round(-f)
	}
	return float64(int64(f*100+0.5)) / 100
}

// Write prints the estimate, the alternatives side by side (total, what
// each gives and takes), each alternative's lines, and every price with
// its region, source and date.
func (r Report) Write(w io.Writer) error {
	var b bytes.Buffer
	e := r.Estimate
	fmt.Fprintln(&b, "Monthly cost of this stack (USD, 730-hour month, list prices, free tier not subtracted):")
	if err := e.Write(&b); err != nil {
		return err
	}
	fmt.Fprintln(&b, "\nAlternatives, side by side (USD a month):")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "DESIGN\tTOTAL\tVS THIS\tGIVES\tTAKES\nthis stack\t%.2f\t\t\t\n", e.Total())
	for _, a := range r.Alternatives {
		fmt.Fprintf(tw, "%s\t%.2f\t%+.2f\t%s\t%s\n", a.Name, a.Total(e), a.Total(e)-e.Total(), a.Gives, a.Takes)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	all := append(Estimate{}, e...)
	for _, a := range r.Alternatives {
		what := "adds"
		if a.Full {
			what = "costs, in all"
		}
		fmt.Fprintf(&b, "\n%s: it %s:\n", a.Name, what)
		if err := a.Lines.Write(&b); err != nil {
			return err
		}
		all = append(all, a.Lines...)
	}
	fmt.Fprintln(&b, "\nPrices (public list prices; region, the date each figure holds from, source):")
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	seen := map[string]bool{}
	for _, l := range all {
		key := fmt.Sprintf("%s|%g|%s|%s", l.Price.Source, l.Price.USD, l.Price.Unit, l.Price.Region)
		if seen[key] {
			continue
		}
		seen[key] = true
		fmt.Fprintf(tw, "%s\t%g USD/%s\t%s\t%s\t%s\n", l.Item, l.Price.USD, l.Price.Unit, or(l.Price.Region, "-"), or(l.Price.Date, "-"), l.Price.Source)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "cost note: %s\n", n)
	}
	_, err := w.Write(trailingSpace.ReplaceAll(b.Bytes(), nil))
	return err
}

func or(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// SESPrice is what Amazon SES bills for outgoing mail.
var SESPrice = Price{USD: 0.10, Unit: "thousand mails", Source: "https://aws.amazon.com/ses/pricing/", Date: "2011-01-25", Region: USEast1}

// SESMail is the line of thousands of mails sent through SES a month.
func SESMail(thousands float64) Line {
	return Line{Item: "SES outgoing mail", Quantity: thousands, Price: SESPrice, Note: fmt.Sprintf("assumes %g thousand mails a month", thousands)}
}

// Package cost holds the shape of a monthly cost estimate, so every
// infrastructure package reports its prices the same way and the deploy tool
// can add them up.
package cost

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"text/tabwriter"
)

// HoursPerMonth is the 730-hour month AWS's pricing calculator uses.
const HoursPerMonth = 730

// Price is one unit price, with where and when it was read.
type Price struct {
	USD    float64 // per Unit
	Unit   string  // "hour", "GB-month", "GB"
	Source string  // the page the price was read from
	Date   string  // YYYY-MM-DD the figure holds from
}

// Line is one item of an estimate.
type Line struct {
	Item     string  // what is paid for
	Quantity float64 // in Price.Unit per month
	Price    Price
	Note     string // free tier, assumptions
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

var trailingSpace = regexp.MustCompile(`(?m) +$`)

// Write prints the estimate as an aligned table with a total line.
func (e Estimate) Write(w io.Writer) error {
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ITEM\tQUANTITY\tUSD/MONTH\tNOTE")
	for _, l := range e {
		fmt.Fprintf(tw, "%s\t%g %s\t%.2f\t%s\n", l.Item, l.Quantity, l.Price.Unit, l.USD(), l.Note)
	}
	fmt.Fprintf(tw, "TOTAL\t\t%.2f\t\n", e.Total())
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := w.Write(trailingSpace.ReplaceAll(buf.Bytes(), nil))
	return err
}

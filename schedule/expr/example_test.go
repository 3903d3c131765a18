package expr_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/manga-alert-italia/mangaalert/schedule/expr"
)

// The notifier at 02:30 in Rome: on 29 March 2026 the clocks jump from
// 02:00 to 03:00, so that night has no 02:30 and the Scheduler skips it.
func ExampleNext() {
	from := time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC)
	times, err := expr.Next("cron(30 2 * * ? *)", "Europe/Rome", from, 3)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, t := range times {
		fmt.Println(t.Format("Mon 2006-01-02 15:04 MST"))
	}
	// Output:
	// Mon 2026-03-30 02:30 CEST
	// Tue 2026-03-31 02:30 CEST
	// Wed 2026-04-01 02:30 CEST
}

func ExampleParse() {
	_, err := expr.Parse("cron(0 6 * * MON *)")
	fmt.Println(err)
	_, err = expr.Parse("rate(1 hours)")
	var e *expr.Error
	if errors.As(err, &e) {
		fmt.Printf("%s at character %d: %s\n", e.Part, e.Pos, e.Reason)
	}
	// Output:
	// schedule expression "cron(0 6 * * MON *)": day-of-month and day-of-week at character 10 ("* * MON"): both are set: the Scheduler takes one of them and ? in the other, e.g. cron(0 6 * * ? *) or cron(0 6 ? * MON *)
	// rate unit at character 8: 1 takes the singular: rate(1 hour)
}

// A rate schedule counts from its start, whatever the clocks do; an end
// stops it.
func ExampleExpression_Times() {
	e := expr.MustParse("rate(6 hours)")
	loc, err := expr.LoadZone("Europe/Rome")
	if err != nil {
		fmt.Println(err)
		return
	}
	start := time.Date(2026, 3, 28, 21, 0, 0, 0, loc)
	b := expr.Bounds{Start: start, End: start.Add(24 * time.Hour)}
	for _, t := range e.Times(loc, start.Add(time.Hour), 5, b) {
		fmt.Println(t.Format("Mon 15:04 MST"))
	}
	// Output:
	// Sun 04:00 CEST
	// Sun 10:00 CEST
	// Sun 16:00 CEST
}

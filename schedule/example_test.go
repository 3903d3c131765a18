package schedule_test

import (
	"fmt"
	"time"

	"github.com/manga-alert-italia/mangaalert/schedule"
)

// The notifier at 02:30 in Rome: on 29 March 2026 the clocks jump from
// 02:00 to 03:00, so that night has no 02:30 and the Scheduler skips it.
func ExampleNext() {
	from := time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC)
	times, err := schedule.Next("cron(30 2 * * ? *)", "Europe/Rome", from, 3)
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
	_, err := schedule.Parse("cron(0 6 * * MON *)")
	fmt.Println(err)
	_, err = schedule.Parse("rate(1 hours)")
	fmt.Println(err)
	// Output:
	// schedule expression "cron(0 6 * * MON *)": day-of-month and day-of-week at character 10 ("* * MON"): both are set: the Scheduler takes one of them and ? in the other, e.g. cron(0 6 * * ? *) or cron(0 6 ? * MON *)
	// schedule expression "rate(1 hours)": rate unit at character 8 ("hours"): 1 takes the singular: rate(1 hour)
}

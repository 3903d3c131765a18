package schedule_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/manga-alert-italia/mangaalert/schedule"
	"github.com/manga-alert-italia/mangaalert/schedule/expr"
)

// A stack of two jobs, each with its own task role, planned offline: one
// group and one scheduler role for both, and when each runs next. Online,
// schedule.NewFromConfig(cfg) takes the clients from an aws.Config, and
// Ensure makes what the plan says.
func Example() {
	account := "123456789012"
	arn := func(service, region, resource string) string {
		return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, region, account, resource)
	}
	spec := schedule.Spec{
		Stack:            "shop",
		ClusterARN:       arn("ecs", "eu-west-1", "cluster/shop"),
		ExecutionRoleARN: arn("iam", "", "role/shop-execution"),
		Jobs: []schedule.Job{
			{Name: "report", TaskDefinitionARN: arn("ecs", "eu-west-1", "task-definition/shop-report:4"),
				TaskRoleARN: arn("iam", "", "role/shop-report"), Expression: "rate(1 hour)"},
			{Name: "invoices", TaskDefinitionARN: arn("ecs", "eu-west-1", "task-definition/shop-invoices:2"),
				TaskRoleARN: arn("iam", "", "role/shop-invoices"), Expression: "cron(0 7 ? * MON-FRI *)", Zone: "Europe/Dublin"},
		},
	}
	s := schedule.New(schedule.Clients{}, func(o *schedule.Options) {
		o.Offline = true
		o.Now = func() time.Time { return time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC) } // a Friday
		o.NextTimes = 2
	})
	p, err := s.Plan(context.Background(), spec)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range p.Changes {
		fmt.Println(c.Action, c.Kind, c.Name)
	}
	for _, n := range p.Notes {
		fmt.Println(n)
	}
	fmt.Println(p.Policies["shop-scheduler"].Statement[1].Resource)
	// Output:
	// create schedule group shop
	// create IAM role shop-scheduler
	// create role policy shop-scheduler/run-scheduled-tasks
	// create schedule report
	// create schedule invoices
	// job report: rate(1 hour) in Europe/Rome, next Fri 2026-05-01 14:00 CEST, Fri 2026-05-01 15:00 CEST
	// job invoices: cron(0 7 ? * MON-FRI *) in Europe/Dublin, next Mon 2026-05-04 07:00 IST, Tue 2026-05-05 07:00 IST
	// [arn:aws:iam::123456789012:role/shop-execution arn:aws:iam::123456789012:role/shop-invoices arn:aws:iam::123456789012:role/shop-report]
}

// A Spec is checked in full before any call: every problem at once.
func ExampleSpec_Validate() {
	spec := schedule.Spec{
		Stack:            "manga",
		ClusterARN:       "arn:aws:ecs:eu-south-1:123456789012:cluster/manga",
		ExecutionRoleARN: "arn:aws:iam::123456789012:role/manga-execution",
		Jobs: []schedule.Job{{
			Name:              "scraper",
			TaskDefinitionARN: "arn:aws:ecs:eu-south-1:123456789012:task-definition/manga-scraper:3",
			Expression:        "rate(1 hours)",
			Window:            90 * time.Second,
		}},
	}
	err := spec.Validate()
	fmt.Println(errors.Is(err, schedule.ErrInvalidSpec), errors.Is(err, expr.ErrInvalid))
	var se *schedule.SpecError
	if errors.As(err, &se) {
		for _, p := range se.Problems {
			fmt.Println(p)
		}
	}
	// Output:
	// true true
	// job "scraper": schedule expression "rate(1 hours)": rate unit at character 8 ("hours"): 1 takes the singular: rate(1 hour)
	// job "scraper": flexible window 1m30s: whole minutes from 1m to 24h, or 0 for off
}

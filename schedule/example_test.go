package schedule_test

import (
	"errors"
	"fmt"

	"github.com/manga-alert-italia/mangaalert/schedule"
	"github.com/manga-alert-italia/mangaalert/schedule/expr"
)

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
		}},
	}
	err := spec.Validate()
	fmt.Println(errors.Is(err, schedule.ErrInvalidSpec), errors.Is(err, expr.ErrInvalid))
	// Output:
	// true true
}

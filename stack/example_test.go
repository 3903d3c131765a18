package stack_test

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/iampolicy"
	"github.com/manga-alert-italia/mangaalert/resource"
	"github.com/manga-alert-italia/mangaalert/secrets"
	"github.com/manga-alert-italia/mangaalert/stack"
)

// An application of its own on the cheap shape: a web service, a job
// every hour with a secret, planned offline (no credentials, no calls).
func Example() {
	spec := stack.Spec{
		Stack: "weather",
		Image: "ghcr.io/example/weather:1.0",
		Service: stack.Container{Name: "web", Command: []string{"/weather", "serve"},
			HealthCheck: &stack.HealthCheck{Command: []string{"CMD", "/weather", "healthcheck"}}},
		Jobs: []stack.Job{{
			Container: stack.Container{Name: "fetch", Command: []string{"/weather", "fetch"},
				Secrets: map[string]string{"WEATHER_API_KEY": "weather/api-key"},
				// The job may publish to its own topic, once the ARN is known.
				Policy: func(o stack.Outputs) []iampolicy.Statement {
					return []iampolicy.Statement{{Sid: "Publish", Effect: iampolicy.Allow, Action: iampolicy.Strings{"sns:Publish"},
						Resource: iampolicy.Strings{resource.ARNIn(o.Partition, "sns", o.Region, o.Account, "weather-updates")}}}
				}},
			Schedule: "rate(1 hour)",
		}},
		Secrets: []stack.Secret{{Name: "weather/api-key", Generate: secrets.RandomPassword(32)}},
	}
	st := stack.New(aws.Config{Region: "eu-west-1"}, func(o *stack.Options) {
		o.Offline = true
		o.Now = func() time.Time { return time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC) }
	})
	plan, err := st.Plan(context.Background(), spec)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(plan.Count(change.Create), "to create, offline:", plan.Offline)
	for _, kind := range []string{"vpc", "secret", "ECS cluster", "ECS service", "schedule"} {
		for _, c := range plan.Changes {
			if c.Kind == kind {
				fmt.Println(c.Action, c.Kind, c.Name)
			}
		}
	}
	fmt.Printf("about %.0f USD a month\n", plan.Cost.Total())
	// Output:
	// 22 to create, offline: true
	// create vpc vpc
	// create secret weather/api-key
	// create ECS cluster weather
	// create ECS service weather-web
	// create schedule fetch
	// about 8 USD a month
}

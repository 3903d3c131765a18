package alerts_test

import (
	"context"
	"fmt"

	"github.com/manga-alert-italia/mangaalert/alerts"
)

// An offline plan lists what Ensure would make for an operator address.
func Example() {
	a := alerts.New(alerts.Clients{}, func(o *alerts.Options) { o.Offline, o.Account, o.Region = true, "123456789012", "eu-south-1" })
	p, err := a.Plan(context.Background(), alerts.Spec{Stack: "ma", OperatorEmail: "ops@example.org",
		ClusterARN: "arn:aws:ecs:eu-south-1:123456789012:cluster/ma", Families: []string{"ma-scrape"}, MonthlyBudgetUSD: 10})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range p.Changes {
		fmt.Println(c.Action, c.Kind, c.Name)
	}
	// Output:
	// create SNS topic ma-operator
	// create SNS subscription ma-operator → ops@example.org
	// create EventBridge rule ma-task-failed
	// create budget mangaalert-ma
}

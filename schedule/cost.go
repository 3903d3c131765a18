package schedule

import (
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/scheduler/types"

	"github.com/manga-alert-italia/mangaalert/cost"
)

// InvocationPrice is what EventBridge Scheduler charges for invocations
// beyond FreeInvocations a month (us-east-1's price).
var InvocationPrice = cost.Price{USD: 1.00, Unit: "million invocations",
	Source: "https://aws.amazon.com/eventbridge/pricing/", Date: "2022-11-10", Region: cost.USEast1}

// FreeInvocations is how many Scheduler invocations a month are always
// free, per account.
const FreeInvocations = 14_000_000

// cost is the monthly estimate of the jobs' runs, counted over the next
// 730 hours as each job would run (a paused job does not).
func (rn *run) cost() cost.Estimate {
	end := rn.now.Add(cost.HoursPerMonth * time.Hour)
	runs := 0
	for i := range rn.r.jobs {
		j := &rn.r.jobs[i]
		if desiredState(j, rn.schedules[j.Name]) != types.ScheduleStateEnabled {
			continue
		}
		// A schedule fires at most once a minute: 43,800 times in 730 hours.
		runs += len(rn.times(j, rn.now, cost.HoursPerMonth*60, end))
	}
	billable := max(0, runs-FreeInvocations)
	return cost.Estimate{{
		Item:     "EventBridge Scheduler invocations",
		Quantity: float64(billable) / 1e6,
		Price:    InvocationPrice,
		Note:     fmt.Sprintf("%d runs a month; the first %d million of the account are always free", runs, FreeInvocations/1_000_000),
	}}
}

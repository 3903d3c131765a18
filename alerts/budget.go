package alerts

import (
	"context"
	"fmt"
	"math"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/budgets"
	btypes "github.com/aws/aws-sdk-go-v2/service/budgets/types"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/internal/awserr"
	"github.com/manga-alert-italia/mangaalert/internal/engine"
)

// budgetAmount is the limit as Budgets takes it: whole cents, rounded up.
func budgetAmount(usd float64) string {
	return strconv.FormatFloat(math.Ceil(usd*100)/100, 'f', 2, 64)
}

func (a *Alerts) budget(s Spec) *btypes.Budget {
	return &btypes.Budget{BudgetName: aws.String(BudgetName(s.Stack)), BudgetType: btypes.BudgetTypeCost, TimeUnit: btypes.TimeUnitMonthly,
		BudgetLimit: &btypes.Spend{Amount: aws.String(budgetAmount(s.MonthlyBudgetUSD)), Unit: aws.String("USD")}}
}

// notifications are the budget's two alerts, both to the operator topic.
func (a *Alerts) notifications(s Spec) []btypes.NotificationWithSubscribers {
	sub := []btypes.Subscriber{{SubscriptionType: btypes.SubscriptionTypeSns, Address: aws.String(a.arn("sns", TopicName(s.Stack)))}}
	return []btypes.NotificationWithSubscribers{
		{Notification: &btypes.Notification{NotificationType: btypes.NotificationTypeActual, ComparisonOperator: btypes.ComparisonOperatorGreaterThan,
			Threshold: ActualPercent, ThresholdType: btypes.ThresholdTypePercentage}, Subscribers: sub},
		{Notification: &btypes.Notification{NotificationType: btypes.NotificationTypeForecasted, ComparisonOperator: btypes.ComparisonOperatorGreaterThan,
			Threshold: ForecastPercent, ThresholdType: btypes.ThresholdTypePercentage}, Subscribers: sub},
	}
}

// budgetSteps keep the budget mangaalert-STACK. Budgets are found by
// that name: the name says whose it is.
func (a *Alerts) budgetSteps(ctx context.Context, s Spec) ([]engine.Step, error) {
	name, want := BudgetName(s.Stack), s.MonthlyBudgetUSD > 0 && s.OperatorEmail != ""
	id := "budget/" + name
	create := func(ctx context.Context) error {
		_, err := a.c.Budgets.CreateBudget(ctx, &budgets.CreateBudgetInput{AccountId: aws.String(a.o.Account), Budget: a.budget(s),
			NotificationsWithSubscribers: a.notifications(s), ResourceTags: budgetTags(a.tags(s))})
		return err
	}
	details := []string{fmt.Sprintf("%s USD a month; alerts at %d %% of actual and %d %% of forecast cost → %s",
		budgetAmount(s.MonthlyBudgetUSD), ActualPercent, ForecastPercent, TopicName(s.Stack))}
	if a.o.Offline {
		if !want {
			return nil, nil
		}
		return []engine.Step{newStep(change.Create, KindBudget, name, "", details, create)}, nil
	}
	got, err := a.c.Budgets.DescribeBudget(ctx, &budgets.DescribeBudgetInput{AccountId: aws.String(a.o.Account), BudgetName: aws.String(name)})
	switch {
	case awserr.Is(err, "NotFoundException"):
		if !want {
			return nil, nil
		}
		return []engine.Step{newStep(change.Create, KindBudget, name, "", details, create)}, nil
	case err != nil:
		return nil, fmt.Errorf("read budget %s: %w", name, err)
	}
	del := func(ctx context.Context) error {
		_, err := a.c.Budgets.DeleteBudget(ctx, &budgets.DeleteBudgetInput{AccountId: aws.String(a.o.Account), BudgetName: aws.String(name)})
		if awserr.Is(err, "NotFoundException") {
			return nil
		}
		return err
	}
	if !want {
		return []engine.Step{newStep(change.Delete, KindBudget, name, id, nil, del)}, nil
	}
	var have string
	if got.Budget != nil && got.Budget.BudgetLimit != nil {
		have = aws.ToString(got.Budget.BudgetLimit.Amount)
	}
	hv, _ := strconv.ParseFloat(have, 64)
	wv, _ := strconv.ParseFloat(budgetAmount(s.MonthlyBudgetUSD), 64)
	nots, err := a.c.Budgets.DescribeNotificationsForBudget(ctx, &budgets.DescribeNotificationsForBudgetInput{AccountId: aws.String(a.o.Account), BudgetName: aws.String(name)})
	if err != nil {
		return nil, fmt.Errorf("read the alerts of budget %s: %w", name, err)
	}
	if !sameNotifications(nots.Notifications, a.notifications(s)) {
		// Alerts and their subscribers change together: the budget is made
		// again, which loses no history (Budgets reads the bill).
		return []engine.Step{newStep(change.Update, KindBudget, name, id, append([]string{"alerts remade"}, details...), func(ctx context.Context) error {
			if err := del(ctx); err != nil {
				return err
			}
			return create(ctx)
		})}, nil
	}
	if hv == wv {
		return []engine.Step{keep(KindBudget, name, id)}, nil
	}
	return []engine.Step{newStep(change.Update, KindBudget, name, id, []string{fmt.Sprintf("limit: %s → %s USD a month", have, budgetAmount(s.MonthlyBudgetUSD))},
		func(ctx context.Context) error {
			_, err := a.c.Budgets.UpdateBudget(ctx, &budgets.UpdateBudgetInput{AccountId: aws.String(a.o.Account), NewBudget: a.budget(s)})
			return err
		})}, nil
}

func sameNotifications(have []btypes.Notification, want []btypes.NotificationWithSubscribers) bool {
	if len(have) != len(want) {
		return false
	}
	for _, w := range want {
		found := false
		for _, h := range have {
			if h.NotificationType == w.Notification.NotificationType && h.Threshold == w.Notification.Threshold &&
				h.ComparisonOperator == w.Notification.ComparisonOperator {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func budgetTags(m map[string]string) []btypes.ResourceTag {
	var out []btypes.ResourceTag
	for _, k := range sortedKeys(m) {
		out = append(out, btypes.ResourceTag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}

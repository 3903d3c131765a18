package stack

// The alerts step: package alerts, with the stack's names. It runs after
// the table and before the host, so that the SES configuration set the
// containers send through exists before they start; every name it needs
// of the host (the cluster, the task families) is known in advance.

import (
	"context"
	"fmt"
	"math"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/manga-alert-italia/mangaalert/alerts"
	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/resource"
)

// Alerts is what the stack's operator is told, and how (package alerts).
type Alerts struct {
	// OperatorEmail is subscribed to the stack's SNS topic: failed job
	// runs, the schedules' dead-letter queue (switched on with it) and the
	// budget alert it. "" turns all of that off.
	OperatorEmail string
	// MonthlyBudgetUSD is the AWS Budget's monthly limit; 0 means the
	// plan's monthly cost estimate. NoBudget makes none.
	MonthlyBudgetUSD float64
	NoBudget         bool
	// MailEvents makes the SES configuration set, whose bounces and
	// complaints go to the SNS topic STACK-mail-events, and subscribes
	// its Endpoint (the backend's signed hook). Nil makes none.
	MailEvents *alerts.MailEvents
}

// deadLetterQueue is the schedules' queue (package schedule's name for
// the one it creates).
func deadLetterQueue(stack string) string { return stack + "-scheduler-dlq" }

func (s Spec) operator() bool { return s.Alerts != nil && s.Alerts.OperatorEmail != "" }

// alertNames fills the outputs the containers' environment may name.
func alertNames(spec Spec, o *Outputs) {
	if spec.operator() {
		o.AlertsTopicARN = resource.ARNIn(o.Partition, "sns", o.Region, o.Account, alerts.TopicName(spec.Stack))
		o.DeadLetterQueue = deadLetterQueue(spec.Stack)
	}
	if spec.Alerts != nil && spec.Alerts.MailEvents != nil {
		o.ConfigurationSet = alerts.ConfigurationSetName(spec.Stack)
		o.MailEventsTopicARN = resource.ARNIn(o.Partition, "sns", o.Region, o.Account, alerts.MailTopicName(spec.Stack))
	}
}

func alertsSpec(spec Spec, o Outputs, budget float64) alerts.Spec {
	out := alerts.Spec{Stack: spec.Stack, Tags: spec.Tags}
	a := spec.Alerts
	if a == nil {
		return out
	}
	out.MailEvents = a.MailEvents
	if a.OperatorEmail == "" {
		return out
	}
	out.OperatorEmail = a.OperatorEmail
	out.ClusterARN = resource.ARNIn(o.Partition, "ecs", o.Region, o.Account, "cluster/"+spec.Stack)
	for _, j := range spec.Jobs {
		out.Families = append(out.Families, family(spec.Stack, j.Name))
	}
	if len(spec.Jobs) > 0 {
		out.DeadLetterQueue = deadLetterQueue(spec.Stack)
	}
	if !a.NoBudget {
		out.MonthlyBudgetUSD = a.MonthlyBudgetUSD
		if out.MonthlyBudgetUSD == 0 {
			out.MonthlyBudgetUSD = budget
		}
	}
	return out
}

func (s *Stack) alerts(o *Outputs) *alerts.Alerts {
	return alerts.New(s.cl.alerts, func(a *alerts.Options) {
		a.Logger, a.Offline, a.Account, a.Region, a.OnChange = s.o.Logger, s.o.Offline, o.Account, o.Region, s.o.OnChange
	})
}

// plannedCost is the monthly estimate of spec without its alerts, from an
// offline plan: the same figure for Plan and Apply, so the budget
// follows the plan and a second apply sees no change.
func (s *Stack) plannedCost(ctx context.Context, spec Spec, o *Outputs) (float64, error) {
	if !spec.operator() || spec.Alerts.NoBudget || spec.Alerts.MonthlyBudgetUSD > 0 {
		return 0, nil
	}
	spec.Alerts = nil
	p, err := New(aws.Config{Region: o.Region}, func(x *Options) {
		x.Offline, x.Account, x.Region, x.Logger, x.Now = true, o.Account, o.Region, discard, s.o.Now
	}).Plan(ctx, spec)
	if err != nil {
		return 0, err
	}
	return math.Ceil(p.Cost.Total()*100) / 100, nil
}

func (s *Stack) planAlerts(ctx context.Context, spec Spec, o *Outputs) (*change.Plan, error) {
	alertNames(spec, o)
	budget, err := s.plannedCost(ctx, spec, o)
	if err != nil {
		return nil, err
	}
	p, err := s.alerts(o).Plan(ctx, alertsSpec(spec, *o, budget))
	if err != nil {
		return nil, fmt.Errorf("plan the alerts: %w", err)
	}
	return p, nil
}

func (s *Stack) ensureAlerts(ctx context.Context, spec Spec, o *Outputs) ([]change.Change, error) {
	alertNames(spec, o)
	budget, err := s.plannedCost(ctx, spec, o)
	if err != nil {
		return nil, err
	}
	st, err := s.alerts(o).Ensure(ctx, alertsSpec(spec, *o, budget))
	if st == nil {
		return nil, err
	}
	return st.Changes, err
}

func (s *Stack) deleteAlerts(ctx context.Context, stack string) ([]change.Change, error) {
	o, err := s.outputs(ctx)
	if err != nil {
		return nil, err
	}
	return s.alerts(o).Delete(ctx, stack)
}

// alertStatus says where alerts go, the dead-letter queue's depth and the
// mail rates.
func (s *Stack) alertStatus(ctx context.Context, stack string) ([]string, error) {
	o, err := s.outputs(ctx)
	if err != nil {
		return nil, err
	}
	lines, err := s.alerts(o).Status(ctx, stack)
	if err != nil {
		return lines, err
	}
	u, err := s.cl.sqs.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(deadLetterQueue(stack))})
	if err != nil {
		return append(lines, "dead-letter queue: none (set operator_email and run apply)"), nil
	}
	at, err := s.cl.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: u.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages}})
	if err != nil {
		return lines, fmt.Errorf("read the dead-letter queue: %w", err)
	}
	n := at.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)]
	line := fmt.Sprintf("dead-letter queue %s: %s message(s)", deadLetterQueue(stack), n)
	if n != "0" {
		line += ": a schedule could not start its task; read them in the SQS console, then purge the queue"
	}
	return append(lines, line), nil
}

// MailEnvironment gives a container the alerts' SES configuration set
// and mail-events topic in the variables named, when the Spec makes them
// (a variable named "" is left out): for Container.EnvironmentFrom.
func MailEnvironment(configurationSetVar, topicsVar string) func(Outputs) map[string]string {
	return func(o Outputs) map[string]string {
		env := map[string]string{}
		for k, v := range map[string]string{configurationSetVar: o.ConfigurationSet, topicsVar: o.MailEventsTopicARN} {
			if k != "" && v != "" {
				env[k] = v
			}
		}
		return env
	}
}

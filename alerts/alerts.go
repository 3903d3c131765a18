package alerts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/internal/engine"
	"github.com/manga-alert-italia/mangaalert/resource"
)

// Component is this package's value of the resource.TagComponent tag, and
// its plans' Component.
const Component = "alerts"

// The kinds of the changes this package plans, as an operator reads them.
const (
	KindTopic        = "SNS topic"
	KindSubscription = "SNS subscription"
	KindRule         = "EventBridge rule"
	KindAlarm        = "CloudWatch alarm"
	KindBudget       = "budget"
	KindConfigSet    = "SES configuration set"
	KindDestination  = "SES event destination"
)

// The thresholds of the budget's two alerts, in percent.
const (
	ActualPercent   = 80
	ForecastPercent = 100
)

// Errors a caller can test with errors.Is.
var (
	// ErrInvalid: a Spec to fix; nothing was called.
	ErrInvalid = errors.New("alerts: invalid spec")
	// ErrOffline: Ensure or Delete on an Alerts built with Options.Offline.
	ErrOffline = errors.New("alerts: offline: only Plan works without AWS")
)

// Spec is what one stack's operator is told about, and how.
type Spec struct {
	// Stack names everything (S-operator, S-task-failed, ...). Required.
	Stack string
	// OperatorEmail is subscribed to the operator topic. "" makes no
	// topic, rule, alarm or budget (and Ensure removes those it made).
	OperatorEmail string
	// ClusterARN and Families say whose tasks the rule watches: the
	// families (STACK-scrape, ...) of the tasks run in that cluster. No
	// families, no rule.
	ClusterARN string
	Families   []string
	// DeadLetterQueue names the SQS queue whose depth the alarm watches;
	// "" makes no alarm.
	DeadLetterQueue string
	// MonthlyBudgetUSD is the budget's monthly limit; 0 makes no budget.
	MonthlyBudgetUSD float64
	// MailEvents makes the SES configuration set; nil makes none.
	MailEvents *MailEvents
	// Tags go on every tagged resource, next to the stack's own.
	Tags map[string]string
}

// MailEvents is where SES's bounces and complaints go.
type MailEvents struct {
	// Endpoint is the https URL subscribed to the S-mail-events topic
	// (the backend's signed hook); "" subscribes nothing.
	Endpoint string
}

// Names of the resources of a stack.
func TopicName(stack string) string            { return stack + "-operator" }
func RuleName(stack string) string             { return stack + "-task-failed" }
func AlarmName(stack string) string            { return stack + "-scheduler-dlq-not-empty" }
func BudgetName(stack string) string           { return "mangaalert-" + stack }
func ConfigurationSetName(stack string) string { return stack }
func MailTopicName(stack string) string        { return stack + "-mail-events" }

var stackRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,48}$`)

// Validate checks s without AWS and says what to change.
func (s Spec) Validate() error {
	var ps []string
	if !stackRE.MatchString(s.Stack) {
		ps = append(ps, fmt.Sprintf("stack %q: use 1-48 letters, digits, - or _", s.Stack))
	}
	if s.OperatorEmail != "" {
		a, err := mail.ParseAddress(s.OperatorEmail)
		if err != nil || a.Address != s.OperatorEmail || !strings.Contains(a.Address, "@") {
			ps = append(ps, fmt.Sprintf("operator e-mail %q is not a plain address such as ops@example.org", s.OperatorEmail))
		}
		if len(s.Families) > 0 && s.ClusterARN == "" {
			ps = append(ps, "the rule needs the cluster's ARN of the task families it watches")
		}
	}
	if s.MonthlyBudgetUSD < 0 {
		ps = append(ps, fmt.Sprintf("monthly budget %.2f USD is negative", s.MonthlyBudgetUSD))
	}
	if s.MonthlyBudgetUSD > 0 && s.OperatorEmail == "" {
		ps = append(ps, "a budget alerts the operator: it needs the operator e-mail")
	}
	if m := s.MailEvents; m != nil && m.Endpoint != "" {
		if u, err := url.Parse(m.Endpoint); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			ps = append(ps, fmt.Sprintf("mail events endpoint %q is not an http(s) URL", m.Endpoint))
		}
	}
	if len(ps) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrInvalid, strings.Join(ps, "; "))
}

// Options tune an Alerts; the zero value of each field is its default.
type Options struct {
	Logger *slog.Logger // default slog.Default().WithGroup("alerts")
	// Offline plans without AWS (everything created); Ensure and Delete
	// return ErrOffline.
	Offline bool
	// Account and Region put into ARNs (the topic policy's conditions).
	Account, Region string
	// OnChange hears each change once made; may be nil.
	OnChange func(change.Change)
}

// Alerts plans, ensures and deletes a stack's alerting.
type Alerts struct {
	c Clients
	o Options
}

// New returns an Alerts calling through c.
func New(c Clients, optFns ...func(*Options)) *Alerts {
	var o Options
	for _, f := range optFns {
		f(&o)
	}
	if o.Logger == nil {
		o.Logger = slog.Default().WithGroup("alerts")
	}
	return &Alerts{c: c, o: o}
}

// State is what Ensure left, and what it changed.
type State struct {
	TopicARN, MailTopicARN, ConfigurationSet string
	Changes                                  []change.Change
}

func (a *Alerts) arn(service, res string) string {
	return resource.ARN(service, a.o.Region, a.o.Account, res)
}

func (a *Alerts) tags(s Spec) map[string]string {
	t := map[string]string{}
	for k, v := range s.Tags {
		t[k] = v
	}
	t[resource.TagStack], t[resource.TagComponent] = s.Stack, Component
	return t
}

// Plan says what Ensure would do, kept resources included.
func (a *Alerts) Plan(ctx context.Context, s Spec) (*change.Plan, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	steps, err := a.steps(ctx, s)
	if err != nil {
		return nil, err
	}
	p := &change.Plan{Component: Component, Offline: a.o.Offline, Changes: engine.Changes(steps)}
	if s.OperatorEmail != "" {
		p.Notes = append(p.Notes, fmt.Sprintf("alerts go to %s once the address confirms the subscription (AWS mails a link; status shows it pending until then)", s.OperatorEmail))
	}
	return p, nil
}

// Ensure makes the account as s says and returns what it changed.
func (a *Alerts) Ensure(ctx context.Context, s Spec) (*State, error) {
	if a.o.Offline {
		return nil, ErrOffline
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	steps, err := a.steps(ctx, s)
	if err != nil {
		return nil, err
	}
	done, err := engine.Run(ctx, a.o.Logger, steps, a.o.OnChange)
	st := &State{Changes: done}
	if s.OperatorEmail != "" {
		st.TopicARN = a.arn("sns", TopicName(s.Stack))
	}
	if s.MailEvents != nil {
		st.MailTopicARN, st.ConfigurationSet = a.arn("sns", MailTopicName(s.Stack)), ConfigurationSetName(s.Stack)
	}
	return st, err
}

// Delete removes everything this package made for stack, and only that.
func (a *Alerts) Delete(ctx context.Context, stack string) ([]change.Change, error) {
	if a.o.Offline {
		return nil, ErrOffline
	}
	steps, err := a.steps(ctx, Spec{Stack: stack})
	if err != nil {
		return nil, err
	}
	return engine.Run(ctx, a.o.Logger, steps, a.o.OnChange)
}

// steps observes the account and diffs it against s: the order is the
// one the resources need (the topic before its subscription and the
// targets that publish to it).
func (a *Alerts) steps(ctx context.Context, s Spec) ([]engine.Step, error) {
	var out []engine.Step
	for _, f := range []func(context.Context, Spec) ([]engine.Step, error){
		a.operatorTopicSteps, a.ruleSteps, a.alarmSteps, a.budgetSteps, a.mailSteps,
	} {
		st, err := f(ctx, s)
		if err != nil {
			return nil, err
		}
		out = append(out, st...)
	}
	return out, nil
}

func newStep(act change.Action, kind, name, id string, details []string, apply func(context.Context) error) engine.Step {
	return engine.Step{Change: change.Change{Action: act, Kind: kind, Name: name, ID: id, Details: details}, Apply: apply}
}

func keep(kind, name, id string) engine.Step {
	return engine.Step{Change: change.Change{Action: change.Keep, Kind: kind, Name: name, ID: id}}
}

func ours(tags map[string]string, stack string) bool { return resource.Owned(tags, stack, Component) }

func notOurs(kind, name, stack string) error { return resource.NotOurs(kind, name, stack, Component) }

// missingTags lists the wanted tags absent or different in have.
func missingTags(have, want map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range want {
		if have[k] != v {
			out[k] = v
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

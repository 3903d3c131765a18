package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/manga-alert-italia/mangaalert/internal/awserr"
	"github.com/manga-alert-italia/mangaalert/schedule"
)

const statusAbout = `
Shows what runs: the instance, the backend service (desired and running
tasks, its task definition, the last deployment), the task definitions'
revisions and images, when the scraper and notifier run next, the table and
the secrets. It only reads.`

func (a *app) statusCmd(ctx context.Context, args []string) error {
	var o options
	fs := a.newFlagSet("status", "[flags]", statusAbout, &o)
	if err := a.parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("status takes no arguments, got %q", fs.Args())
	}
	c, err := o.config(false)
	if err != nil {
		return err
	}
	s, err := a.session(ctx, c, o)
	if err != nil {
		return err
	}
	return s.status(ctx, a.stdout)
}

// status prints each part of the stack; a part that cannot be read is
// reported in place and the error returned at the end.
func (s *session) status(ctx context.Context, w io.Writer) error {
	c, n := s.c, s.n
	fmt.Fprintf(w, "Stack %q in %s, account %s\n", c.Stack, c.Region, n.account)
	var errs []error
	section := func(title string, f func() ([]string, error)) {
		fmt.Fprintf(w, "\n%s\n", title)
		lines, err := f()
		for _, l := range lines {
			fmt.Fprintf(w, "  %s\n", l)
		}
		if err != nil {
			fmt.Fprintf(w, "  (could not read: %v)\n", err)
			errs = append(errs, err)
		}
	}
	section("Instance (Auto Scaling group "+n.group()+")", func() ([]string, error) { return s.instanceStatus(ctx) })
	section("Service "+n.service(), func() ([]string, error) { return s.serviceStatus(ctx) })
	section("Task definitions", func() ([]string, error) { return s.taskDefStatus(ctx) })
	section("Schedules", func() ([]string, error) { return s.scheduleStatus(ctx) })
	section("Store and secrets", func() ([]string, error) { return s.dataStatus(ctx) })
	return errors.Join(errs...)
}

func (s *session) instanceStatus(ctx context.Context) ([]string, error) {
	out, err := s.cl.asg.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{s.n.group()}})
	if err != nil {
		return nil, err
	}
	if len(out.AutoScalingGroups) == 0 {
		return []string{"not deployed (run apply)"}, nil
	}
	g := out.AutoScalingGroups[0]
	if len(g.Instances) == 0 {
		return []string{fmt.Sprintf("no instance yet (desired %d)", aws.ToInt32(g.DesiredCapacity))}, nil
	}
	var ids []string
	for _, i := range g.Instances {
		ids = append(ids, aws.ToString(i.InstanceId))
	}
	desc, err := s.cl.ec2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: ids})
	if err != nil {
		return nil, err
	}
	info := map[string]string{}
	for _, r := range desc.Reservations {
		for _, i := range r.Instances {
			ip := aws.ToString(i.PublicIpAddress)
			if ip == "" {
				ip = "no public address"
			}
			state := ""
			if i.State != nil {
				state = string(i.State.Name)
			}
			info[aws.ToString(i.InstanceId)] = fmt.Sprintf("%s, %s, public %s, launched %s", i.InstanceType, state, ip, stamp(i.LaunchTime))
		}
	}
	var lines []string
	for _, i := range g.Instances {
		id := aws.ToString(i.InstanceId)
		tpl := ""
		if i.LaunchTemplate != nil {
			tpl = fmt.Sprintf("; template %s version %s", aws.ToString(i.LaunchTemplate.LaunchTemplateName), aws.ToString(i.LaunchTemplate.Version))
		}
		lines = append(lines, fmt.Sprintf("%s: %s (%s, %s)%s", id, info[id], i.LifecycleState, aws.ToString(i.HealthStatus), tpl))
	}
	return lines, nil
}

func (s *session) serviceStatus(ctx context.Context) ([]string, error) {
	out, err := s.cl.ecs.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(s.n.cluster()), Services: []string{s.n.service()}})
	switch {
	case awserr.Is(err, "ClusterNotFoundException"):
		return []string{"no cluster " + s.n.cluster() + " (run apply)"}, nil
	case err != nil:
		return nil, err
	}
	if len(out.Services) == 0 || aws.ToString(out.Services[0].Status) == "INACTIVE" {
		return []string{"not deployed (run apply)"}, nil
	}
	svc := out.Services[0]
	lines := []string{fmt.Sprintf("%s: desired %d, running %d, pending %d; runs %s", aws.ToString(svc.Status),
		svc.DesiredCount, svc.RunningCount, svc.PendingCount, lastPart(aws.ToString(svc.TaskDefinition)))}
	for _, d := range svc.Deployments {
		lines = append(lines, fmt.Sprintf("deployment %s %s: %s, %d/%d running, updated %s%s", aws.ToString(d.Id), aws.ToString(d.Status),
			d.RolloutState, d.RunningCount, d.DesiredCount, stamp(d.UpdatedAt), reason(aws.ToString(d.RolloutStateReason))))
	}
	if len(svc.Events) > 0 {
		e := svc.Events[0]
		lines = append(lines, fmt.Sprintf("last event %s: %s", stamp(e.CreatedAt), aws.ToString(e.Message)))
	}
	return lines, nil
}

func (s *session) taskDefStatus(ctx context.Context) ([]string, error) {
	var lines []string
	for _, name := range []string{serveName, scrapeName, notifyName} {
		family := s.n.family(name)
		out, err := s.cl.ecs.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(family)})
		switch {
		case awserr.Is(err, "ClientException"):
			lines = append(lines, family+": none registered")
			continue
		case err != nil:
			return lines, err
		}
		td := out.TaskDefinition
		image := ""
		if len(td.ContainerDefinitions) > 0 {
			image = aws.ToString(td.ContainerDefinitions[0].Image)
		}
		lines = append(lines, fmt.Sprintf("%s: revision %d, %s, registered %s", family, td.Revision, image, stamp(td.RegisteredAt)))
	}
	return lines, nil
}

func (s *session) scheduleStatus(ctx context.Context) ([]string, error) {
	var lines []string
	for _, j := range s.c.jobs() {
		g, err := s.cl.scheduler.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String(j.name), GroupName: aws.String(s.n.scheduleStack(j.name))})
		switch {
		case awserr.Is(err, "ResourceNotFoundException"):
			lines = append(lines, j.name+": no schedule (run apply)")
			continue
		case err != nil:
			return lines, err
		}
		zone := aws.ToString(g.ScheduleExpressionTimezone)
		target := ""
		if g.Target != nil && g.Target.EcsParameters != nil {
			target = "; runs " + lastPart(aws.ToString(g.Target.EcsParameters.TaskDefinitionArn))
		}
		line := fmt.Sprintf("%s: %s in %s, %s%s", j.name, aws.ToString(g.ScheduleExpression), orDefault(zone, "UTC"), g.State, target)
		if next := nextRuns(g, s.a.now()); len(next) > 0 {
			line += "; next " + strings.Join(next, ", ")
		}
		lines = append(lines, line)
	}
	return lines, nil
}

// nextRuns is when a schedule fires next: rate schedules count from their
// start, or from when they were last written (schedule.Next explains).
func nextRuns(g *scheduler.GetScheduleOutput, now time.Time) []string {
	if g.State != "ENABLED" {
		return nil
	}
	e, err := schedule.Parse(aws.ToString(g.ScheduleExpression))
	if err != nil {
		return nil
	}
	zone := aws.ToString(g.ScheduleExpressionTimezone)
	if zone == "" {
		zone = "UTC"
	}
	loc, err := schedule.LoadZone(zone)
	if err != nil {
		return nil
	}
	b := schedule.Bounds{Start: aws.ToTime(g.StartDate), End: aws.ToTime(g.EndDate)}
	if e.Kind() == schedule.Rate && b.Start.IsZero() {
		b.Start = aws.ToTime(g.LastModificationDate)
		if b.Start.IsZero() {
			b.Start = aws.ToTime(g.CreationDate)
		}
	}
	var out []string
	for _, t := range e.Times(loc, now, 3, b) {
		out = append(out, t.Format("Mon 2006-01-02 15:04 MST"))
	}
	return out
}

func (s *session) dataStatus(ctx context.Context) ([]string, error) {
	var lines []string
	d, err := describeTable(ctx, s.cl.dynamo, s.c.Table)
	switch {
	case err != nil:
		return nil, err
	case d == nil:
		lines = append(lines, "table "+s.c.Table+": none (run apply)")
	default:
		lines = append(lines, fmt.Sprintf("table %s: %s, about %d items, %d bytes (DynamoDB updates these counts every few hours)",
			s.c.Table, d.TableStatus, aws.ToInt64(d.ItemCount), aws.ToInt64(d.TableSizeBytes)))
	}
	names := []string{s.n.signingKey()}
	if s.c.Sender == SenderSMTP {
		names = append(names, s.n.smtpSecret())
	}
	for _, name := range names {
		out, err := s.cl.secrets.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(name)})
		switch {
		case awserr.Is(err, "ResourceNotFoundException"):
			lines = append(lines, "secret "+name+": none (run apply)")
		case err != nil:
			return lines, err
		case out.DeletedDate != nil:
			lines = append(lines, fmt.Sprintf("secret %s: scheduled for deletion on %s (apply restores it)", name, stamp(out.DeletedDate)))
		default:
			lines = append(lines, fmt.Sprintf("secret %s: last changed %s", name, stamp(out.LastChangedDate)))
		}
	}
	return lines, nil
}

func stamp(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

func reason(r string) string {
	if r == "" {
		return ""
	}
	return " (" + r + ")"
}

func lastPart(arn string) string {
	if i := strings.LastIndex(arn, "/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	rgttypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/manga-alert-italia/mangaalert/internal/awserr"
	"github.com/manga-alert-italia/mangaalert/resource"
)

// Status is what runs in a stack, part by part, as one person reads it.
type Status struct {
	Stack, Region, Account string
	Sections               []Section
}

// Section is one part of a Status: its lines, or why it could not be
// read.
type Section struct {
	Title string
	Lines []string
	Err   error
}

// Write prints the status; a nil Status prints nothing.
func (st *Status) Write(w io.Writer) error {
	if st == nil {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Stack %q in %s, account %s\n", st.Stack, st.Region, st.Account)
	for _, s := range st.Sections {
		fmt.Fprintf(&b, "\n%s\n", s.Title)
		for _, l := range s.Lines {
			fmt.Fprintf(&b, "  %s\n", l)
		}
		if s.Err != nil {
			fmt.Fprintf(&b, "  (could not read: %v)\n", s.Err)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Status reads what runs in the stack: the instance, the services, the
// task definitions, the schedules with their next runs, the table and the
// secrets. It only reads. A part that cannot be read is reported in its
// Section, and the errors are returned joined, with the Status.
func (s *Stack) Status(ctx context.Context, stack string) (*Status, error) {
	if s.o.Offline {
		return nil, ErrOffline
	}
	account, err := s.accountID(ctx)
	if err != nil {
		return nil, err
	}
	st := &Status{Stack: stack, Region: s.o.Region, Account: account}
	var errs []error
	for _, part := range []struct {
		title string
		read  func(context.Context, string) ([]string, error)
	}{
		{"Network", s.networkStatus}, // issue 16: private subnets, NAT, jobs' group
		{"Instance (Auto Scaling group " + hostGroup(stack) + ")", s.instanceStatus},
		{"Services", s.serviceStatus},
		{"Load balancer", s.loadBalancerStatus},
		{"Scaling", s.autoscaleStatus},
		{"Task definitions", s.taskDefStatus},
		{"Schedules", s.scheduleStatus},
		{"Last runs", s.runStatus},
		{"Table and secrets", s.dataStatus},
		{"Alerts and mail", s.alertStatus},
	} {
		lines, err := part.read(ctx, stack)
		st.Sections = append(st.Sections, Section{Title: part.title, Lines: lines, Err: err})
		errs = append(errs, err)
	}
	return st, errors.Join(errs...)
}

func (s *Stack) instanceStatus(ctx context.Context, stack string) ([]string, error) {
	out, err := s.cl.asg.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{hostGroup(stack)}})
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

func (s *Stack) serviceStatus(ctx context.Context, stack string) ([]string, error) {
	list, err := s.cl.ecs.ListServices(ctx, &ecs.ListServicesInput{Cluster: aws.String(stack)})
	switch {
	case awserr.Is(err, "ClusterNotFoundException"):
		return []string{"not deployed (run apply)"}, nil
	case err != nil:
		return nil, err
	case len(list.ServiceArns) == 0:
		return []string{"not deployed (run apply)"}, nil
	}
	out, err := s.cl.ecs.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(stack), Services: list.ServiceArns})
	if err != nil {
		return nil, err
	}
	var lines []string
	for _, svc := range out.Services {
		if aws.ToString(svc.Status) == "INACTIVE" {
			continue
		}
		lines = append(lines, fmt.Sprintf("%s: %s: desired %d, running %d, pending %d; runs %s", aws.ToString(svc.ServiceName), aws.ToString(svc.Status),
			svc.DesiredCount, svc.RunningCount, svc.PendingCount, lastPart(aws.ToString(svc.TaskDefinition))))
		for _, d := range svc.Deployments {
			lines = append(lines, fmt.Sprintf("  deployment %s %s: %s, %d/%d running, updated %s%s", aws.ToString(d.Id), aws.ToString(d.Status),
				d.RolloutState, d.RunningCount, d.DesiredCount, stamp(d.UpdatedAt), parens(aws.ToString(d.RolloutStateReason))))
		}
		if len(svc.Events) > 0 {
			e := svc.Events[0]
			lines = append(lines, fmt.Sprintf("  last event %s: %s", stamp(e.CreatedAt), aws.ToString(e.Message)))
		}
	}
	if len(lines) == 0 {
		return []string{"not deployed (run apply)"}, nil
	}
	return lines, nil
}

func (s *Stack) taskDefStatus(ctx context.Context, stack string) ([]string, error) {
	fams, err := s.cl.ecs.ListTaskDefinitionFamilies(ctx, &ecs.ListTaskDefinitionFamiliesInput{
		FamilyPrefix: aws.String(stack + "-"), Status: ecstypes.TaskDefinitionFamilyStatusActive})
	if err != nil {
		return nil, err
	}
	var lines []string
	for _, fam := range fams.Families {
		out, err := s.cl.ecs.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(fam),
			Include: []ecstypes.TaskDefinitionField{ecstypes.TaskDefinitionFieldTags}})
		if awserr.Is(err, "ClientException") {
			continue
		} else if err != nil {
			return lines, err
		}
		td := out.TaskDefinition
		if td.Status != ecstypes.TaskDefinitionStatusActive || !slices.ContainsFunc(out.Tags, func(t ecstypes.Tag) bool {
			return aws.ToString(t.Key) == resource.TagStack && aws.ToString(t.Value) == stack
		}) {
			continue
		}
		image := ""
		if len(td.ContainerDefinitions) > 0 {
			image = aws.ToString(td.ContainerDefinitions[0].Image)
		}
		lines = append(lines, fmt.Sprintf("%s: revision %d, %s, registered %s", fam, td.Revision, image, stamp(td.RegisteredAt)))
	}
	if len(lines) == 0 {
		return []string{"none registered (run apply)"}, nil
	}
	return lines, nil
}

func (s *Stack) scheduleStatus(ctx context.Context, stack string) ([]string, error) {
	got, err := s.jobSchedules(ctx, stack)
	var lines []string
	for _, g := range got {
		target := ""
		if g.Target != nil && g.Target.EcsParameters != nil {
			target = "; runs " + lastPart(aws.ToString(g.Target.EcsParameters.TaskDefinitionArn)) + placementStatus(g.Target.EcsParameters)
		}
		zone := aws.ToString(g.ScheduleExpressionTimezone)
		if zone == "" {
			zone = "UTC"
		}
		line := fmt.Sprintf("%s: %s in %s, %s%s", aws.ToString(g.Name), aws.ToString(g.ScheduleExpression), zone, g.State, target)
		if next := nextRuns(g, zone, s.o.Now()); len(next) > 0 {
			line += "; next " + strings.Join(next, ", ")
		}
		lines = append(lines, line)
	}
	if len(lines) == 0 && err == nil {
		lines = []string{"none (run apply)"}
	}
	return lines, err
}

func (s *Stack) dataStatus(ctx context.Context, stack string) ([]string, error) {
	var lines []string
	tables, err := s.cl.tagging.GetResources(ctx, &resourcegroupstaggingapi.GetResourcesInput{
		ResourceTypeFilters: []string{"dynamodb:table"},
		TagFilters:          []rgttypes.TagFilter{{Key: aws.String(resource.TagStack), Values: []string{stack}}}})
	if err != nil {
		return nil, err
	}
	for _, r := range tables.ResourceTagMappingList {
		arn := aws.ToString(r.ResourceARN)
		d, err := s.describeTable(ctx, lastPart(arn))
		switch {
		case err != nil:
			return lines, err
		case d != nil:
			lines = append(lines, fmt.Sprintf("table %s: %s, about %d items, %d bytes (DynamoDB updates these counts every few hours)",
				aws.ToString(d.TableName), d.TableStatus, aws.ToInt64(d.ItemCount), aws.ToInt64(d.TableSizeBytes)))
		}
	}
	pages := secretsmanager.NewListSecretsPaginator(s.cl.secrets, &secretsmanager.ListSecretsInput{IncludePlannedDeletion: aws.Bool(true)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return lines, err
		}
		for _, e := range page.SecretList {
			if !slices.ContainsFunc(e.Tags, func(t smtypes.Tag) bool {
				return aws.ToString(t.Key) == resource.TagStack && aws.ToString(t.Value) == stack
			}) {
				continue
			}
			if e.DeletedDate != nil {
				lines = append(lines, fmt.Sprintf("secret %s: scheduled for deletion on %s (apply restores it)", aws.ToString(e.Name), stamp(e.DeletedDate)))
			} else {
				lines = append(lines, fmt.Sprintf("secret %s: last changed %s", aws.ToString(e.Name), stamp(e.LastChangedDate)))
			}
		}
	}
	if len(lines) == 0 {
		lines = []string{"none (run apply)"}
	}
	return lines, nil
}

func stamp(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

func parens(r string) string {
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

// runStatus reads each scheduled job's last runs through Options.Runs.
func (s *Stack) runStatus(ctx context.Context, stack string) ([]string, error) {
	if s.o.Runs == nil {
		return []string{"not read (no store given)"}, nil
	}
	got, err := s.jobSchedules(ctx, stack)
	if err != nil {
		return nil, err
	}
	var lines []string
	for _, g := range got {
		l, err := s.o.Runs(ctx, aws.ToString(g.Name))
		lines = append(lines, l...)
		if err != nil {
			return lines, err
		}
	}
	if len(got) == 0 {
		lines = []string{"no job scheduled (run apply)"}
	}
	return lines, nil
}

package schedule

import (
	"maps"
	"slices"

	"github.com/manga-alert-italia/mangaalert/iampolicy"
	"github.com/manga-alert-italia/mangaalert/resource"
)

// PolicyName is the name of the scheduler role's one inline policy.
const PolicyName = "run-scheduled-tasks"

// trustPolicy lets EventBridge Scheduler assume the role, for schedules of
// this account's group only: aws:SourceAccount and aws:SourceArn guard
// against the confused deputy, as recommended in
// https://docs.aws.amazon.com/scheduler/latest/UserGuide/cross-service-confused-deputy-prevention.html
// (SourceArn is the schedule group's ARN).
func (r *resolved) trustPolicy() iampolicy.Document {
	return iampolicy.New(iampolicy.Statement{
		Sid:       "SchedulerOfThisGroup",
		Effect:    iampolicy.Allow,
		Principal: map[string]iampolicy.Strings{"Service": {"scheduler.amazonaws.com"}},
		Action:    iampolicy.Strings{"sts:AssumeRole"},
		Condition: map[string]map[string]iampolicy.Strings{
			"StringEquals": {
				"aws:SourceAccount": {r.account},
				"aws:SourceArn":     {r.groupARN},
			},
		},
	})
}

// permissions is what a schedule needs to start the jobs' tasks and
// nothing more: RunTask on the jobs' task definition families in the one
// cluster, PassRole on exactly the execution role and the jobs' task roles
// and only to ECS tasks, TagResource on the cluster's new tasks (for the propagated and
// set tags, and only while they are created by RunTask), and SendMessage
// on the dead-letter queue when there is one. No "*" resource or action.
func (r *resolved) permissions() iampolicy.Document {
	var families iampolicy.Strings
	for _, f := range r.families() {
		families = append(families, resource.ARNIn(r.partition, "ecs", r.region, r.account, "task-definition/"+f+":*"))
	}
	roles := iampolicy.Strings(r.passRoles())
	d := iampolicy.New(
		iampolicy.Statement{
			Sid:       "RunTheJobsTasks",
			Effect:    iampolicy.Allow,
			Action:    iampolicy.Strings{"ecs:RunTask"},
			Resource:  families,
			Condition: map[string]map[string]iampolicy.Strings{"ArnEquals": {"ecs:cluster": {r.ClusterARN}}},
		},
		iampolicy.Statement{
			Sid:       "PassTheTaskRoles",
			Effect:    iampolicy.Allow,
			Action:    iampolicy.Strings{"iam:PassRole"},
			Resource:  roles,
			Condition: map[string]map[string]iampolicy.Strings{"StringEquals": {"iam:PassedToService": {"ecs-tasks.amazonaws.com"}}},
		},
		iampolicy.Statement{
			// Every job propagates its task definition's tags and sets its
			// own, which RunTask needs ecs:TagResource for.
			Sid:       "TagTheNewTasks",
			Effect:    iampolicy.Allow,
			Action:    iampolicy.Strings{"ecs:TagResource"},
			Resource:  iampolicy.Strings{resource.ARNIn(r.partition, "ecs", r.region, r.account, "task/"+r.clusterName+"/*")},
			Condition: map[string]map[string]iampolicy.Strings{"StringEquals": {"ecs:CreateAction": {"RunTask"}}},
		},
	)
	if r.queueARN != "" {
		d.Statement = append(d.Statement, iampolicy.Statement{
			Sid:      "DeadLetters",
			Effect:   iampolicy.Allow,
			Action:   iampolicy.Strings{"sqs:SendMessage"},
			Resource: iampolicy.Strings{r.queueARN},
		})
	}
	return d
}

// policies are the role's policies as Plan reports them: the inline
// policy under the role's name, the trust policy as "ROLE (trust)", the
// names ecshost's Plan gives its roles' policies.
func (r *resolved) policies() map[string]iampolicy.Document {
	return map[string]iampolicy.Document{
		r.role:              r.permissions(),
		r.role + " (trust)": r.trustPolicy(),
	}
}

// checkPolicies runs the role's policies through the least-privilege
// check. They are made from the Spec alone, so resolve refuses a policy
// too broad before any call, with a *iampolicy.FindingsError.
func (r *resolved) checkPolicies() error {
	policies := r.policies()
	var findings []iampolicy.Finding
	for _, name := range slices.Sorted(maps.Keys(policies)) {
		findings = append(findings, iampolicy.Check(name, policies[name])...)
	}
	return iampolicy.Err(findings)
}

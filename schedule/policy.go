package schedule

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// PolicyName is the name of the scheduler role's one inline policy.
const PolicyName = "run-scheduled-tasks"

// Policy is an IAM policy document. It reads both the one-string and the
// list forms AWS allows for Action and Resource and condition values, and
// writes lists, so two documents compare by their meaning.
type Policy struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one statement of a Policy.
type Statement struct {
	Sid       string                     `json:"Sid,omitempty"`
	Effect    string                     `json:"Effect"`
	Principal map[string]List            `json:"Principal,omitempty"`
	Action    List                       `json:"Action"`
	Resource  List                       `json:"Resource,omitempty"`
	Condition map[string]map[string]List `json:"Condition,omitempty"`
}

// List is a JSON string or list of strings: IAM takes either.
type List []string

// UnmarshalJSON reads a string as a list of one.
func (s *List) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = List{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*s = many
	return nil
}

// ParsePolicy reads a policy document as IAM returns it: JSON, possibly
// URL-encoded (GetRole and GetRolePolicy encode it).
func ParsePolicy(doc string) (*Policy, error) {
	if !strings.HasPrefix(strings.TrimSpace(doc), "{") {
		dec, err := url.QueryUnescape(doc)
		if err != nil {
			return nil, fmt.Errorf("policy document: %w", err)
		}
		doc = dec
	}
	var p Policy
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		return nil, fmt.Errorf("policy document: %w", err)
	}
	return &p, nil
}

// canonical is p with its lists sorted, for comparison.
func (p *Policy) canonical() string {
	c := Policy{Version: p.Version}
	for _, s := range p.Statement {
		s.Action = sortedCopy(s.Action)
		s.Resource = sortedCopy(s.Resource)
		if s.Principal != nil {
			pr := map[string]List{}
			for k, v := range s.Principal {
				pr[k] = sortedCopy(v)
			}
			s.Principal = pr
		}
		if s.Condition != nil {
			cond := map[string]map[string]List{}
			for op, kv := range s.Condition {
				cond[op] = map[string]List{}
				for k, v := range kv {
					cond[op][k] = sortedCopy(v)
				}
			}
			s.Condition = cond
		}
		c.Statement = append(c.Statement, s)
	}
	slices.SortFunc(c.Statement, func(a, b Statement) int { return strings.Compare(a.Sid, b.Sid) })
	b, _ := json.Marshal(c) // maps marshal with sorted keys
	return string(b)
}

// Equal reports whether p and q say the same thing (up to order).
func (p *Policy) Equal(q *Policy) bool { return p.canonical() == q.canonical() }

// JSON is the document as IAM takes it.
func (p *Policy) JSON() string {
	b, _ := json.Marshal(p)
	return string(b)
}

func sortedCopy(s List) List {
	if s == nil {
		return nil
	}
	c := slices.Clone(s)
	slices.Sort(c)
	return slices.Compact(c)
}

// trustPolicy lets EventBridge Scheduler assume the role, for schedules of
// this account's group only: aws:SourceAccount and aws:SourceArn guard
// against the confused deputy, as recommended in
// https://docs.aws.amazon.com/scheduler/latest/UserGuide/cross-service-confused-deputy-prevention.html
// (SourceArn is the schedule group's ARN).
func (r *resolved) trustPolicy() *Policy {
	return &Policy{Version: "2012-10-17", Statement: []Statement{{
		Sid:       "SchedulerOfThisGroup",
		Effect:    "Allow",
		Principal: map[string]List{"Service": {"scheduler.amazonaws.com"}},
		Action:    List{"sts:AssumeRole"},
		Condition: map[string]map[string]List{
			"StringEquals": {
				"aws:SourceAccount": {r.account},
				"aws:SourceArn":     {r.groupARN},
			},
		},
	}}}
}

// permissions is what a schedule needs to start the jobs' tasks and
// nothing more: RunTask on the jobs' task definition families in the one
// cluster, PassRole on exactly the execution and task roles and only to
// ECS tasks, TagResource on the cluster's new tasks (for the propagated and
// set tags, and only while they are created by RunTask), and SendMessage
// on the dead-letter queue when there is one. No "*" resource or action.
func (r *resolved) permissions() *Policy {
	var families List
	for _, f := range r.families() {
		families = append(families, fmt.Sprintf("arn:%s:ecs:%s:%s:task-definition/%s:*", r.partition, r.region, r.account, f))
	}
	roles := List{r.ExecutionRoleARN}
	if r.TaskRoleARN != "" && r.TaskRoleARN != r.ExecutionRoleARN {
		roles = append(roles, r.TaskRoleARN)
	}
	p := &Policy{Version: "2012-10-17", Statement: []Statement{
		{
			Sid:       "RunTheJobsTasks",
			Effect:    "Allow",
			Action:    List{"ecs:RunTask"},
			Resource:  families,
			Condition: map[string]map[string]List{"ArnEquals": {"ecs:cluster": {r.ClusterARN}}},
		},
		{
			Sid:       "PassTheTaskRoles",
			Effect:    "Allow",
			Action:    List{"iam:PassRole"},
			Resource:  roles,
			Condition: map[string]map[string]List{"StringEquals": {"iam:PassedToService": {"ecs-tasks.amazonaws.com"}}},
		},
		{
			// Every job propagates its task definition's tags and sets its
			// own, which RunTask needs ecs:TagResource for.
			Sid:       "TagTheNewTasks",
			Effect:    "Allow",
			Action:    List{"ecs:TagResource"},
			Resource:  List{fmt.Sprintf("arn:%s:ecs:%s:%s:task/%s/*", r.partition, r.region, r.account, r.clusterName)},
			Condition: map[string]map[string]List{"StringEquals": {"ecs:CreateAction": {"RunTask"}}},
		},
	}}
	if r.queueARN != "" {
		p.Statement = append(p.Statement, Statement{
			Sid:      "DeadLetters",
			Effect:   "Allow",
			Action:   List{"sqs:SendMessage"},
			Resource: List{r.queueARN},
		})
	}
	return p
}

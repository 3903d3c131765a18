package schedule

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/iampolicy"
	"github.com/manga-alert-italia/mangaalert/internal/awserr"
	"github.com/manga-alert-italia/mangaalert/internal/engine"
)

// observedRole is the scheduler role as found.
type observedRole struct {
	exists   bool
	arn      string
	tags     map[string]string
	trust    iampolicy.Document // zero when unreadable: rewritten
	policy   iampolicy.Document // zero when unreadable: rewritten
	inlined  bool               // the inline policy PolicyName exists
	inline   []string           // the names of every inline policy
	attached []iamtypes.AttachedPolicy
}

// readRole reads a role of the stack, its policies and what is attached;
// a role of that name without the stack's tags is an error wrapping
// resource.ErrNotOurs.
func (s *Schedules) readRole(ctx context.Context, name, stack string) (observedRole, error) {
	g, err := s.c.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	switch {
	case awserr.Is(err, "NoSuchEntity"):
		return observedRole{}, nil
	case err != nil:
		return observedRole{}, fmt.Errorf("get role %q: %w", name, err)
	}
	o := observedRole{exists: true, arn: aws.ToString(g.Role.Arn), tags: map[string]string{}}
	for _, t := range g.Role.Tags {
		o.tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	if !ours(o.tags, stack) {
		return observedRole{}, notOurs(kindRole, name, stack)
	}
	// A document we cannot read stays zero, so it differs and is rewritten.
	o.trust, _ = iampolicy.Parse(aws.ToString(g.Role.AssumeRolePolicyDocument))
	p, err := s.c.IAM.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(PolicyName)})
	switch {
	case awserr.Is(err, "NoSuchEntity"):
	case err != nil:
		return observedRole{}, fmt.Errorf("get policy %s of role %q: %w", PolicyName, name, err)
	default:
		o.inlined = true
		o.policy, _ = iampolicy.Parse(aws.ToString(p.PolicyDocument))
	}
	for pager := iam.NewListRolePoliciesPaginator(s.c.IAM, &iam.ListRolePoliciesInput{RoleName: aws.String(name)}); pager.HasMorePages(); {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return observedRole{}, fmt.Errorf("list policies of role %q: %w", name, err)
		}
		o.inline = append(o.inline, page.PolicyNames...)
	}
	for pager := iam.NewListAttachedRolePoliciesPaginator(s.c.IAM, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(name)}); pager.HasMorePages(); {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return observedRole{}, fmt.Errorf("list attached policies of role %q: %w", name, err)
		}
		o.attached = append(o.attached, page.AttachedPolicies...)
	}
	return o, nil
}

// roleSteps make the scheduler role as the spec says: the role with its
// trust policy and tags, its one inline policy, and nothing else on it
// (anything else widens what a schedule may do, so it goes).
func (rn *run) roleSteps() []engine.Step {
	steps := []engine.Step{rn.roleStep(), rn.rolePolicyStep()}
	r, o := rn.r, rn.role
	for _, p := range o.inline {
		if p == PolicyName {
			continue
		}
		steps = append(steps, rn.s.deleteRolePolicyStep(r.role, p, "not one of this package's"))
	}
	for _, p := range o.attached {
		steps = append(steps, rn.s.detachStep(r.role, p))
	}
	return steps
}

// roleStep creates the role, or fixes its trust policy and tags.
func (rn *run) roleStep() engine.Step {
	r, o := rn.r, rn.role
	trust := r.trustPolicy()
	if !o.exists {
		details := []string{"trusted by scheduler.amazonaws.com from " + r.groupARN, "tags: " + formatTags(r.tags)}
		return newStep(change.Create, kindRole, r.role, "", details, func(ctx context.Context) error {
			rn.roleChanged = true
			_, err := rn.s.c.IAM.CreateRole(ctx, &iam.CreateRoleInput{
				RoleName:                 aws.String(r.role),
				AssumeRolePolicyDocument: aws.String(trust.JSON()),
				Description:              aws.String(fmt.Sprintf("EventBridge Scheduler starts the ECS tasks of stack %s", r.Stack)),
				Tags:                     iamTags(r.tags),
			})
			return err
		})
	}
	var details []string
	trustChanged := !iampolicy.Equal(o.trust, trust)
	if trustChanged {
		details = append(details, "trust policy: "+trust.JSON())
	}
	tags := missingTags(o.tags, r.tags)
	if len(tags) > 0 {
		details = append(details, "tags: "+formatTags(tags))
	}
	if len(details) == 0 {
		return keep(kindRole, r.role, o.arn)
	}
	return newStep(change.Update, kindRole, r.role, o.arn, details, func(ctx context.Context) error {
		if trustChanged {
			rn.roleChanged = true
			if _, err := rn.s.c.IAM.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String(r.role), PolicyDocument: aws.String(trust.JSON())}); err != nil {
				return err
			}
		}
		if len(tags) > 0 {
			if _, err := rn.s.c.IAM.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String(r.role), Tags: iamTags(tags)}); err != nil {
				return err
			}
		}
		return nil
	})
}

// rolePolicyStep writes the role's one inline policy when it differs.
func (rn *run) rolePolicyStep() engine.Step {
	r, o := rn.r, rn.role
	name := r.role + "/" + PolicyName
	perms := r.permissions()
	if o.inlined && iampolicy.Equal(o.policy, perms) {
		return keep(kindRolePolicy, name, "")
	}
	a := change.Create
	if o.inlined {
		a = change.Update
	}
	return newStep(a, kindRolePolicy, name, "", []string{perms.JSON()}, func(ctx context.Context) error {
		rn.roleChanged = true
		_, err := rn.s.c.IAM.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(r.role), PolicyName: aws.String(PolicyName), PolicyDocument: aws.String(perms.JSON())})
		return err
	})
}

// goneOK treats a policy or role already gone as deleted.
func goneOK(err error) error {
	if awserr.Is(err, "NoSuchEntity") {
		return nil
	}
	return err
}

func (s *Schedules) deleteRolePolicyStep(role, policy, why string) engine.Step {
	var details []string
	if why != "" {
		details = []string{why}
	}
	return newStep(change.Delete, kindRolePolicy, role+"/"+policy, "", details, func(ctx context.Context) error {
		_, err := s.c.IAM.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String(policy)})
		return goneOK(err)
	})
}

func (s *Schedules) detachStep(role string, p iamtypes.AttachedPolicy) engine.Step {
	return newStep(change.Delete, kindAttachedPolicy, role+"/"+aws.ToString(p.PolicyName), aws.ToString(p.PolicyArn),
		[]string{"detach " + aws.ToString(p.PolicyArn)}, func(ctx context.Context) error {
			_, err := s.c.IAM.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(role), PolicyArn: p.PolicyArn})
			return goneOK(err)
		})
}

// deleteRoleSteps empty the role of its policies (IAM refuses to delete a
// role that has any) and delete it.
func (s *Schedules) deleteRoleSteps(ctx context.Context, name, stack string) ([]engine.Step, error) {
	o, err := s.readRole(ctx, name, stack)
	if err != nil || !o.exists {
		return nil, err
	}
	var steps []engine.Step
	for _, p := range o.inline {
		steps = append(steps, s.deleteRolePolicyStep(name, p, ""))
	}
	for _, p := range o.attached {
		steps = append(steps, s.detachStep(name, p))
	}
	return append(steps, newStep(change.Delete, kindRole, name, o.arn, nil, func(ctx context.Context) error {
		_, err := s.c.IAM.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(name)})
		return goneOK(err)
	})), nil
}

func iamTags(m map[string]string) []iamtypes.Tag {
	var out []iamtypes.Tag
	for _, k := range sortedKeys(m) {
		out = append(out, iamtypes.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}

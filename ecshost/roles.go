package ecshost

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/manga-alert-italia/mangaalert/iampolicy"
	"github.com/manga-alert-italia/mangaalert/internal/awserr"
	"github.com/manga-alert-italia/mangaalert/internal/engine"
	"github.com/manga-alert-italia/mangaalert/resource"
)

// roleSpec is one role as this package wants it.
type roleSpec struct {
	name        string
	description string
	trust       iampolicy.Document
	policyName  string
	policy      iampolicy.Document
	// managed lists the managed policies attached; nil means the package
	// does not manage attachments of this role.
	managed []string
}

// observedRole is a role as it is: nil fields when unreadable or absent.
type observedRole struct {
	role     *iamtypes.Role
	policy   *iampolicy.Document // the inline policy of the role's spec
	attached []string            // managed policy ARNs, read when the spec manages them
}

// roleSteps ensures the three kinds of role and the instance profile: the
// instance role (the ECS agent on the host), the task execution role (the
// agent starting containers: images, logs, secrets) and one task role per
// container with a TaskPolicy (what the application itself may do).
func (r *run) roleSteps(ctx context.Context) ([]engine.Step, error) {
	specs := r.roleSpecs(r.allocationID())
	var steps []engine.Step
	for _, rs := range specs {
		r.policies[rs.name] = rs.policy
		r.policies[rs.name+" (trust)"] = rs.trust
		s, err := r.roleStep(ctx, rs)
		if err != nil {
			return nil, err
		}
		steps = append(steps, s)
	}
	s, err := r.instanceProfileStep(ctx)
	if err != nil {
		return nil, err
	}
	steps = append(steps, s)
	stale, err := r.staleRoleSteps(ctx, specs)
	if err != nil {
		return nil, err
	}
	return append(steps, stale...), nil
}

// roleSpecs are the roles of the Spec; allocation is the Elastic IP the
// instance role may associate.
func (r *run) roleSpecs(allocation string) []roleSpec {
	managed := []string{}
	if r.spec.SessionManager {
		managed = append(managed, r.n.ssmManagedPolicy())
	}
	specs := []roleSpec{
		{name: r.n.instanceRole(), description: "ECS agent on the " + r.n.stack + " host",
			trust: trustEC2(), policyName: instancePolicyName, policy: instancePolicy(r.n, allocation), managed: managed},
		{name: r.n.executionRole(), description: "ECS task execution for " + r.n.stack + ": images, logs, secrets",
			trust: trustECSTasks(r.n), policyName: executionPolicyName, policy: executionPolicy(r.n, r.spec)},
	}
	for _, c := range r.spec.containers() {
		if c.TaskPolicy.IsZero() {
			continue
		}
		specs = append(specs, roleSpec{name: r.n.taskRole(c.Name), description: "the " + c.Name + " task of " + r.n.stack,
			trust: trustECSTasks(r.n), policyName: taskPolicyName, policy: c.TaskPolicy})
	}
	return specs
}

// roleSpec is the role named so as it is when an Apply runs: the instance
// policy then names the address an earlier step allocated.
func (r *run) roleSpec(name string) roleSpec {
	for _, rs := range r.roleSpecs(r.allocationID()) {
		if rs.name == name {
			return rs
		}
	}
	panic("ecshost: no role " + name)
}

// roleStep diffs one role, its trust policy, its inline policy and, when
// managed is not nil, exactly those managed policies.
func (r *run) roleStep(ctx context.Context, rs roleSpec) (engine.Step, error) {
	o, err := r.observeRole(ctx, rs)
	if err != nil {
		return engine.Step{}, err
	}
	if o.role == nil {
		return create(kindRole, rs.name, []string{"inline policy " + rs.policyName}, func(ctx context.Context) error {
			return r.createRole(ctx, r.roleSpec(rs.name))
		}), nil
	}
	role := o.role
	have := tagMap(role.Tags)
	if !r.n.ours(have) {
		return engine.Step{}, notOurs("role", rs.name)
	}
	if aws.ToString(role.Path) != r.n.rolePath() {
		return engine.Step{}, fmt.Errorf("role %q has path %q, want %q; delete it so it can be made again", rs.name, aws.ToString(role.Path), r.n.rolePath())
	}
	iamc := r.h.c.IAM
	var e edits
	if trust, err := iampolicy.Parse(aws.ToString(role.AssumeRolePolicyDocument)); err != nil || !iampolicy.Equal(trust, rs.trust) {
		e.add("trust policy", func(ctx context.Context) error {
			_, err := iamc.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String(rs.name), PolicyDocument: aws.String(rs.trust.JSON())})
			if err != nil {
				return fmt.Errorf("update trust policy of role %q: %w", rs.name, err)
			}
			return nil
		})
	}
	if tags := missingTags(r.tags(), have); len(tags) > 0 {
		e.add("tags", func(ctx context.Context) error {
			if _, err := iamc.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String(rs.name), Tags: iamTags(tags)}); err != nil {
				return fmt.Errorf("tag role %q: %w", rs.name, err)
			}
			return nil
		})
	}
	if o.policy == nil || !iampolicy.Equal(*o.policy, rs.policy) {
		e.add("inline policy "+rs.policyName, func(ctx context.Context) error { return r.h.putRolePolicy(ctx, r.roleSpec(rs.name)) })
	}
	if rs.managed != nil {
		r.attachments(rs, o.attached, &e)
	}
	return e.step(kindRole, rs.name, aws.ToString(role.Arn)), nil
}

// observeRole reads a role, its inline policy and, when its spec manages
// them, its attached policies.
func (r *run) observeRole(ctx context.Context, rs roleSpec) (observedRole, error) {
	var o observedRole
	if r.offline {
		return o, nil
	}
	iamc := r.h.c.IAM
	got, err := iamc.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(rs.name)})
	if awserr.Is(err, "NoSuchEntity") {
		return o, nil
	}
	if err != nil {
		return o, fmt.Errorf("get role %q: %w", rs.name, err)
	}
	o.role = got.Role
	pol, err := iamc.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(rs.name), PolicyName: aws.String(rs.policyName)})
	switch {
	case awserr.Is(err, "NoSuchEntity"):
	case err != nil:
		return o, fmt.Errorf("get policy %q of role %q: %w", rs.policyName, rs.name, err)
	default:
		if doc, err := iampolicy.Parse(aws.ToString(pol.PolicyDocument)); err == nil {
			o.policy = &doc
		}
	}
	if rs.managed == nil {
		return o, nil
	}
	out, err := iamc.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(rs.name)})
	if err != nil {
		return o, fmt.Errorf("list policies of role %q: %w", rs.name, err)
	}
	for _, p := range out.AttachedPolicies {
		o.attached = append(o.attached, aws.ToString(p.PolicyArn))
	}
	return o, nil
}

func (r *run) createRole(ctx context.Context, rs roleSpec) error {
	iamc := r.h.c.IAM
	_, err := iamc.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName:                 aws.String(rs.name),
		Path:                     aws.String(r.n.rolePath()),
		Description:              aws.String(rs.description),
		AssumeRolePolicyDocument: aws.String(rs.trust.JSON()),
		Tags:                     iamTags(r.tags()),
	})
	if err != nil {
		return fmt.Errorf("create role %q: %w", rs.name, err)
	}
	if err := r.h.putRolePolicy(ctx, rs); err != nil {
		return err
	}
	for _, p := range rs.managed {
		if _, err := iamc.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(rs.name), PolicyArn: aws.String(p)}); err != nil {
			return fmt.Errorf("attach %s to role %q: %w", p, rs.name, err)
		}
	}
	return nil
}

// attachments makes the role's managed policies exactly rs.managed.
func (r *run) attachments(rs roleSpec, have []string, e *edits) {
	iamc := r.h.c.IAM
	for _, p := range rs.managed {
		if slices.Contains(have, p) {
			continue
		}
		e.add("attach "+p, func(ctx context.Context) error {
			if _, err := iamc.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(rs.name), PolicyArn: aws.String(p)}); err != nil {
				return fmt.Errorf("attach %s to role %q: %w", p, rs.name, err)
			}
			return nil
		})
	}
	for _, p := range have {
		if slices.Contains(rs.managed, p) {
			continue
		}
		e.add("detach "+p, func(ctx context.Context) error {
			if _, err := iamc.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(rs.name), PolicyArn: aws.String(p)}); err != nil {
				return fmt.Errorf("detach %s from role %q: %w", p, rs.name, err)
			}
			return nil
		})
	}
}

func (h *Host) putRolePolicy(ctx context.Context, rs roleSpec) error {
	_, err := h.c.IAM.PutRolePolicy(ctx, &iam.PutRolePolicyInput{
		RoleName: aws.String(rs.name), PolicyName: aws.String(rs.policyName), PolicyDocument: aws.String(rs.policy.JSON()),
	})
	if err != nil {
		return fmt.Errorf("put policy %q on role %q: %w", rs.policyName, rs.name, err)
	}
	return nil
}

// instanceProfileStep ensures the profile that carries the instance role.
func (r *run) instanceProfileStep(ctx context.Context) (engine.Step, error) {
	name, role := r.n.instanceProfile(), r.n.instanceRole()
	iamc := r.h.c.IAM
	var p *iamtypes.InstanceProfile
	if !r.offline {
		got, err := iamc.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(name)})
		switch {
		case awserr.Is(err, "NoSuchEntity"):
		case err != nil:
			return engine.Step{}, fmt.Errorf("get instance profile %q: %w", name, err)
		default:
			p = got.InstanceProfile
		}
	}
	if p == nil {
		return create(kindInstanceProfile, name, []string{"with role " + role}, func(ctx context.Context) error {
			out, err := iamc.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{
				InstanceProfileName: aws.String(name), Path: aws.String(r.n.rolePath()), Tags: iamTags(r.tags()),
			})
			if err != nil {
				return fmt.Errorf("create instance profile %q: %w", name, err)
			}
			r.st.InstanceProfileARN = aws.ToString(out.InstanceProfile.Arn)
			return r.h.addRoleToProfile(ctx, name, role)
		}), nil
	}
	r.st.InstanceProfileARN = aws.ToString(p.Arn)
	if aws.ToString(p.Path) != r.n.rolePath() {
		return engine.Step{}, fmt.Errorf("instance profile %q has path %q, not this stack's %q: %w; delete it or choose another Stack",
			name, aws.ToString(p.Path), r.n.rolePath(), resource.ErrNotOurs)
	}
	var e edits
	hasRole := false
	for _, pr := range p.Roles {
		if aws.ToString(pr.RoleName) == role {
			hasRole = true
			continue
		}
		e.add("remove role "+aws.ToString(pr.RoleName), func(ctx context.Context) error {
			if _, err := iamc.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{
				InstanceProfileName: aws.String(name), RoleName: pr.RoleName}); err != nil {
				return fmt.Errorf("remove role %q from instance profile %q: %w", aws.ToString(pr.RoleName), name, err)
			}
			return nil
		})
	}
	if !hasRole {
		e.add("add role "+role, func(ctx context.Context) error { return r.h.addRoleToProfile(ctx, name, role) })
	}
	return e.step(kindInstanceProfile, name, r.st.InstanceProfileARN), nil
}

func (h *Host) addRoleToProfile(ctx context.Context, profile, role string) error {
	_, err := h.c.IAM.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String(profile), RoleName: aws.String(role)})
	if err != nil {
		return fmt.Errorf("add role %q to instance profile %q: %w", role, profile, err)
	}
	return nil
}

// staleRoleSteps deletes task roles of this stack whose container is gone
// or no longer has a TaskPolicy.
func (r *run) staleRoleSteps(ctx context.Context, keep []roleSpec) ([]engine.Step, error) {
	if r.offline {
		return nil, nil
	}
	roles, err := r.h.stackRoles(ctx, r.n)
	if err != nil {
		return nil, err
	}
	var steps []engine.Step
	for _, role := range roles {
		name := aws.ToString(role.RoleName)
		if slices.ContainsFunc(keep, func(rs roleSpec) bool { return rs.name == name }) || !strings.HasPrefix(name, r.n.taskRole("")) {
			continue
		}
		ours, err := r.h.roleIsOurs(ctx, r.n, name)
		if err != nil {
			return nil, err
		}
		if !ours {
			continue
		}
		steps = append(steps, remove(kindRole, name, aws.ToString(role.Arn), "its container has no TaskPolicy any more",
			func(ctx context.Context) error { return r.h.deleteRole(ctx, name) }))
	}
	return steps, nil
}

// stackRoles lists the roles under the stack's path.
func (h *Host) stackRoles(ctx context.Context, n names) ([]iamtypes.Role, error) {
	var roles []iamtypes.Role
	p := iam.NewListRolesPaginator(h.c.IAM, &iam.ListRolesInput{PathPrefix: aws.String(n.rolePath())})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list roles under %s: %w", n.rolePath(), err)
		}
		roles = append(roles, out.Roles...)
	}
	return roles, nil
}

// roleIsOurs reads a role's tags (ListRoles does not return them).
func (h *Host) roleIsOurs(ctx context.Context, n names, name string) (bool, error) {
	got, err := h.c.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	if awserr.Is(err, "NoSuchEntity") {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("get role %q: %w", name, err)
	}
	return n.ours(tagMap(got.Role.Tags)), nil
}

// deleteRole deletes a role after its inline and attached policies.
func (h *Host) deleteRole(ctx context.Context, name string) error {
	iamc := h.c.IAM
	inline, err := iamc.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String(name)})
	if err != nil {
		return fmt.Errorf("list inline policies of role %q: %w", name, err)
	}
	for _, p := range inline.PolicyNames {
		if _, err := iamc.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(p)}); err != nil && !awserr.Is(err, "NoSuchEntity") {
			return fmt.Errorf("delete policy %q of role %q: %w", p, name, err)
		}
	}
	attached, err := iamc.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(name)})
	if err != nil {
		return fmt.Errorf("list policies of role %q: %w", name, err)
	}
	for _, p := range attached.AttachedPolicies {
		if _, err := iamc.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(name), PolicyArn: p.PolicyArn}); err != nil && !awserr.Is(err, "NoSuchEntity") {
			return fmt.Errorf("detach %s from role %q: %w", aws.ToString(p.PolicyArn), name, err)
		}
	}
	if _, err := iamc.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(name)}); err != nil && !awserr.Is(err, "NoSuchEntity") {
		return fmt.Errorf("delete role %q: %w", name, err)
	}
	return nil
}

func iamTags(m map[string]string) []iamtypes.Tag {
	var out []iamtypes.Tag
	for _, k := range sortedKeys(m) {
		out = append(out, iamtypes.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}

func tagMap(tags []iamtypes.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

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

// roles ensures the three kinds of role and the instance profile: the
// instance role (the ECS agent on the host), the task execution role (the
// agent starting containers: images, logs, secrets) and one task role per
// container with a TaskPolicy (what the application itself may do).
func (r *run) roles(ctx context.Context) error {
	specs := r.roleSpecs()
	for _, rs := range specs {
		r.policies[rs.name] = rs.policy
		r.policies[rs.name+" (trust)"] = rs.trust
		arn, err := r.role(ctx, rs)
		if err != nil {
			return err
		}
		switch {
		case rs.name == r.n.instanceRole():
			r.st.InstanceRoleARN = arn
		case rs.name == r.n.executionRole():
			r.st.ExecutionRoleARN = arn
		default:
			r.st.TaskRoleARNs[strings.TrimPrefix(rs.name, r.n.taskRole(""))] = arn
		}
	}
	if err := r.instanceProfile(ctx); err != nil {
		return err
	}
	return r.staleRoles(ctx, specs)
}

func (r *run) roleSpecs() []roleSpec {
	managed := []string{}
	if r.spec.SessionManager {
		managed = append(managed, SSMManagedPolicy)
	}
	specs := []roleSpec{
		{name: r.n.instanceRole(), description: "ECS agent on the " + r.n.stack + " host",
			trust: trustEC2(), policyName: instancePolicyName, policy: instancePolicy(r.n, r.st.ElasticIPAllocationID), managed: managed},
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

// role ensures one role, its trust policy, its inline policy and, when
// managed is not nil, exactly those managed policies. It returns the ARN.
func (r *run) role(ctx context.Context, rs roleSpec) (string, error) {
	want := r.n.roleARN(rs.name)
	if r.offline {
		r.add("role", rs.name, Create, "inline policy "+rs.policyName)
		return want, nil
	}
	iamc := r.h.c.IAM
	got, err := iamc.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(rs.name)})
	if awserr.Is(err, "NoSuchEntity") {
		r.add("role", rs.name, Create, "inline policy "+rs.policyName)
		if !r.apply {
			return want, nil
		}
		out, err := iamc.CreateRole(ctx, &iam.CreateRoleInput{
			RoleName:                 aws.String(rs.name),
			Path:                     aws.String(r.n.rolePath()),
			Description:              aws.String(rs.description),
			AssumeRolePolicyDocument: aws.String(rs.trust.JSON()),
			Tags:                     iamTags(r.tags()),
		})
		if err != nil {
			return "", fmt.Errorf("create role %q: %w", rs.name, err)
		}
		if err := r.h.putRolePolicy(ctx, rs); err != nil {
			return "", err
		}
		for _, p := range rs.managed {
			if _, err := iamc.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(rs.name), PolicyArn: aws.String(p)}); err != nil {
				return "", fmt.Errorf("attach %s to role %q: %w", p, rs.name, err)
			}
		}
		return aws.ToString(out.Role.Arn), nil
	}
	if err != nil {
		return "", fmt.Errorf("get role %q: %w", rs.name, err)
	}
	role := got.Role
	have := tagMap(role.Tags)
	if !r.n.ours(have) {
		return "", fmt.Errorf("role %q %w; delete it or choose another Stack", rs.name, ErrNotOurs)
	}
	if aws.ToString(role.Path) != r.n.rolePath() {
		return "", fmt.Errorf("role %q has path %q, want %q; delete it so it can be made again", rs.name, aws.ToString(role.Path), r.n.rolePath())
	}
	var changes []string
	trust, err := iampolicy.Parse(aws.ToString(role.AssumeRolePolicyDocument))
	if err != nil || !iampolicy.Equal(trust, rs.trust) {
		changes = append(changes, "trust policy")
		if r.apply {
			_, err := iamc.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String(rs.name), PolicyDocument: aws.String(rs.trust.JSON())})
			if err != nil {
				return "", fmt.Errorf("update trust policy of role %q: %w", rs.name, err)
			}
		}
	}
	if tags := missingTags(r.tags(), have); len(tags) > 0 {
		changes = append(changes, "tags")
		if r.apply {
			if _, err := iamc.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String(rs.name), Tags: iamTags(tags)}); err != nil {
				return "", fmt.Errorf("tag role %q: %w", rs.name, err)
			}
		}
	}
	pol, err := iamc.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(rs.name), PolicyName: aws.String(rs.policyName)})
	if err != nil && !awserr.Is(err, "NoSuchEntity") {
		return "", fmt.Errorf("get policy %q of role %q: %w", rs.policyName, rs.name, err)
	}
	var current iampolicy.Document
	if err == nil {
		current, err = iampolicy.Parse(aws.ToString(pol.PolicyDocument))
	}
	if err != nil || !iampolicy.Equal(current, rs.policy) {
		changes = append(changes, "inline policy "+rs.policyName)
		if r.apply {
			if err := r.h.putRolePolicy(ctx, rs); err != nil {
				return "", err
			}
		}
	}
	if rs.managed != nil {
		c, err := r.attachments(ctx, rs)
		if err != nil {
			return "", err
		}
		changes = append(changes, c...)
	}
	if len(changes) == 0 {
		r.add("role", rs.name, Keep, "")
	} else {
		r.add("role", rs.name, Update, strings.Join(changes, ", "))
	}
	return aws.ToString(role.Arn), nil
}

// attachments makes the role's managed policies exactly rs.managed.
func (r *run) attachments(ctx context.Context, rs roleSpec) ([]string, error) {
	iamc := r.h.c.IAM
	out, err := iamc.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(rs.name)})
	if err != nil {
		return nil, fmt.Errorf("list policies of role %q: %w", rs.name, err)
	}
	var have []string
	for _, p := range out.AttachedPolicies {
		have = append(have, aws.ToString(p.PolicyArn))
	}
	var changes []string
	for _, p := range rs.managed {
		if slices.Contains(have, p) {
			continue
		}
		changes = append(changes, "attach "+p)
		if r.apply {
			if _, err := iamc.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(rs.name), PolicyArn: aws.String(p)}); err != nil {
				return nil, fmt.Errorf("attach %s to role %q: %w", p, rs.name, err)
			}
		}
	}
	for _, p := range have {
		if slices.Contains(rs.managed, p) {
			continue
		}
		changes = append(changes, "detach "+p)
		if r.apply {
			if _, err := iamc.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(rs.name), PolicyArn: aws.String(p)}); err != nil {
				return nil, fmt.Errorf("detach %s from role %q: %w", p, rs.name, err)
			}
		}
	}
	return changes, nil
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

// instanceProfile ensures the profile that carries the instance role.
func (r *run) instanceProfile(ctx context.Context) error {
	name, role := r.n.instanceProfile(), r.n.instanceRole()
	r.st.InstanceProfileARN = r.n.instanceProfileARN()
	if r.offline {
		r.add("instance profile", name, Create, "with role "+role)
		return nil
	}
	iamc := r.h.c.IAM
	got, err := iamc.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(name)})
	if awserr.Is(err, "NoSuchEntity") {
		r.add("instance profile", name, Create, "with role "+role)
		if !r.apply {
			return nil
		}
		out, err := iamc.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{
			InstanceProfileName: aws.String(name), Path: aws.String(r.n.rolePath()), Tags: iamTags(r.tags()),
		})
		if err != nil {
			return fmt.Errorf("create instance profile %q: %w", name, err)
		}
		r.st.InstanceProfileARN = aws.ToString(out.InstanceProfile.Arn)
		return r.h.addRoleToProfile(ctx, name, role)
	}
	if err != nil {
		return fmt.Errorf("get instance profile %q: %w", name, err)
	}
	p := got.InstanceProfile
	r.st.InstanceProfileARN = aws.ToString(p.Arn)
	if aws.ToString(p.Path) != r.n.rolePath() {
		return fmt.Errorf("instance profile %q has path %q, not this stack's %q: %w; delete it or choose another Stack",
			name, aws.ToString(p.Path), r.n.rolePath(), ErrNotOurs)
	}
	var changes []string
	hasRole := false
	for _, pr := range p.Roles {
		if aws.ToString(pr.RoleName) == role {
			hasRole = true
			continue
		}
		changes = append(changes, "remove role "+aws.ToString(pr.RoleName))
		if r.apply {
			if _, err := iamc.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{
				InstanceProfileName: aws.String(name), RoleName: pr.RoleName}); err != nil {
				return fmt.Errorf("remove role %q from instance profile %q: %w", aws.ToString(pr.RoleName), name, err)
			}
		}
	}
	if !hasRole {
		changes = append(changes, "add role "+role)
		if r.apply {
			if err := r.h.addRoleToProfile(ctx, name, role); err != nil {
				return err
			}
		}
	}
	if len(changes) == 0 {
		r.add("instance profile", name, Keep, "")
	} else {
		r.add("instance profile", name, Update, strings.Join(changes, ", "))
	}
	return nil
}

func (h *Host) addRoleToProfile(ctx context.Context, profile, role string) error {
	_, err := h.c.IAM.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String(profile), RoleName: aws.String(role)})
	if err != nil {
		return fmt.Errorf("add role %q to instance profile %q: %w", role, profile, err)
	}
	return nil
}

// staleRoles deletes task roles of this stack whose container is gone or
// no longer has a TaskPolicy.
func (r *run) staleRoles(ctx context.Context, keep []roleSpec) error {
	if r.offline {
		return nil
	}
	roles, err := r.h.stackRoles(ctx, r.n)
	if err != nil {
		return err
	}
	for _, role := range roles {
		name := aws.ToString(role.RoleName)
		if slices.ContainsFunc(keep, func(rs roleSpec) bool { return rs.name == name }) || !strings.HasPrefix(name, r.n.taskRole("")) {
			continue
		}
		ours, err := r.h.roleIsOurs(ctx, r.n, name)
		if err != nil {
			return err
		}
		if !ours {
			continue
		}
		r.add("role", name, Delete, "its container has no TaskPolicy any more")
		if r.apply {
			if err := r.h.deleteRole(ctx, name); err != nil {
				return err
			}
		}
	}
	return nil
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

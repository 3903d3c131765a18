package ecshost_test

import (
	"context"
	"fmt"
	"sort"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/ecshost"
	"github.com/manga-alert-italia/mangaalert/integration"
)

// An Ensure that fails at a write, then a plain Ensure, ends where an
// uninterrupted Ensure does: the same resources, none twice, and a third
// Ensure with nothing left to do. Failing before write N leaves the account
// as failing after write N-1 does (the run stops either way and the rerun
// starts from what it reads), so the sweep fails after every write, and
// before the first.
func TestEnsureRecoversFromFaults(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ref := newEnv(t)
	want, err := ref.host.Ensure(ctx, ref.spec)
	require.NoError(t, err)
	writes := ref.calls.Mutating()
	wantInv := inventory(t, ref)

	type fault struct {
		at    int
		fault integration.Fault
		name  string
	}
	faults := []fault{{1, integration.FailBefore, "01-before-" + writes[0].Operation}}
	for i, w := range writes {
		faults = append(faults, fault{i + 1, integration.FailAfter, fmt.Sprintf("%02d-after-%s", i+1, w.Operation)})
	}
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.calls.FailAt(f.at, f.fault)
			st, err := e.host.Ensure(ctx, e.spec)
			require.ErrorIs(t, err, integration.ErrInjected)
			require.NotNil(t, st, "the State so far comes back with the error")
			assert.Less(t, len(st.Changes), len(want.Changes), "the changes before the failing one")

			got, err := e.host.Ensure(ctx, e.spec)
			require.NoError(t, err)
			assert.Equal(t, wantInv, inventory(t, e), "same resources, none twice")
			assert.Equal(t, shape(want), shape(got))

			e.calls.Reset()
			third, err := e.host.Ensure(ctx, e.spec)
			require.NoError(t, err)
			assert.Empty(t, operations(e.calls.Mutating()), "converged")
			assert.Empty(t, third.Changes)
		})
	}
}

// inventory lists what the stack owns, by kind: two accounts' runs share it.
func inventory(t *testing.T, e *env) map[string][]string {
	t.Helper()
	ctx := context.Background()
	inv := map[string][]string{}
	roles, err := e.iam.ListRoles(ctx, &iam.ListRolesInput{PathPrefix: aws.String("/mangaalert/")})
	require.NoError(t, err)
	for _, r := range roles.Roles {
		pols, err := e.iam.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: r.RoleName})
		require.NoError(t, err)
		inv["role"] = append(inv["role"], fmt.Sprintf("%s %v", aws.ToString(r.RoleName), pols.PolicyNames))
	}
	profiles, err := e.iam.ListInstanceProfiles(ctx, &iam.ListInstanceProfilesInput{})
	require.NoError(t, err)
	for _, p := range profiles.InstanceProfiles {
		inv["instance profile"] = append(inv["instance profile"], fmt.Sprintf("%s roles=%d", aws.ToString(p.InstanceProfileName), len(p.Roles)))
	}
	lts, err := e.ec2.DescribeLaunchTemplates(ctx, &ec2.DescribeLaunchTemplatesInput{})
	require.NoError(t, err)
	for _, lt := range lts.LaunchTemplates {
		inv["launch template"] = append(inv["launch template"], fmt.Sprintf("%s v%d", aws.ToString(lt.LaunchTemplateName), aws.ToInt64(lt.LatestVersionNumber)))
	}
	tds, err := e.ecs.ListTaskDefinitions(ctx, &ecs.ListTaskDefinitionsInput{})
	require.NoError(t, err)
	for _, arn := range tds.TaskDefinitionArns {
		inv["task definition"] = append(inv["task definition"], lastSlash(arn))
	}
	svcs, err := e.ecs.ListServices(ctx, &ecs.ListServicesInput{Cluster: aws.String("manga")})
	require.NoError(t, err)
	for _, arn := range svcs.ServiceArns {
		inv["service"] = append(inv["service"], lastSlash(arn))
	}
	for _, v := range inv {
		sort.Strings(v)
	}
	return inv
}

func lastSlash(arn string) string {
	for i := len(arn) - 1; i >= 0; i-- {
		if arn[i] == '/' {
			return arn[i+1:]
		}
	}
	return arn
}

// shape is a State without the account's IDs.
func shape(s *ecshost.State) string {
	tds := map[string]int32{}
	for name, td := range s.TaskDefinitions {
		tds[name] = td.Revision
	}
	return fmt.Sprintf("%s %s %s %s task roles=%d template v%d ami=%t tds=%v %s", s.ClusterName, s.LogGroup, s.GroupName, s.ServiceName,
		len(s.TaskRoleARNs), s.LaunchTemplateVersion, s.AMI != "", tds, s.Deployment)
}

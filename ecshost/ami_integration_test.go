package ecshost_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/ecshost"
	"github.com/manga-alert-italia/mangaalert/integration"
)

// newerAMI is the SSM parameter after AWS published a newer ECS-optimized
// AMI. A hand fake: the emulator's /aws/service parameters are AWS's own
// and cannot be rewritten by a test.
type newerAMI struct{}

const newer = "ami-0fedcba9876543210"

func (newerAMI) GetParameter(_ context.Context, in *ssm.GetParameterInput, _ ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	return &ssm.GetParameterOutput{Parameter: &ssmtypes.Parameter{Name: in.Name, Value: aws.String(newer)}}, nil
}

// TestTheAMIStaysPinned: once AWS publishes a newer AMI, an apply with the
// configuration unchanged keeps the launch template (and so the host) on
// the AMI it runs; the newer one is a plan line only when asked for
// (Spec.RefreshAMI, the deploy tool's --refresh-ami).
func TestTheAMIStaysPinned(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	st, err := e.host.Ensure(ctx, e.spec)
	require.NoError(t, err)
	pinned := st.AMI
	require.NotEqual(t, newer, pinned)

	cfg := integration.Env(t).ConfigFor(e.account)
	calls := integration.Record(&cfg)
	clients := ecshost.ClientsFromConfig(cfg)
	clients.SSM, clients.AutoScaling = newerAMI{}, &refreshes{AutoScalingAPI: e.asg}
	later := ecshost.New(clients, func(o *ecshost.Options) { o.MinDelay, o.MaxDelay = time.Millisecond, 10*time.Millisecond })

	p, err := later.Plan(ctx, e.spec)
	require.NoError(t, err)
	lt, ok := p.Find("launch template", "manga-ecs-host")
	require.True(t, ok)
	assert.Equal(t, change.Keep, lt.Action, "%v", lt)
	st2, err := later.Ensure(ctx, e.spec)
	require.NoError(t, err)
	assert.Empty(t, operations(calls.Mutating()), "an unchanged apply moves nothing")
	assert.Equal(t, pinned, st2.AMI)

	e.spec.RefreshAMI = true
	p, err = later.Plan(ctx, e.spec)
	require.NoError(t, err)
	lt, ok = p.Find("launch template", "manga-ecs-host")
	require.True(t, ok)
	assert.Equal(t, change.Update, lt.Action)
	assert.Contains(t, lt.String(), newer, "the newer AMI is a plan line")
}

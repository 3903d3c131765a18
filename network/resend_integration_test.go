package network_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/network"
)

// resentRoute sends every CreateRoute twice and answers with the second
// answer, as the SDK's retryer does when a connection breaks after the
// request left: the route exists, and the caller hears RouteAlreadyExists.
type resentRoute struct {
	network.API
	resent int
}

func (r *resentRoute) CreateRoute(ctx context.Context, in *ec2.CreateRouteInput, opts ...func(*ec2.Options)) (*ec2.CreateRouteOutput, error) {
	if _, err := r.API.CreateRoute(ctx, in, opts...); err != nil {
		return nil, err
	}
	r.resent++
	return r.API.CreateRoute(ctx, in, opts...)
}

// A create of the default route whose answer was lost converges: the
// route is set, not reported as a failure.
func TestEnsureSurvivesAResentCreateRoute(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	api := &resentRoute{API: ec2.NewFromConfig(w.cfg)}
	st, err := network.New(api, fast).Ensure(w.ctx, network.Spec{Stack: w.stack})
	require.NoError(t, err)
	require.Positive(t, api.resent, "the default route was created, and sent again")

	out, err := w.ec2.DescribeRouteTables(w.ctx, &ec2.DescribeRouteTablesInput{
		Filters: []types.Filter{{Name: aws.String("vpc-id"), Values: []string{st.VPCID}}}})
	require.NoError(t, err)
	routes := 0
	for _, rt := range out.RouteTables {
		for _, r := range rt.Routes {
			if aws.ToString(r.DestinationCidrBlock) == "0.0.0.0/0" {
				assert.Equal(t, st.InternetGatewayID, aws.ToString(r.GatewayId))
				routes++
			}
		}
	}
	assert.Equal(t, 1, routes, "one default route, to the internet gateway")

	again, err := network.New(ec2.NewFromConfig(w.cfg), fast).Ensure(w.ctx, network.Spec{Stack: w.stack})
	require.NoError(t, err)
	assert.Empty(t, again.Changes, "a second Ensure changes nothing")
}

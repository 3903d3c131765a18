package ecshost_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/ecshost"
)

func TestScaleOutProblems(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    ecshost.ScaleOut
		port int32
		eip  bool
		want string
	}{
		{"three tasks on a static port", ecshost.ScaleOut{DesiredCount: 3, GroupSize: 3}, 80, false, "cannot both bind it"},
		{"an Elastic IP on three instances", ecshost.ScaleOut{GroupSize: 3}, 0, true, "the load balancer is the stable address"},
		{"negative", ecshost.ScaleOut{GroupSize: -1}, 0, false, "use 0 (one) or more"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := ecshost.Spec{Stack: "s", SubnetIDs: []string{"subnet-1"}, SecurityGroupID: "sg-1", Image: "i", ElasticIP: tc.eip, ScaleOut: tc.s,
				Service: ecshost.Container{PortMappings: []ecshost.PortMapping{{ContainerPort: 8080, HostPort: tc.port}}}}
			_, err := ecshost.New(ecshost.Clients{}, func(o *ecshost.Options) { o.Offline, o.Region = true, "eu-south-1" }).Plan(context.Background(), spec)
			require.ErrorIs(t, err, ecshost.ErrInvalidSpec)
			assert.ErrorContains(t, err, tc.want)
		})
	}
}

package stack

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/manga-alert-italia/mangaalert/schedule"
)

// Where a job's schedule starts its task: on the hosts (by launch type,
// or through their capacity provider when there is one, so a run that
// finds no room makes managed scaling add a host), or on Fargate.
func TestJobPlacement(t *testing.T) {
	o := Outputs{SubnetIDs: []string{"subnet-pub"}, PrivateSubnetIDs: []string{"subnet-priv"}, JobsSecurityGroupID: "sg-jobs"}
	awsvpc := func(s *Spec) { s.Network.Mode, s.Network.NAT = "awsvpc", true }
	provider := func(s *Spec) { s.Scaling.CapacityProvider = true }
	jobsOn := func(on string) func(*Spec) { return func(s *Spec) { s.JobsOn = on } }
	for _, tc := range []struct {
		name  string
		tweak []func(*Spec)
		want  schedule.Placement
	}{
		{"bridge on the hosts", nil, schedule.Placement{}},
		{"bridge through the hosts' provider", []func(*Spec){provider}, schedule.Placement{CapacityProvider: "shop-hosts"}},
		{"awsvpc on the hosts", []func(*Spec){awsvpc},
			schedule.Placement{LaunchType: schedule.LaunchEC2, Subnets: []string{"subnet-priv"}, SecurityGroups: []string{"sg-jobs"}}},
		{"awsvpc through the hosts' provider", []func(*Spec){awsvpc, provider},
			schedule.Placement{CapacityProvider: "shop-hosts", Subnets: []string{"subnet-priv"}, SecurityGroups: []string{"sg-jobs"}}},
		{"Fargate Spot, whatever the hosts have", []func(*Spec){provider, jobsOn(JobsOnFargateSpot)},
			schedule.Placement{CapacityProvider: schedule.CapacityFargateSpot, Subnets: []string{"subnet-pub"}, SecurityGroups: []string{"sg-jobs"}, AssignPublicIP: true}},
		{"Fargate with the NAT", []func(*Spec){awsvpc, jobsOn(JobsOnFargate)},
			schedule.Placement{LaunchType: schedule.LaunchFargate, Subnets: []string{"subnet-priv"}, SecurityGroups: []string{"sg-jobs"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := Spec{Stack: "shop"}
			for _, f := range tc.tweak {
				f(&spec)
			}
			assert.Equal(t, tc.want, jobPlacement(spec, o))
		})
	}
}

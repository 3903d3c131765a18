package network

import (
	"errors"
	"fmt"
	"strings"
)

// Preflight checks that tasks with the given ECS network mode ("bridge",
// "host", "awsvpc", "none"; "" means bridge, the EC2 default on Linux) and
// launch type ("EC2", "FARGATE", "EXTERNAL"; "" means EC2) can reach the
// internet from the network state describes.
//
// The trap it exists for: an awsvpc task gets its own network interface,
// and on the EC2 launch type AWS never gives that interface a public IP,
// even in a public subnet with public IPs on launch. So without a NAT route
// the task has no internet at all (it cannot pull images, send mail or
// fetch pages), and ECS shows nothing worse than timeouts. The error, which
// matches ErrAwsvpcNeedsNAT, names the two fixes. With a NAT, the tasks must
// be placed in State.PrivateSubnetIDs.
func Preflight(state *State, networkMode, launchType string) error {
	if state == nil {
		return errors.New("network: preflight: no network state: run Ensure first and pass its State")
	}
	mode, launch := strings.ToLower(networkMode), strings.ToUpper(launchType)
	if mode == "" {
		mode = "bridge"
	}
	if launch == "" {
		launch = "EC2"
	}
	switch mode {
	case "bridge", "host", "awsvpc", "none":
	default:
		return fmt.Errorf("network: preflight: network mode %q is not one ECS knows: use bridge, host, awsvpc or none", networkMode)
	}
	switch launch {
	case "EC2", "FARGATE", "EXTERNAL":
	default:
		return fmt.Errorf("network: preflight: launch type %q is not one ECS knows: use EC2, FARGATE or EXTERNAL", launchType)
	}
	if mode == "awsvpc" && launch == "EC2" && !(state.NAT && len(state.PrivateSubnetIDs) > 0) {
		return fmt.Errorf("network: preflight: stack %q: %w: the stack's subnets have no NAT route, so such tasks could not reach the internet; "+
			"use the bridge network mode (the tasks share the host's public address), or the PrivateWithNAT topology "+
			"(one NAT gateway, about 33 USD a month) and place the tasks in its private subnets", state.Stack, ErrAwsvpcNeedsNAT)
	}
	return nil
}

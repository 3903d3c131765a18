package main

// network_mode and jobs_on (issue 16): the fields, their flags, and the
// checks that refuse what cannot work in this file's words, before
// anything is sent to AWS.

import (
	"cmp"

	"github.com/manga-alert-italia/mangaalert/ecshost"
	"github.com/manga-alert-italia/mangaalert/stack"
)

// awsvpcFlags registers --network-mode and --jobs-on through the flag
// set's string helper.
func awsvpcFlags(str func(name, usage string, set func(*Config, string))) {
	str("network-mode", "`bridge` (default) or awsvpc: each task its own interface in private subnets; needs --nat and --instances 2+ (config: network_mode)",
		func(c *Config, v string) { c.NetworkMode = v })
	str("jobs-on", "`ec2` (default), fargate or fargate-spot: where scrape and notify run (config: jobs_on)",
		func(c *Config, v string) { c.JobsOn = v })
}

// awsvpcFields are the stack's fields this file checks itself, in its own
// words (Validate skips the stack's problems about them).
var awsvpcFields = map[string]bool{"Network.Mode": true, "Network.NAT": true, "JobsOn": true}

// checkAwsvpc checks network_mode and jobs_on, and what awsvpc needs.
func (c Config) checkAwsvpc(bad func(string, string, ...any)) {
	switch c.NetworkMode {
	case "", stack.NetworkModeBridge:
	case stack.NetworkModeAwsvpc:
		if !c.NAT {
			// network.Preflight's refusal, said before anything is sent.
			bad("nat", "network_mode \"awsvpc\" puts the tasks in private subnets, and on EC2 an awsvpc task never gets a public address: "+
				"without a NAT route they could not pull the image, send mail or fetch pages. Set \"nat\": true (flag --nat: one NAT gateway, "+
				"about 37 USD a month, see plan), or keep network_mode \"bridge\"")
		}
		if n := ecshost.NetworkInterfaces(c.InstanceType); (c.JobsOn == "" || c.JobsOn == stack.JobsOnEC2) && n > 0 && n < 3 {
			bad("jobs_on", "%q with network_mode \"awsvpc\": a %s has %d network interfaces, the host's and the site task's, so scrape and notify "+
				"could never start on it; set jobs_on \"fargate\" (--jobs-on fargate, a fraction of a cent a run) or instance_type \"t4g.small\"",
				cmp.Or(c.JobsOn, stack.JobsOnEC2), c.InstanceType, n)
		}
		if c.Instances < 2 {
			bad("network_mode", "\"awsvpc\" puts the site's tasks in private subnets, which only a load balancer reaches: set instances to 2 or more "+
				"(flag --instances), or keep \"bridge\"")
		}
	default:
		bad("network_mode", "%q: use \"bridge\" (default: the tasks share the host's address) or \"awsvpc\" (each task its own interface; needs nat)", c.NetworkMode)
	}
	switch c.JobsOn {
	case "", stack.JobsOnEC2, stack.JobsOnFargate, stack.JobsOnFargateSpot:
	default:
		bad("jobs_on", "%q: use \"ec2\" (default: on the hosts), \"fargate\" or \"fargate-spot\" (per run; plan prices each)", c.JobsOn)
	}
}

func init() {
	// The stack's fields of issue 16, by this file's names (kept here,
	// beside the fields, to keep merges of config.go small).
	specField["Network.Mode"], specField["JobsOn"], specField["Network.NAT"] = "network_mode", "jobs_on", "nat"
}

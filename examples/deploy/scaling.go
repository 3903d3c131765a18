package main

// Autoscaling (package autoscale through stack.Scaling): the
// configuration's max_tasks, capacity_provider and max_instances, their
// flags, and the proxies the service believes behind the load balancer.

import (
	"cmp"
	"flag"
	"fmt"
	"maps"
	"strconv"

	"github.com/manga-alert-italia/mangaalert/network"
	"github.com/manga-alert-italia/mangaalert/stack"
)

// EnvTrustedProxies is serve's --trusted-proxies: the addresses whose
// X-Forwarded-For it believes, so that behind the load balancer the rate
// limits and mail budgets count each reader, not the balancer's address.
const EnvTrustedProxies = "MANGAALERT_TRUSTED_PROXIES"

func init() {
	// The stack's scaling problems under this file's field names.
	maps.Copy(specField, map[string]string{"Scaling.MaxTasks": "max_tasks", "Scaling.MaxInstances": "max_instances",
		"Scaling.CapacityProvider": "capacity_provider", "Scaling.TargetCapacity": "capacity_provider", "Scaling": "max_tasks"})
}

// scaling is the configuration's stack.Scaling.
func (c Config) scaling() stack.Scaling {
	return stack.Scaling{MaxTasks: c.MaxTasks, CapacityProvider: c.CapacityProvider, MaxInstances: c.MaxInstances}
}

// scalingFlags registers --max-tasks, --capacity-provider and
// --max-instances as overrides of the file.
func scalingFlags(fs *flag.FlagSet, o *options) {
	number := func(name, usage string, set func(*Config, int32)) {
		fs.Func(name, usage, func(v string) error {
			n, err := strconv.ParseInt(v, 10, 32)
			if err != nil {
				return fmt.Errorf("--%s=%s: want a number such as 6", name, v)
			}
			o.overrides = append(o.overrides, func(c *Config) { set(c, int32(n)) })
			return nil
		})
	}
	number("max-tasks", "scale the service between instances and `N` tasks on its load (config: max_tasks; 0: a fixed count)",
		func(c *Config, n int32) { c.MaxTasks = n })
	number("max-instances", "let the capacity provider grow the hosts up to `N` (config: max_instances)",
		func(c *Config, n int32) { c.MaxInstances = n })
	fs.BoolFunc("capacity-provider", "give the hosts an ECS capacity provider with managed scaling (config: capacity_provider)", func(v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("--capacity-provider=%s: want true or false", v)
		}
		o.overrides = append(o.overrides, func(c *Config) { c.CapacityProvider = b })
		return nil
	})
}

// trustProxies makes the service believe X-Forwarded-For from the VPC
// behind the load balancer (instances 2 or more): the balancer's nodes
// take their addresses in the public subnets, and the hosts' security
// group admits nothing else. With one host, clients reach it directly and
// nothing is believed.
func (c Config) trustProxies(serve *stack.Container) {
	if c.Instances < 2 {
		return
	}
	serve.Environment = maps.Clone(serve.Environment)
	if serve.Environment == nil {
		serve.Environment = map[string]string{}
	}
	serve.Environment[EnvTrustedProxies] = c.vpcCIDR()
}

func (c Config) vpcCIDR() string { return cmp.Or(c.CIDR, network.DefaultCIDR) }

// scalingNotes say what the plan's reader should know of the scaling and
// the proxies.
func (c Config) scalingNotes() []string {
	var out []string
	if c.Instances > 1 {
		out = append(out, fmt.Sprintf("the service believes X-Forwarded-For from %s (the VPC: the load balancer's addresses), so its rate limits count readers, not the balancer (%s)",
			c.vpcCIDR(), EnvTrustedProxies))
	}
	return out
}

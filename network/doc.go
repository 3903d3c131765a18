// Package network builds the VPC an ECS-on-EC2 stack runs in: one VPC,
// public subnets in distinct availability zones behind an internet gateway,
// optionally private subnets behind exactly one NAT gateway, and the host's
// security group.
//
// Everything it creates carries two tags, resource.TagStack (the stack
// name) and resource.TagComponent (vpc, subnet/public/0, igw, rt/public,
// nat, eip/nat, sg/host, ...; also the Name of the resource's change in a
// plan), set in the Create call itself so that a create whose answer was
// lost is found by the next run. Resources are found by those tags only;
// what carries no tag of ours is never modified or deleted.
//
// Use it as the other infrastructure packages:
//
//	n := network.NewFromConfig(cfg)                                // or network.New(ec2Client, func(o *network.Options) { ... })
//	plan, err := n.Plan(ctx, network.Spec{Stack: "mangaalert"})    // *change.Plan: every resource, its action, the monthly cost
//	state, err := n.Ensure(ctx, network.Spec{Stack: "mangaalert"}) // make it so; state.Changes is what changed (none the second time)
//	changes, err := n.Delete(ctx, "mangaalert")                    // everything of the stack, in dependency order
//
// Plan and Ensure share one engine: they read the account once, decide
// every step from what they read (a change.Change each: "create subnet
// subnet/public/0", "update route table rt/public: route 0.0.0.0/0 missing
// -> internet gateway", or a keep), and Ensure then runs the steps in
// order. So the plan lists exactly what Ensure would create, fix or delete,
// and every refusal comes before Ensure's first write. Options.OnChange
// hears each change as it is made.
//
// # Errors
//
// Every error can be tested with errors.Is or errors.As: ErrInvalidSpec
// (*SpecError per problem, *ZonesError for more zones than the region has:
// both found before any write), ErrConflict (a duplicate of one of our
// resources, a block that cannot change in place, a gateway attached
// elsewhere), resource.ErrNotOurs (a security group name taken by a group
// that is not ours), ErrForeignDependency (something not ours holds what
// Delete, or a shrinking Ensure, would remove: nothing is deleted),
// ErrQuota, ErrOffline and ErrAwsvpcNeedsNAT from Preflight. AWS errors
// are wrapped with what was being done.
//
// # Permissions
//
// The EC2 actions of the API interface, plus ec2:CreateTags, which AWS
// checks for tags set in a Create call. Creates can be limited with the
// aws:RequestTag/mangaalert:stack condition and the rest with
// ec2:ResourceTag/mangaalert:stack, except ec2:DetachNetworkInterface and
// ec2:DeleteNetworkInterface: the interfaces a terminated instance of the
// stack leaves behind carry the instance's tags only when the launch
// template tags network interfaces too.
//
// # Instances in the network
//
// Delete waits for instances in the VPC that are shutting down, and deletes
// the network interfaces that terminated instances of the stack (tagged
// mangaalert:stack) left behind; an interface of a running, stopped or
// untagged instance makes it refuse with ErrForeignDependency.
//
// # Planning without an AWS account
//
// Options.Offline gives a Network that never calls AWS (its client may be
// nil): Plan validates the Spec, lists every resource as "create" and
// prices it, with placeholder zone names and without checking the region's
// number of availability zones; Ensure and Delete return ErrOffline. It is
// the one way to plan without credentials.
//
// # Subnet layout
//
// The VPC block (a /16 to a /24) is split into two halves: public subnets are
// carved from the first, private ones from the second, even in the PublicOnly
// topology, so that switching topology or adding zones never moves a subnet
// (a subnet's block cannot change in place). Each subnet is a /24, or 1/16 of
// the VPC when that is smaller (a /24 VPC gets /28 subnets, the smallest AWS
// allows), so each half holds at least MaxAZs subnets. Subnet i of a kind is
// in the i-th availability zone of the region in name order.
//
// # Why awsvpc on EC2 needs a NAT
//
// A task in awsvpc network mode gets its own network interface, and on the
// EC2 launch type AWS never gives that interface a public IP address, even in
// a public subnet. Without a NAT route such a task cannot reach the internet
// (no image pulls from public registries, no mail, no scraping). Bridge mode
// shares the host's interface and its public address, which is why this
// project runs bridge mode by default; Preflight refuses the combination that
// cannot work, and PreflightSpec refuses it on a Spec, before anything is
// sent. For tasks with their own interface, Spec.JobsGroup adds the jobs'
// security group (sg/jobs: no inbound rule at all) and Spec.TaskPorts opens
// the tasks' own ports to the load balancer on the host's group.
package network

package network

import (
	"context"
	"net/netip"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/internal/engine"
)

// Ensure makes the stack's network match spec: it creates what is missing,
// fixes what drifted (DNS attributes, public IPs on launch, routes, route
// table associations, security group rules), deletes what the Spec no
// longer wants (the NAT topology when back to PublicOnly, subnets of zones
// no longer asked for), and returns what it observed with the changes it
// made. A second call with the same Spec makes no write. An invalid Spec,
// too few zones, a conflict (ErrConflict, resource.ErrNotOurs) or subnets
// to delete that are still in use (ErrForeignDependency) fail before any
// write: the account is read once, every step decided, then run.
func (n *Network) Ensure(ctx context.Context, spec Spec) (*State, error) {
	r, err := n.observe(ctx, spec, false)
	if err != nil {
		return nil, err
	}
	steps, err := r.steps()
	if err != nil {
		return nil, err
	}
	changes, err := r.apply(ctx, steps)
	if err != nil {
		return nil, err
	}
	if r.natPending {
		// Found pending (a create whose answer was lost): the State promises
		// a NAT the private subnets can use.
		if err := r.waitNAT(ctx); err != nil {
			return nil, err
		}
	}
	st := r.state()
	st.Changes = changes
	return st, nil
}

// steps decides, from what observe read, every change Ensure makes and
// Plan lists, in the order they run. It calls nothing: a refusal (a
// conflict, subnets still in use) comes before any write.
func (r *run) steps() ([]engine.Step, error) {
	var items []*item
	add := func(its []*item, err error) error {
		items = append(items, its...)
		return err
	}
	nat := r.spec.Topology == PrivateWithNAT
	parts := []func() ([]*item, error){
		r.vpc,
		r.gateway,
		func() ([]*item, error) { return r.subnetItems(false) },
		func() ([]*item, error) { return r.routes(false) },
	}
	if nat {
		parts = append(parts,
			func() ([]*item, error) { return r.subnetItems(true) },
			r.natAddress,
			r.natGateway,
			func() ([]*item, error) { return r.routes(true) },
		)
	}
	parts = append(parts, r.albGroup, r.hostGroup, r.jobsGroup, r.albGroupRemoval, r.unwanted)
	for _, p := range parts {
		if err := add(p()); err != nil {
			return nil, err
		}
	}
	steps := make([]engine.Step, len(items))
	for i, it := range items {
		steps[i] = it.step()
	}
	return steps, nil
}

// apply runs the steps and returns the changes made, each with the ID of
// what it created (a step learns it only as it runs).
func (r *run) apply(ctx context.Context, steps []engine.Step) ([]change.Change, error) {
	var done []change.Change
	_, err := engine.Run(ctx, r.n.log.With("stack", r.spec.Stack), steps, func(c change.Change) {
		if c.ID == "" {
			c.ID = r.ids[c.Name]
		}
		done = append(done, c)
		if r.n.opts.OnChange != nil {
			r.n.opts.OnChange(c)
		}
	})
	return done, err
}

// run is one Plan or Ensure of a stack: what observe read, and the IDs of
// the stack's resources by component, which the steps complete as they
// create them.
type run struct {
	n     *Network
	api   API
	spec  Spec
	block netip.Prefix
	zones []string // one per wanted zone, in subnet order

	// What was found: the VPC's attributes, and our resources by component.
	vpcCIDR                  string
	dnsSupport, dnsHostnames bool
	in                       *inVPC
	subnets                  map[string][]types.Subnet
	routeTables              map[string][]types.RouteTable
	groups                   map[string][]types.SecurityGroup
	nats                     map[string][]types.NatGateway
	igws                     map[string][]types.InternetGateway
	eips                     map[string][]types.Address
	// inUse describes the interfaces in subnets the Spec no longer wants.
	inUse []string

	ids        map[string]string // by component; "" until created
	natIP      string
	natPending bool
}

// state is the State of the network once the steps ran.
func (r *run) state() *State {
	nat := r.spec.Topology == PrivateWithNAT
	st := &State{
		Stack: r.spec.Stack, VPCID: r.ids[compVPC], CIDR: r.spec.CIDR, AZs: r.stateZones(),
		InternetGatewayID: r.ids[compIGW], HostSecurityGroupID: r.ids[compHostSG], NAT: nat,
	}
	if r.spec.LoadBalancer {
		st.LoadBalancerSecurityGroupID = r.ids[compALBSG]
	}
	if r.spec.JobsGroup {
		st.JobsSecurityGroupID = r.ids[compJobsSG]
	}
	for i := range r.spec.AZs {
		st.PublicSubnetIDs = append(st.PublicSubnetIDs, r.ids[compSubnet(false, i)])
		if nat {
			st.PrivateSubnetIDs = append(st.PrivateSubnetIDs, r.ids[compSubnet(true, i)])
		}
	}
	if nat {
		st.NATGatewayID, st.NATAllocationID, st.NATPublicIP = r.ids[compNAT], r.ids[compNATAddress], r.natIP
	}
	return st
}

// stateZones are the zones of the public subnets as found (a subnet never
// moves), or as chosen for the ones created.
func (r *run) stateZones() []string {
	zs := slices.Clone(r.zones)
	for i := range zs {
		if s := r.subnets[compSubnet(false, i)]; len(s) == 1 {
			zs[i] = aws.ToString(s[0].AvailabilityZone)
		}
	}
	return zs
}

// item is one resource's change being decided, and the calls that make it.
type item struct {
	change.Change
	calls []func(context.Context) error
}

// newItem starts the change of a resource: a Create when it has no ID yet,
// else a Keep until something to fix is noted.
func newItem(kind, component, id string) *item {
	it := &item{Change: change.Change{Action: change.Keep, Kind: kind, Name: component, ID: id}}
	if id == "" {
		it.Action = change.Create
	}
	return it
}

// note records what a create sets, or a drift being fixed (which makes a
// Keep an Update).
func (it *item) note(detail string) {
	if it.Action == change.Keep {
		it.Action = change.Update
	}
	it.Details = append(it.Details, detail)
}

// then adds a call to make, after those already added.
func (it *item) then(call func(context.Context) error) { it.calls = append(it.calls, call) }

func (it *item) step() engine.Step {
	s := engine.Step{Change: it.Change}
	if it.Action != change.Keep && len(it.calls) > 0 {
		calls := it.calls
		s.Apply = func(ctx context.Context) error {
			for _, call := range calls {
				if err := call(ctx); err != nil {
					return err
				}
			}
			return nil
		}
	}
	return s
}

// removal is the Delete change of one resource of ours the Spec no longer
// wants.
func removal(kind, component, id string, call func(context.Context) error) *item {
	it := &item{Change: change.Change{Action: change.Delete, Kind: kind, Name: component, ID: id,
		Details: []string{"no longer in the Spec"}}}
	it.then(call)
	return it
}

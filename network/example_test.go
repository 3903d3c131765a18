package network_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/manga-alert-italia/mangaalert/change"
	"github.com/manga-alert-italia/mangaalert/network"
)

// Plan works without an AWS account: Options.Offline never calls AWS, and
// the client may be nil. Online, the same call reads the account once and
// lists kept resources too.
func ExampleNetwork_Plan() {
	n := network.New(nil, func(o *network.Options) { o.Offline = true })
	plan, err := n.Plan(context.Background(), network.Spec{Stack: "mangaalert", Topology: network.PrivateWithNAT})
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = plan.Write(os.Stdout)
	fmt.Println()
	_ = plan.Cost.Write(os.Stdout)
	// Output:
	// create vpc vpc: 10.0.0.0/16; DNS hostnames on
	// create internet gateway igw: attach to the VPC
	// create subnet subnet/public/0: 10.0.0.0/24 in (zone 1); public IPv4 on launch
	// create subnet subnet/public/1: 10.0.1.0/24 in (zone 2); public IPv4 on launch
	// create route table rt/public: route 0.0.0.0/0 -> internet gateway; associate subnet/public/0; associate subnet/public/1
	// create subnet subnet/private/0: 10.0.128.0/24 in (zone 1)
	// create subnet subnet/private/1: 10.0.129.0/24 in (zone 2)
	// create Elastic IP eip/nat: Elastic IP for the NAT gateway
	// create NAT gateway nat: in subnet/public/0 with eip/nat
	// create route table rt/private: route 0.0.0.0/0 -> NAT gateway; associate subnet/private/0; associate subnet/private/1
	// create security group sg/host: allow inbound tcp 80 from 0.0.0.0/0; allow inbound tcp 443 from 0.0.0.0/0
	// note: network "mangaalert": 10.0.0.0/16, 2 zones, PrivateWithNAT
	// note: host ingress: tcp 80, 443 from 0.0.0.0/0; ssh closed; egress open
	// note: offline: nothing read from AWS; zone names are placeholders and the region's zone count is not checked
	//
	// ITEM                          QUANTITY  USD/MONTH  PRICE AS OF                  NOTE
	// NAT gateway                   730 hour  32.85      us-east-1 figure 2015-12-17  us-east-1 price; eu-south-1 may be higher
	// NAT gateway data processed    10 GB     0.45       us-east-1 figure 2015-12-17  assumes 10 GB/month; us-east-1 price
	// NAT Elastic IP (public IPv4)  730 hour  3.65       all regions 2024-02-01       all regions
	// TOTAL                                   36.95
}

// Ensure makes the network so and says what it changed; a second call
// with the same Spec changes nothing. Delete removes it all.
func ExampleNetwork_Ensure() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	n := network.NewFromConfig(cfg, func(o *network.Options) {
		o.OnChange = func(c change.Change) { fmt.Println(c) } // progress
	})
	state, err := n.Ensure(ctx, network.Spec{Stack: "mangaalert"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(state.VPCID, state.PublicSubnetIDs, state.HostSecurityGroupID, len(state.Changes), "changes")
	if _, err := n.Delete(ctx, "mangaalert"); err != nil {
		fmt.Println(err)
	}
}

func ExampleSpec_Validate() {
	err := network.Spec{Stack: "shop", CIDR: "10.0.0.0/26", Ports: []int32{22}}.Validate()
	fmt.Println(errors.Is(err, network.ErrInvalidSpec))
	fmt.Println(err)
	// Output:
	// true
	// network: Spec.CIDR "10.0.0.0/26" is too small for the subnets: the VPC is carved into 16 equal subnets (8 public and 8 private slots) of at least /28, the smallest subnet AWS allows, so it must be /24 or larger: use a /24 or larger block, e.g. 10.0.0.0/24
	// network: Spec.Ports "22" is SSH, which is never opened through Ports: remove 22 from Ports and give the blocks allowed to SSH in SSHCIDRs
}

func ExamplePreflight() {
	state := &network.State{Stack: "shop", PublicSubnetIDs: []string{"subnet-1"}}
	fmt.Println(network.Preflight(state, "bridge", "EC2"))
	err := network.Preflight(state, "awsvpc", "EC2")
	fmt.Println(errors.Is(err, network.ErrAwsvpcNeedsNAT))
	// Output:
	// <nil>
	// true
}

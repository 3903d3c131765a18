package network_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/manga-alert-italia/mangaalert/network"
)

// Plan works without an AWS account: New(nil) never calls AWS.
func ExampleNetwork_Plan() {
	n := network.New(nil)
	plan, err := n.Plan(context.Background(), network.Spec{Stack: "mangaalert", Topology: network.PrivateWithNAT})
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = plan.Write(os.Stdout)
	// Output:
	// network "mangaalert": 10.0.0.0/16, 2 zones, PrivateWithNAT
	// host ingress: tcp 80, 443 from 0.0.0.0/0; ssh closed; egress open
	// offline: nothing read from AWS; zone names are placeholders and the region's zone count is not checked
	//
	// ACTION  COMPONENT         ID  DETAILS
	// create  vpc               -   10.0.0.0/16; DNS hostnames on
	// create  igw               -   attach to the VPC
	// create  subnet/public/0   -   10.0.0.0/24 in (zone 1); public IPv4 on launch
	// create  subnet/public/1   -   10.0.1.0/24 in (zone 2); public IPv4 on launch
	// create  rt/public         -   route 0.0.0.0/0 -> internet gateway; associate subnet/public/0; associate subnet/public/1
	// create  subnet/private/0  -   10.0.128.0/24 in (zone 1)
	// create  subnet/private/1  -   10.0.129.0/24 in (zone 2)
	// create  eip/nat           -   Elastic IP for the NAT gateway
	// create  nat               -   in subnet/public/0 with eip/nat
	// create  rt/private        -   route 0.0.0.0/0 -> NAT gateway; associate subnet/private/0; associate subnet/private/1
	// create  sg/host           -   allow inbound tcp 80 from 0.0.0.0/0; allow inbound tcp 443 from 0.0.0.0/0
	//
	// 11 to create, 0 to update, 0 to delete, 0 unchanged
	//
	// monthly cost (USD):
	// ITEM                          QUANTITY  USD/MONTH  NOTE
	// NAT gateway                   730 hour  32.85      us-east-1 price; eu-south-1 may be higher
	// NAT gateway data processed    10 GB     0.45       assumes 10 GB/month; us-east-1 price
	// NAT Elastic IP (public IPv4)  730 hour  3.65       all regions
	// TOTAL                                   36.95
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

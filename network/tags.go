package network

import (
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/manga-alert-italia/mangaalert/resource"
)

// Component names: stable, one per resource of a stack, the value of its
// resource.TagComponent tag and the Name of its change.Change.
const (
	compVPC        = "vpc"
	compIGW        = "igw"
	compPublicRT   = "rt/public"
	compPrivateRT  = "rt/private"
	compNAT        = "nat"
	compNATAddress = "eip/nat"
	compHostSG     = "sg/host"
)

// The kinds of change.Change this package reports, as an operator reads them.
const (
	kindVPC       = "vpc"
	kindIGW       = "internet gateway"
	kindSubnet    = "subnet"
	kindRT        = "route table"
	kindEIP       = "Elastic IP"
	kindNAT       = "NAT gateway"
	kindSG        = "security group"
	kindInterface = "network interface"
)

func compSubnet(private bool, i int) string {
	if private {
		return fmt.Sprintf("subnet/private/%d", i)
	}
	return fmt.Sprintf("subnet/public/%d", i)
}

// parseSubnet reads a subnet component name back.
func parseSubnet(component string) (private bool, i int, ok bool) {
	var kind string
	if _, err := fmt.Sscanf(strings.ReplaceAll(component, "/", " "), "subnet %s %d", &kind, &i); err != nil || i < 0 {
		return false, 0, false
	}
	if compSubnet(kind == "private", i) != component {
		return false, 0, false
	}
	return kind == "private", i, true
}

// tagSpec is the TagSpecifications of a Create call: our two tags and Name.
func tagSpec(stack, component string, rt types.ResourceType) []types.TagSpecification {
	return []types.TagSpecification{{ResourceType: rt, Tags: []types.Tag{
		{Key: aws.String(resource.TagStack), Value: aws.String(stack)},
		{Key: aws.String(resource.TagComponent), Value: aws.String(component)},
		{Key: aws.String("Name"), Value: aws.String(stack + "-" + strings.ReplaceAll(component, "/", "-"))},
	}}}
}

// stackFilter selects what carries our stack tag.
func stackFilter(stack string) types.Filter {
	return types.Filter{Name: aws.String("tag:" + resource.TagStack), Values: []string{stack}}
}

func filter(name string, values ...string) types.Filter {
	return types.Filter{Name: aws.String(name), Values: values}
}

// componentOf returns the component tag of a resource of stack, "" when the
// resource is not ours.
func componentOf(tags []types.Tag, stack string) string {
	var s, c string
	for _, t := range tags {
		switch aws.ToString(t.Key) {
		case resource.TagStack:
			s = aws.ToString(t.Value)
		case resource.TagComponent:
			c = aws.ToString(t.Value)
		}
	}
	if s != stack {
		return ""
	}
	return c
}

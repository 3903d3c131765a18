package network

import (
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// The tags that make a resource ours.
const (
	TagStack     = "mangaalert:stack"
	TagComponent = "mangaalert:component"
)

// Component names: stable, one per resource of a stack.
const (
	compVPC        = "vpc"
	compIGW        = "igw"
	compPublicRT   = "rt/public"
	compPrivateRT  = "rt/private"
	compNAT        = "nat"
	compNATAddress = "eip/nat"
	compHostSG     = "sg/host"
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
		{Key: aws.String(TagStack), Value: aws.String(stack)},
		{Key: aws.String(TagComponent), Value: aws.String(component)},
		{Key: aws.String("Name"), Value: aws.String(stack + "-" + strings.ReplaceAll(component, "/", "-"))},
	}}}
}

// stackFilter selects what carries our stack tag.
func stackFilter(stack string) types.Filter {
	return types.Filter{Name: aws.String("tag:" + TagStack), Values: []string{stack}}
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
		case TagStack:
			s = aws.ToString(t.Value)
		case TagComponent:
			c = aws.ToString(t.Value)
		}
	}
	if s != stack {
		return ""
	}
	return c
}

package ecshost

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/manga-alert-italia/mangaalert/cost"
)

// Instance is what the package knows of an instance type: enough to size
// the containers and price the host. A type missing from Instances is
// refused, never priced at 0.
type Instance struct {
	MiB   int32      // memory
	Arch  string     // "arm64" or "x86_64", as EC2 names it
	Price cost.Price // on-demand Linux, per hour
}

// ImageArch is the architecture a container image must be built for to run
// on the instance, as Docker names it ("arm64" or "amd64").
func (i Instance) ImageArch() string {
	if i.Arch == "arm64" {
		return "arm64"
	}
	return "amd64"
}

// ec2Price is an on-demand price; the date is the type's launch, the list
// price has not moved since. No Milan figure is at hand, so they are
// us-east-1's, and the region says so.
func ec2Price(usd float64, launched string) cost.Price {
	return cost.Price{USD: usd, Unit: "hour", Source: "https://aws.amazon.com/ec2/pricing/on-demand/", Date: launched, Region: cost.USEast1}
}

// Instances are the small burstable types this package sizes for and
// prices: t4g (Graviton, arm64), t3 and t3a (x86_64).
var Instances = map[string]Instance{
	"t4g.nano": {512, "arm64", ec2Price(0.0042, "2020-09-14")}, "t4g.micro": {1024, "arm64", ec2Price(0.0084, "2020-09-14")},
	"t4g.small": {2048, "arm64", ec2Price(0.0168, "2020-09-14")}, "t4g.medium": {4096, "arm64", ec2Price(0.0336, "2020-09-14")},
	"t3.nano": {512, "x86_64", ec2Price(0.0052, "2018-08-21")}, "t3.micro": {1024, "x86_64", ec2Price(0.0104, "2018-08-21")},
	"t3.small": {2048, "x86_64", ec2Price(0.0208, "2018-08-21")}, "t3.medium": {4096, "x86_64", ec2Price(0.0416, "2018-08-21")},
	"t3a.nano": {512, "x86_64", ec2Price(0.0047, "2019-04-24")}, "t3a.micro": {1024, "x86_64", ec2Price(0.0094, "2019-04-24")},
	"t3a.small": {2048, "x86_64", ec2Price(0.0188, "2019-04-24")}, "t3a.medium": {4096, "x86_64", ec2Price(0.0376, "2019-04-24")},
}

// KnownInstanceTypes lists Instances, smallest and cheapest first.
func KnownInstanceTypes() []string {
	return slices.SortedFunc(maps.Keys(Instances), func(a, b string) int {
		if c := Instances[a].Price.USD - Instances[b].Price.USD; c != 0 {
			if c < 0 {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
}

// UnknownInstanceError is an instance type the package has no price and
// no memory size for.
type UnknownInstanceError struct{ Type string }

func (e *UnknownInstanceError) Error() string {
	return fmt.Sprintf("instance type %q is not one this package knows the price and memory of: use one of %s",
		e.Type, strings.Join(KnownInstanceTypes(), ", "))
}

// LookupInstance returns what the package knows of an instance type, or an
// *UnknownInstanceError naming the known ones.
func LookupInstance(instanceType string) (Instance, error) {
	i, ok := Instances[instanceType]
	if !ok {
		return Instance{}, &UnknownInstanceError{Type: instanceType}
	}
	return i, nil
}

var instanceTypeRE = regexp.MustCompile(`^[a-z][a-z0-9-]*\.[a-z0-9]+$`)

// archOf returns the CPU architecture of an instance type: Graviton
// families carry a "g" after the generation digit (t4g, m7g, c6gn, r8g).
func archOf(instanceType string) string {
	if info, ok := Instances[instanceType]; ok {
		return info.Arch
	}
	family, _, _ := strings.Cut(instanceType, ".")
	if regexp.MustCompile(`^[a-z]+[0-9]+g`).MatchString(family) {
		return "arm64"
	}
	return "x86_64"
}

// AMIParameter is the public SSM parameter naming the AMI for the instance
// type's architecture: the standard Amazon Linux 2023 AMI (8 GiB root; the
// user data installs the ECS agent), or with ecsOptimized the
// ECS-optimized one (30 GiB root, agent included). Only the image_id leaf
// of the ECS-optimized path is read: its parent holds a JSON object.
func AMIParameter(instanceType string, ecsOptimized bool) string {
	arch := archOf(instanceType)
	switch {
	case ecsOptimized && arch == "arm64":
		return "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id"
	case ecsOptimized:
		return "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"
	}
	return "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-" + arch
}

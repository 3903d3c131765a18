package ecshost

import (
	"regexp"
	"strings"
)

// instanceInfo is what the package knows of an instance type.
type instanceInfo struct {
	MiB  int32  // memory
	Arch string // "x86_64" or "arm64"
}

// knownInstances are the small burstable types this package sizes for.
var knownInstances = map[string]instanceInfo{
	"t3.nano": {512, "x86_64"}, "t3.micro": {1024, "x86_64"}, "t3.small": {2048, "x86_64"}, "t3.medium": {4096, "x86_64"},
	"t3a.nano": {512, "x86_64"}, "t3a.micro": {1024, "x86_64"}, "t3a.small": {2048, "x86_64"}, "t3a.medium": {4096, "x86_64"},
	"t4g.nano": {512, "arm64"}, "t4g.micro": {1024, "arm64"}, "t4g.small": {2048, "arm64"}, "t4g.medium": {4096, "arm64"},
}

// hostOverheadMiB is what the tasks cannot have of the instance's memory:
// about 128 MiB the kernel keeps from MemTotal, plus ReservedMemoryMiB that
// the agent is told to leave for the OS, Docker and itself
// (ECS_RESERVED_MEMORY), so a task at its limit cannot starve the agent.
const (
	ReservedMemoryMiB = 256
	hostOverheadMiB   = 128 + ReservedMemoryMiB
)

var instanceTypeRE = regexp.MustCompile(`^[a-z][a-z0-9-]*\.[a-z0-9]+$`)

// archOf returns the CPU architecture of an instance type: Graviton
// families carry a "g" after the generation digit (t4g, m7g, c6gn, r8g).
func archOf(instanceType string) string {
	if info, ok := knownInstances[instanceType]; ok {
		return info.Arch
	}
	family, _, _ := strings.Cut(instanceType, ".")
	if regexp.MustCompile(`^[a-z]+[0-9]+g`).MatchString(family) {
		return "arm64"
	}
	return "x86_64"
}

// AMIParameter is the public SSM parameter naming the recommended
// ECS-optimized Amazon Linux 2023 AMI for the instance type's architecture.
// Only the image_id leaf is read: the parent path holds a JSON object.
func AMIParameter(instanceType string) string {
	if archOf(instanceType) == "arm64" {
		return "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id"
	}
	return "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"
}

// taskMemoryMiB is how much memory the agent offers tasks on the instance
// type, and false when the type is unknown.
func taskMemoryMiB(instanceType string) (int32, bool) {
	info, ok := knownInstances[instanceType]
	if !ok {
		return 0, false
	}
	return info.MiB - hostOverheadMiB, true
}

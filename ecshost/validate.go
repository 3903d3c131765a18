package ecshost

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"
)

// ErrInvalidSpec is wrapped by every error about a Spec that cannot be
// applied; nothing has been written when it is returned.
var ErrInvalidSpec = errors.New("invalid ecshost spec")

// SpecError lists everything wrong with a Spec at once.
type SpecError struct{ Problems []string }

func (e *SpecError) Error() string {
	return fmt.Sprintf("%v: %s", ErrInvalidSpec, strings.Join(e.Problems, "; "))
}

// Unwrap makes errors.Is(err, ErrInvalidSpec) true.
func (e *SpecError) Unwrap() error { return ErrInvalidSpec }

var (
	stackRE         = regexp.MustCompile(`^[a-z][a-z0-9-]{0,27}$`)
	containerNameRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,29}$`)
	envNameRE       = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	// secretLikeRE catches settings that must go through Secrets: a
	// plain environment variable is readable by anyone who can describe
	// the task definition.
	secretLikeRE = regexp.MustCompile(`(?i)(secret|passw|token|api_?key|private_?key|credential)`)
	kmsKeyRE     = regexp.MustCompile(`^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$`)
	secretARNRE  = regexp.MustCompile(`^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$`)
	paramARNRE   = regexp.MustCompile(`^arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter/[A-Za-z0-9/_.-]+$`)
)

// logRetentions are the values CloudWatch Logs accepts.
var logRetentions = []int32{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// withDefaults returns s with every zero field set to its default. It does
// not validate.
func (s Spec) withDefaults() Spec {
	s.SubnetIDs = slices.Clone(s.SubnetIDs)
	if s.InstanceType == "" {
		s.InstanceType = DefaultInstanceType
	}
	if s.RootVolumeGiB == 0 {
		s.RootVolumeGiB = s.minRootGiB()
	}
	if len(s.ImageArch) == 0 {
		s.ImageArch = DefaultImageArch
	}
	s.ImageArch = slices.Clone(s.ImageArch)
	if s.LogRetentionDays == 0 {
		s.LogRetentionDays = DefaultLogRetentionDays
	}
	if s.InstanceHealthGracePeriod == 0 {
		s.InstanceHealthGracePeriod = DefaultGracePeriod
	}
	if s.ContainerStopTimeout == 0 {
		s.ContainerStopTimeout = DefaultStopTimeout
	}
	svc := s.Service
	if svc.Name == "" {
		svc.Name = DefaultServiceName
	}
	if svc.PortMappings == nil {
		svc.PortMappings = []PortMapping{{ContainerPort: DefaultContainerPort, HostPort: DefaultHostPort}}
	}
	if svc.HealthCheck == nil {
		svc.HealthCheck = &HealthCheck{Command: DefaultHealthCheckCommand}
	}
	if svc.MemoryMiB == 0 {
		svc.MemoryMiB = DefaultServiceMemoryMiB
	}
	s.Service = s.containerDefaults(svc)
	tasks := s.Tasks
	if tasks == nil {
		for _, n := range DefaultTaskNames {
			tasks = append(tasks, Container{Name: n})
		}
	}
	s.Tasks = make([]Container, len(tasks))
	for i, t := range tasks {
		if t.MemoryMiB == 0 {
			t.MemoryMiB = DefaultTaskMemoryMiB
		}
		s.Tasks[i] = s.containerDefaults(t)
	}
	return s
}

// containerDefaults merges the Spec-wide settings into c and fills its
// defaults.
func (s Spec) containerDefaults(c Container) Container {
	if len(c.Command) == 0 {
		c.Command = []string{c.Name}
	}
	if c.Image == "" {
		c.Image = s.Image
	}
	env := maps.Clone(s.Environment)
	if env == nil && c.Environment != nil {
		env = map[string]string{}
	}
	maps.Copy(env, c.Environment)
	c.Environment = env
	var secrets []Secret
	for _, sec := range s.Secrets {
		if !slices.ContainsFunc(c.Secrets, func(o Secret) bool { return o.Name == sec.Name }) {
			secrets = append(secrets, sec)
		}
	}
	c.Secrets = append(secrets, c.Secrets...)
	slices.SortStableFunc(c.Secrets, func(a, b Secret) int { return strings.Compare(a.Name, b.Name) })
	if c.StopTimeout == 0 {
		c.StopTimeout = DefaultStopTimeout
	}
	if c.MemoryReservationMiB == 0 {
		c.MemoryReservationMiB = min(DefaultReservationMiB, c.MemoryMiB)
	}
	if hc := c.HealthCheck; hc != nil {
		h := *hc
		h.Command = slices.Clone(h.Command)
		if h.Interval == 0 {
			h.Interval = 30 * time.Second
		}
		if h.Timeout == 0 {
			h.Timeout = 5 * time.Second
		}
		if h.Retries == 0 {
			h.Retries = 3
		}
		if h.StartPeriod == 0 {
			h.StartPeriod = 15 * time.Second
		}
		c.HealthCheck = &h
	}
	return c
}

// containers returns the service container first, then the tasks.
func (s Spec) containers() []Container {
	return append([]Container{s.Service}, s.Tasks...)
}

// validate checks a Spec after withDefaults and says everything that is
// wrong, and what to do, in one error.
func (s Spec) validate() error {
	var p []string
	bad := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }

	if !stackRE.MatchString(s.Stack) {
		bad("Stack %q: use 1-28 lower-case letters, digits or hyphens, starting with a letter", s.Stack)
	}
	if len(s.SubnetIDs) == 0 {
		bad("SubnetIDs is empty: pass the public subnet IDs of the network step")
	}
	for _, id := range s.SubnetIDs {
		if !strings.HasPrefix(id, "subnet-") {
			bad("SubnetIDs: %q is not a subnet ID (subnet-…)", id)
		}
	}
	if !strings.HasPrefix(s.SecurityGroupID, "sg-") {
		bad("SecurityGroupID %q: pass the host security group ID of the network step (sg-…)", s.SecurityGroupID)
	}
	if !instanceTypeRE.MatchString(s.InstanceType) {
		bad("InstanceType %q is not an instance type such as t4g.nano", s.InstanceType)
	} else if _, err := LookupInstance(s.InstanceType); err != nil {
		bad("InstanceType %s", strings.TrimPrefix(err.Error(), "instance type "))
	}
	p = append(p, s.archProblems()...)
	if s.AMI != "" && !strings.HasPrefix(s.AMI, "ami-") {
		bad("AMI %q is not an image ID (ami-…); leave it empty to use the Amazon Linux 2023 AMI", s.AMI)
	}
	if s.RootVolumeGiB < s.minRootGiB() || s.RootVolumeGiB > 16384 {
		bad("RootVolumeGiB %d: the %s needs at least %d GiB (gp3 allows up to 16384)", s.RootVolumeGiB, s.amiName(), s.minRootGiB())
	}
	if !slices.Contains(logRetentions, s.LogRetentionDays) {
		bad("LogRetentionDays %d: CloudWatch Logs accepts only %v", s.LogRetentionDays, logRetentions)
	}
	if s.InstanceHealthGracePeriod < 0 || s.InstanceHealthGracePeriod > 2*time.Hour {
		bad("InstanceHealthGracePeriod %s: use 0 (default %s) up to 2h", s.InstanceHealthGracePeriod, DefaultGracePeriod)
	}
	if s.ContainerStopTimeout < time.Second || s.ContainerStopTimeout > 10*time.Minute {
		bad("ContainerStopTimeout %s: use 1s to 10m", s.ContainerStopTimeout)
	}
	if s.KMSKeyARN != "" && !kmsKeyRE.MatchString(s.KMSKeyARN) {
		bad("KMSKeyARN %q is not a KMS key ARN (arn:aws:kms:region:account:key/id)", s.KMSKeyARN)
	}
	for k := range s.Tags {
		if strings.HasPrefix(k, "aws:") || strings.HasPrefix(k, "mangaalert:") {
			bad("Tags: key %q is reserved (aws: and mangaalert: prefixes)", k)
		}
	}

	seen := map[string]bool{}
	for i, c := range s.containers() {
		what := "Service"
		if i > 0 {
			what = fmt.Sprintf("Tasks[%d]", i-1)
		}
		if !containerNameRE.MatchString(c.Name) {
			bad("%s.Name %q: use 1-30 lower-case letters, digits or hyphens, starting with a letter", what, c.Name)
		}
		if seen[c.Name] {
			bad("%s.Name %q is used twice; each container needs its own name", what, c.Name)
		}
		seen[c.Name] = true
		p = append(p, c.problems(what, i == 0)...)
	}
	p = append(p, s.memoryProblems()...)
	p = append(p, s.scaleOutProblems()...)
	p = append(p, s.awsvpcProblems()...)
	if len(p) > 0 {
		return &SpecError{Problems: p}
	}
	return nil
}

func (c Container) problems(what string, service bool) []string {
	var p []string
	bad := func(format string, args ...any) { p = append(p, fmt.Sprintf(what+"."+format, args...)) }
	for _, name := range slices.Sorted(maps.Keys(c.Environment)) {
		if !envNameRE.MatchString(name) {
			bad("Environment: %q is not a variable name", name)
		}
		if secretLikeRE.MatchString(name) {
			bad("Environment: %q looks like a secret; pass it in Secrets (valueFrom a Secrets Manager ARN) so it never sits in the task definition", name)
		}
	}
	names := map[string]bool{}
	for _, sec := range c.Secrets {
		if !envNameRE.MatchString(sec.Name) {
			bad("Secrets: %q is not a variable name", sec.Name)
		}
		if names[sec.Name] {
			bad("Secrets: %q is given twice", sec.Name)
		}
		names[sec.Name] = true
		if _, exists := c.Environment[sec.Name]; exists {
			bad("Secrets: %q is also a plain environment variable; keep one", sec.Name)
		}
		if _, err := SecretARN(sec.ValueFrom); err != nil && !IsParameterARN(sec.ValueFrom) {
			bad("Secrets: %q: %v, nor an SSM parameter ARN (arn:aws:ssm:region:account:parameter/name)", sec.Name, err)
		}
	}
	if len(c.Command) == 0 {
		bad("Command is empty")
	}
	ports := map[int32]bool{}
	for _, pm := range c.PortMappings {
		if pm.ContainerPort < 1 || pm.ContainerPort > 65535 {
			bad("PortMappings: container port %d is not a port", pm.ContainerPort)
		}
		if pm.HostPort < 0 || pm.HostPort > 65535 {
			bad("PortMappings: host port %d is not a port (0 for a dynamic one)", pm.HostPort)
		}
		if pm.HostPort != 0 && ports[pm.HostPort] {
			bad("PortMappings: host port %d is published twice", pm.HostPort)
		}
		ports[pm.HostPort] = true
	}
	if !service && len(c.PortMappings) > 0 {
		bad("PortMappings: a scheduled task publishes no port")
	}
	if c.MemoryMiB < 6 {
		bad("MemoryMiB %d: Docker needs at least 6 MiB", c.MemoryMiB)
	}
	if c.MemoryReservationMiB < 0 || (c.MemoryReservationMiB > 0 && c.MemoryReservationMiB > c.MemoryMiB) {
		bad("MemoryReservationMiB %d must be between 0 and MemoryMiB (%d)", c.MemoryReservationMiB, c.MemoryMiB)
	}
	if c.CPU < 0 || c.CPU > 10240 {
		bad("CPU %d: use 0 to 10240 units (1024 per vCPU)", c.CPU)
	}
	if c.StopTimeout < time.Second || c.StopTimeout > 120*time.Second {
		bad("StopTimeout %s: ECS accepts 1s to 120s", c.StopTimeout)
	}
	if hc := c.HealthCheck; hc != nil {
		switch {
		case len(hc.Command) < 2 || (hc.Command[0] != "CMD" && hc.Command[0] != "CMD-SHELL"):
			bad(`HealthCheck.Command %q: start with "CMD" (the image has no shell), then the command`, hc.Command)
		case hc.Interval < 5*time.Second || hc.Interval > 300*time.Second:
			bad("HealthCheck.Interval %s: ECS accepts 5s to 300s", hc.Interval)
		case hc.Timeout < 2*time.Second || hc.Timeout > 60*time.Second:
			bad("HealthCheck.Timeout %s: ECS accepts 2s to 60s", hc.Timeout)
		case hc.Retries < 1 || hc.Retries > 10:
			bad("HealthCheck.Retries %d: ECS accepts 1 to 10", hc.Retries)
		case hc.StartPeriod < 0 || hc.StartPeriod > 300*time.Second:
			bad("HealthCheck.StartPeriod %s: ECS accepts 0 to 300s", hc.StartPeriod)
		}
	}
	return p
}

// memoryProblems checks that ECS can place every container that may run
// at once (their soft limits fit), and that the service and the largest
// task fit by their hard limits. Tasks that may overlap beyond that are a
// note of the plan (memoryNotes), not a refusal: they still run, with less
// headroom.
func (s Spec) memoryProblems() []string {
	b, known := s.budgetOn(s.InstanceType)
	if !known {
		return nil
	}
	one := s
	one.TasksAtOnce = 1
	b1, _ := one.budgetOn(s.InstanceType)
	switch {
	case b.SoftMiB > b.TasksMiB:
		return []string{fmt.Sprintf("memory: ECS cannot place the containers: their soft limits need %d MiB at once, a %s offers about %d MiB to tasks; "+
			"lower the containers' memory reservations or pick a bigger instance type", b.SoftMiB, s.InstanceType, b.TasksMiB)}
	case !b1.Fits():
		return []string{fmt.Sprintf("memory: the service (×%d during a rollout) and the largest task need %d MiB by their hard limits, "+
			"a %s offers about %d MiB to tasks; lower the containers' memory limits or pick a bigger instance type",
			b1.ServiceCopies, b1.HardMiB, s.InstanceType, b1.TasksMiB)}
	}
	return nil
}

// archProblems refuses an instance whose architecture the image is not
// built for: the task would fail at start with "exec format error".
func (s Spec) archProblems() []string {
	if p := ArchProblem(s.InstanceType, s.ImageArch); p != "" {
		return []string{p}
	}
	return nil
}

// ArchProblem says what is wrong with running an image built for
// imageArch ("arm64", "amd64"; empty: DefaultImageArch) on the instance
// type, or "" when it runs there (or the type is unknown, said elsewhere).
func ArchProblem(instanceType string, imageArch []string) string {
	if len(imageArch) == 0 {
		imageArch = DefaultImageArch
	}
	for _, a := range imageArch {
		if a != "arm64" && a != "amd64" {
			return fmt.Sprintf("ImageArch %q: use arm64 and/or amd64", a)
		}
	}
	info, ok := Instances[instanceType]
	if !ok || slices.Contains(imageArch, info.ImageArch()) {
		return ""
	}
	want := info.ImageArch()
	return fmt.Sprintf("instance type %s is %s but the image is built for %s only: build the %s image too "+
		"(examples/mangaalert/build-image.sh builds TAG-arm64 and TAG-amd64, and with --push one manifest list TAG of both) and list %s among the image's architectures, "+
		"or pick an instance type of %s", instanceType, want, strings.Join(imageArch, ", "), want, want, strings.Join(imageArch, ", "))
}

func (s Spec) minRootGiB() int32 {
	if s.ECSOptimizedAMI {
		return ECSOptimizedRootGiB
	}
	return DefaultRootVolumeGiB
}

func (s Spec) amiName() string {
	if s.ECSOptimizedAMI {
		return "ECS-optimized AL2023 AMI"
	}
	return "standard AL2023 AMI"
}

// IsParameterARN tells a valueFrom that names an SSM Parameter Store
// parameter (a SecureString, which the agent decrypts) by its full ARN.
func IsParameterARN(valueFrom string) bool { return paramARNRE.MatchString(valueFrom) }

// SecretARN returns the secret ARN of a valueFrom entry: the entry itself,
// or the part before ":json-key:version-stage:version-id". It must be a
// complete Secrets Manager ARN, with the six random characters AWS appends
// to the name, so the execution role can name exactly that secret.
func SecretARN(valueFrom string) (string, error) {
	parts := strings.Split(valueFrom, ":")
	if len(parts) < 7 || len(parts) > 10 {
		return "", fmt.Errorf("valueFrom %q is not a Secrets Manager secret ARN (arn:aws:secretsmanager:region:account:secret:name-AbCdEf[:json-key::])", valueFrom)
	}
	arn := strings.Join(parts[:7], ":")
	if !secretARNRE.MatchString(arn) {
		return "", fmt.Errorf("valueFrom %q is not a complete Secrets Manager secret ARN (arn:aws:secretsmanager:region:account:secret:name-AbCdEf); use the ARN the secrets step returns", valueFrom)
	}
	return arn, nil
}

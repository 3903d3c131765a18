package ecshost

import (
	"time"

	"github.com/manga-alert-italia/mangaalert/iampolicy"
)

// Defaults for the zero fields of Spec and Container.
const (
	DefaultInstanceType     = "t4g.nano"
	DefaultRootVolumeGiB    = 8  // the standard AL2023 AMI's snapshot size, and the smallest it boots from
	ECSOptimizedRootGiB     = 30 // the same for the ECS-optimized AL2023 AMI
	DefaultLogRetentionDays = 14
	DefaultStopTimeout      = 30 * time.Second
	DefaultGracePeriod      = 5 * time.Minute // ASG health-check grace: boot, agent start, first task
	DefaultServiceName      = "serve"
	DefaultContainerPort    = 8080
	DefaultHostPort         = 80
	DefaultServiceMemoryMiB = 96 // hard limits: the Go binary runs in well under half
	DefaultTaskMemoryMiB    = 96
	DefaultReservationMiB   = 48 // soft limit, what ECS places a container by
)

// DefaultImageArch are the architectures the image is taken to be built
// for when Spec.ImageArch is empty: what examples/mangaalert/build-image.sh
// builds.
var DefaultImageArch = []string{"arm64", "amd64"}

// DefaultHealthCheckCommand runs the binary itself: the image has no shell
// and no curl, so the check is a subcommand that GETs the backend's /healthz.
var DefaultHealthCheckCommand = []string{"CMD", "/mangaalert", "healthcheck"}

// DefaultTaskNames are the scheduled commands of the one image.
var DefaultTaskNames = []string{"scrape", "notify"}

// Spec is the host's desired state. Zero fields mean the documented
// defaults; Stack, SubnetIDs and SecurityGroupID are required, and Image on
// the first Ensure.
type Spec struct {
	// Stack names and tags everything: lower-case letters, digits and
	// hyphens, starting with a letter, at most 28 characters.
	Stack string

	// SubnetIDs are the public subnets the group launches into (the
	// network step's outputs). Tasks run in bridge mode and reach the
	// internet through the host's public address, so no NAT is needed.
	SubnetIDs []string
	// SecurityGroupID is the host's security group.
	SecurityGroupID string

	// InstanceType defaults to t4g.nano; it must be one of Instances (its
	// price and memory known). Graviton types (t4g) select the arm64 AMI
	// parameter; the image must then be built for arm64 (ImageArch).
	InstanceType string
	// ImageArch are the architectures ("arm64", "amd64") the image is
	// built for (default DefaultImageArch); an instance of another
	// architecture is refused.
	ImageArch []string
	// Spot runs the one instance on Spot, with capacity rebalancing: the
	// group launches a replacement when EC2 signals the instance is at
	// risk, before the two-minute interruption notice.
	Spot bool
	// AMI pins an image. Empty: the standard Amazon Linux 2023 AMI (or
	// with ECSOptimizedAMI the ECS-optimized one) is read from SSM when
	// the launch template is created and then kept, so an unrelated apply
	// never replaces the instance.
	AMI string
	// ECSOptimizedAMI launches the ECS-optimized AL2023 AMI (agent and
	// Docker included, 30 GiB root volume) instead of the standard one
	// (8 GiB) on which the user data installs ecs-init.
	ECSOptimizedAMI bool
	// RefreshAMI reads the SSM parameter again at this apply; a newer AMI
	// makes a new template version and an instance refresh.
	RefreshAMI bool
	// RootVolumeGiB is the encrypted gp3 root volume (default and minimum
	// 8, or 30 with ECSOptimizedAMI).
	RootVolumeGiB int32
	// KeyName attaches an EC2 key pair; empty (the default) means none:
	// use SessionManager instead of SSH.
	KeyName string
	// SessionManager attaches AmazonSSMManagedInstanceCore to the instance
	// role, for shell access without SSH.
	SessionManager bool
	// ElasticIP allocates one address, kept across instance replacements:
	// each new instance associates it at boot with its own role, which may
	// associate only that allocation.
	ElasticIP bool
	// InstanceHealthGracePeriod is the group's EC2 health-check grace
	// period (default 5 minutes).
	InstanceHealthGracePeriod time.Duration
	// ContainerStopTimeout is the agent's ECS_CONTAINER_STOP_TIMEOUT, the
	// wait between SIGTERM and SIGKILL for containers without their own
	// StopTimeout (default 30 s).
	ContainerStopTimeout time.Duration

	// ContainerInsights turns on CloudWatch Container Insights (off by
	// default: it is billed per metric).
	ContainerInsights bool
	// LogRetentionDays of the log group (default 14; one of the values
	// CloudWatch Logs accepts).
	LogRetentionDays int32
	// KMSKeyARN is the customer key the referenced secrets are encrypted
	// with; the execution role then gets kms:Decrypt on it, through
	// Secrets Manager only. Empty: the AWS-managed key, no grant needed.
	KMSKeyARN string

	// Image is the one container image of every container ("repo:tag" or
	// an ECR URI). Empty keeps the image the current revisions run; the
	// first Ensure needs one.
	Image string
	// Environment and Secrets are given to every container; a container's
	// own entries with the same name win.
	Environment map[string]string
	Secrets     []Secret

	// Service is the long-running container (default name "serve", port
	// 8080 published on host port 80, health check DefaultHealthCheckCommand).
	Service Container
	// Tasks are the scheduled containers, run by the schedule step, not as
	// services (default "scrape" and "notify").
	Tasks []Container
	// TasksAtOnce is how many Tasks may run at the same time (0: all of
	// them); schedules that never overlap make it 1, and the memory
	// budget counts only the largest.
	TasksAtOnce int

	// Tags are added to every resource, next to mangaalert:stack and
	// mangaalert:component.
	Tags map[string]string

	// ScaleOut runs several instances and tasks behind a load balancer.
	ScaleOut
	// AwsVPC: the awsvpc network mode, Fargate for the scheduled tasks.
	AwsVPC
}

// Container is one command of the image and its task definition.
type Container struct {
	// Name of the container; the task definition family is Stack-Name.
	Name string
	// Command defaults to [Name]: the binary's subcommand.
	Command []string
	// Image overrides Spec.Image for this container.
	Image string
	// Environment holds plain settings; anything secret goes in Secrets.
	Environment map[string]string
	// Secrets are injected by the agent from Secrets Manager.
	Secrets []Secret
	// PortMappings publish container ports; HostPort 0 is a dynamic port.
	PortMappings []PortMapping
	// MemoryMiB is the hard limit (default 96); MemoryReservationMiB the
	// soft limit (default 48, at most MemoryMiB).
	MemoryMiB            int32
	MemoryReservationMiB int32
	// CPU units (1024 = one vCPU); 0 shares the host's CPUs.
	CPU int32
	// HealthCheck of the container; the service gets the default one when
	// nil, tasks none.
	HealthCheck *HealthCheck
	// StopTimeout between SIGTERM and SIGKILL (default 30 s, at most 120 s).
	StopTimeout time.Duration
	// TaskPolicy is the task role's policy; empty means no task role. It
	// must pass iampolicy.Check.
	TaskPolicy iampolicy.Document
}

// Secret is one secret environment variable: ValueFrom is a Secrets
// Manager secret ARN, optionally followed by ":json-key:version-stage:version-id"
// (e.g. "arn:aws:secretsmanager:eu-south-1:123456789012:secret:app-AbCdEf:smtp_password::").
type Secret struct {
	Name      string
	ValueFrom string
}

// PortMapping publishes ContainerPort on HostPort (0: a port Docker picks,
// which lets two tasks of the service share the host during a rollout).
type PortMapping struct {
	ContainerPort int32
	HostPort      int32
}

// HealthCheck is a container health check; zero durations and retries mean
// 30 s interval, 5 s timeout, 3 retries, 15 s start period.
type HealthCheck struct {
	Command     []string
	Interval    time.Duration
	Timeout     time.Duration
	Retries     int32
	StartPeriod time.Duration
}

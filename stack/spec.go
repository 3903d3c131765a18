package stack

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/manga-alert-italia/mangaalert/iampolicy"
	"github.com/manga-alert-italia/mangaalert/secrets"
)

// Defaults of a Spec's zero fields.
const (
	DefaultServiceName = "serve"
	DefaultSchedule    = "cron(0 0/6 * * ? *)"
	DefaultZone        = "Europe/Rome"
	DefaultHostPort    = 80
	DefaultAppPort     = 8080
)

// Spec is one application on the cheap shape: an always-on service
// container, scheduled jobs, secrets and an optional table, on one EC2
// host running ECS. Zero fields mean the documented defaults; Stack is
// required, and Image on the first Apply.
type Spec struct {
	// Stack names and tags everything: 3-28 lower-case letters, digits or
	// hyphens, starting with a letter.
	Stack string
	// Image is the container image of every container that names none.
	// "" keeps the image the service runs (the first Apply needs one).
	Image string
	// Environment is given to every container, under its own. AWS_REGION
	// is always set: the EC2 launch type sets no region in containers.
	Environment map[string]string
	// Service is the always-on container, in bridge mode. Name defaults
	// to "serve"; with no PortMappings it publishes 8080 on host port 80.
	Service Container
	// Jobs are the scheduled containers, each run as one ECS task.
	Jobs []Job
	// Secrets are the stack's secrets: in Secrets Manager, or with
	// SecretStore StoreSSM as Parameter Store SecureStrings /STACK/NAME
	// (a Secret.Name "STACK/NAME" loses its STACK/).
	Secrets []Secret
	// SecretStore is StoreSecretsManager (default: 0.40 USD a secret a
	// month, staged versions for rotation) or StoreSSM (standard
	// parameters: free; no staged versions, so containers take their
	// secrets injected, never by SecretARNs).
	SecretStore string
	// Table is the stack's DynamoDB table; nil for none.
	Table *Table
	// Network is the VPC around the host.
	Network Network
	// Host is the EC2 instance and what it keeps.
	Host Host
	// Alerts is what the operator is told; nil for nothing.
	Alerts *Alerts
	// LoadBalancer fronts the service on several hosts; nil for none
	// (one host serving the site itself).
	LoadBalancer *LoadBalancer
	// Scaling grows the service's tasks and the hosts on AWS's own
	// autoscaling (autoscale.go); the zero value scales nothing.
	Scaling Scaling
	// Tags go on every resource, next to the stack's own.
	Tags map[string]string

	// JobsOn is where the jobs run (issue 16): JobsOnEC2 (default, on the
	// hosts), JobsOnFargate or JobsOnFargateSpot (per run, with their own
	// network interface: in the private subnets with Network.NAT, else in
	// the public ones with a public address).
	JobsOn string
}

// Container is one command of the image, with its task definition and
// task role.
type Container struct {
	// Name names the task definition (family STACK-NAME) and the job.
	Name string
	// Command defaults to [Name].
	Command []string
	// Image overrides Spec.Image.
	Image string
	// Environment holds plain settings; never a secret's text.
	Environment map[string]string
	// Secrets inject a stack secret into a variable, by the agent
	// (valueFrom): variable name → Secret.Name. The execution role may
	// read exactly these.
	Secrets map[string]string
	// SecretARNs put a stack secret's ARN into a variable, for code that
	// reads the secret itself (its previous version during a rotation):
	// variable name → Secret.Name. The task role may read these. A name
	// that looks like a secret's own (SECRET, PASSW, TOKEN, API_KEY, ...)
	// is refused: it holds an ARN, so say so (SIGNING_KEY_ARN).
	SecretARNs map[string]string
	// UsesTable lets the task role read and write the items of the table
	// and its indexes (never table management, never dynamodb:*).
	UsesTable bool
	// Policy adds statements to the task role, once the account, region
	// and ARNs are known (placeholders in an offline plan). Every
	// statement must pass iampolicy.Check.
	Policy func(Outputs) []iampolicy.Statement
	// PortMappings publish container ports on the host (the service's
	// default: 8080 on 80). HostPort 0 is a dynamic port.
	PortMappings []PortMapping
	// EnvironmentFrom adds variables once the account, region and ARNs
	// are known (the alerts' configuration set and topics), over
	// Environment.
	EnvironmentFrom func(Outputs) map[string]string
	// MemoryMiB is the hard limit (default 128 for the service, 192 for
	// a job).
	MemoryMiB int32
	// HealthCheck of the container; nil gives the service the host
	// package's default and jobs none.
	HealthCheck *HealthCheck
}

// PortMapping publishes ContainerPort on HostPort.
type PortMapping struct {
	ContainerPort int32
	HostPort      int32
}

// HealthCheck is a container health check; zero durations and retries
// mean 30 s interval, 5 s timeout, 3 retries, 15 s start period.
type HealthCheck struct {
	Command     []string
	Interval    time.Duration
	Timeout     time.Duration
	Retries     int32
	StartPeriod time.Duration
}

// Job is a container run on a schedule.
type Job struct {
	Container
	// Schedule is an EventBridge Scheduler expression: rate(...),
	// cron(...) or at(...). Default cron(0 0/6 * * ? *), every six hours
	// on the hour; with After, the schedule of that job Offset later.
	Schedule string
	// After names the job this one follows: with Schedule "", it runs on
	// that job's cron schedule shifted Offset later (the plan says so), so
	// it reads what that job's run did and never starts with it. The job
	// followed must run on cron(): a rate counts from when it was written,
	// and nothing can start a fixed time after it (a validation error).
	After string
	// Offset is how long after the followed job this one starts: whole
	// minutes below 24 hours; default DefaultOffset (30 minutes).
	Offset time.Duration
	// Zone reads cron and at expressions. Default Europe/Rome.
	Zone string
	// Description of the schedule; "" gives one naming the stack and job.
	Description string
}

// Secret is one secret of the stack. With neither Value nor Generate it
// must exist already: Apply checks before its first write (ErrMissingSecret).
type Secret struct {
	// Name in Secrets Manager, by convention STACK/what.
	Name        string
	Description string
	// Value is its text, written on creation, and with Overwrite whenever
	// it differs.
	Value     secrets.Value
	Overwrite bool
	// Generate makes its first value when it does not exist.
	Generate secrets.Generator
}

// Table is the stack's DynamoDB table, on-demand. It is created tagged as
// the stack's, and an existing table is used only when it carries the
// stack's tag; the stack adds the indexes it lacks and turns TTL on, and
// refuses (ErrTableShape) one whose keys differ.
type Table struct {
	// Name defaults to the stack name.
	Name string
	// Definition is the table as CreateTable takes it: attribute
	// definitions, key schema and global secondary indexes (a store's
	// own, such as store/dynamo's TableDefinition). Its name, billing and
	// tags are the stack's. Nil means string keys pk and sk, no index.
	Definition *dynamodb.CreateTableInput
	// TTLAttribute is the attribute whose epoch seconds expire an item;
	// "" leaves TTL off.
	TTLAttribute string
	// ReadsPerMonth and WritesPerMonth are what the cost estimate
	// assumes, in millions of request units (default 1 and 0.1).
	ReadsPerMonth, WritesPerMonth float64
}

// Network is the VPC: public subnets behind an internet gateway, no NAT
// by default.
type Network struct {
	CIDR string // default 10.0.0.0/16
	AZs  int    // zones with a subnet; default 2
	// NAT adds private subnets and one NAT gateway (about 33 USD a month);
	// the host stays public, bridge-mode tasks need none.
	NAT bool
	// Ports the host opens to IngressCIDRs; default 80 and 443.
	Ports        []int32
	IngressCIDRs []string // default 0.0.0.0/0
	SSHCIDRs     []string // default none: no SSH
	// Mode is the service's network mode (issue 16): NetworkModeBridge
	// (default) or NetworkModeAwsvpc, which needs NAT and a LoadBalancer.
	Mode string
}

// Host is the one EC2 instance.
type Host struct {
	InstanceType     string // default t4g.nano; one of ecshost.Instances
	ElasticIP        bool   // one public address across instance replacements
	SessionManager   bool   // Systems Manager may open a shell
	LogRetentionDays int32  // of the containers' log group; default 14
	// RefreshAMI reads the newest ECS-optimized AMI at this apply; without
	// it the host keeps the AMI it was launched with (pinned).
	RefreshAMI bool
	// ImageArch are the architectures the image is built for (default
	// arm64 and amd64); an instance of another one is refused.
	ImageArch []string
	// Spot runs the instance on Spot with capacity rebalancing.
	Spot bool
	// ECSOptimizedAMI launches the ECS-optimized AMI (30 GiB root)
	// instead of the standard AL2023 one (8 GiB, agent installed at boot).
	ECSOptimizedAMI bool
	// Instances is how many hosts run, each with one task of the service
	// (default 1); 2 or more need a LoadBalancer.
	Instances int32
}

// WithDefaults returns s with its zero fields set.
func (s Spec) WithDefaults() Spec {
	if s.Service.Name == "" {
		s.Service.Name = DefaultServiceName
	}
	if s.Service.PortMappings == nil {
		s.Service.PortMappings = []PortMapping{{ContainerPort: DefaultAppPort, HostPort: DefaultHostPort}}
		if s.LoadBalancer != nil { // behind it, on a dynamic host port
			s.Service.PortMappings[0].HostPort = 0
		}
	}
	jobs := make([]Job, len(s.Jobs))
	for i, j := range s.Jobs {
		if j.After != "" && j.Offset == 0 {
			j.Offset = DefaultOffset
		}
		if j.Schedule == "" && j.After == "" {
			j.Schedule = DefaultSchedule
		}
		if j.Zone == "" {
			j.Zone = DefaultZone
		}
		jobs[i] = j
	}
	followed(jobs)
	s.Jobs = jobs
	if s.Table != nil {
		t := *s.Table
		if t.Name == "" {
			t.Name = s.Stack
		}
		if t.ReadsPerMonth == 0 {
			t.ReadsPerMonth = 1
		}
		if t.WritesPerMonth == 0 {
			t.WritesPerMonth = 0.1
		}
		s.Table = &t
	}
	return s
}

// containers are the service and the jobs' containers, in that order.
func (s Spec) containers() []Container {
	out := []Container{s.Service}
	for _, j := range s.Jobs {
		out = append(out, j.Container)
	}
	return out
}

package ecslocal

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/moby/moby/client"

	"github.com/manga-alert-italia/mangaalert/schedule/expr"
)

// StackOptions are what a command running a whole stack locally asks for.
type StackOptions struct {
	// Planned runs the planned definitions even where a revision is
	// registered (to try a change before apply).
	Planned bool
	// Schedules are the jobs' schedule expressions by container name;
	// with Repeat the jobs run again at their rate, else once.
	Schedules map[string]string
	Repeat    bool
	// Endpoint is the AWS endpoint the caller uses ("" for AWS itself);
	// ContainerEndpoint the same as the containers reach it (default:
	// Endpoint with a loopback host replaced by host.docker.internal).
	Endpoint, ContainerEndpoint string
	HostIP                      string
	HostPorts                   map[int32]int32
	Env                         map[string]string
	Out                         io.Writer
	// Docker is the engine's client (default: from DOCKER_HOST and the
	// other DOCKER_* variables).
	Docker Docker
}

// Flags registers the command-line flags that set so.
func (so *StackOptions) Flags(fs *flag.FlagSet) {
	fs.BoolVar(&so.Planned, "planned", false, "run what plan would register, even where apply registered a revision")
	fs.BoolVar(&so.Repeat, "schedules", false, "run the jobs again at their schedule's rate, not once")
	fs.StringVar(&so.ContainerEndpoint, "container-endpoint", "", "the emulator's `URL` as containers reach it (default: --endpoint on host.docker.internal)")
	fs.StringVar(&so.HostIP, "host-ip", "127.0.0.1", "the `address` published ports bind")
	fs.Func("publish", "use `HOSTPORT=LOCAL` instead of a definition's host port (LOCAL 0: any free port)", so.Publish)
	fs.Func("env", "add `KEY=VALUE` to every container's environment", so.SetEnv)
}

// Publish parses a --publish value, HOSTPORT=LOCAL, into HostPorts.
func (so *StackOptions) Publish(v string) error {
	h, l, ok := strings.Cut(v, "=")
	hp, err1 := strconv.ParseUint(h, 10, 16)
	lp, err2 := strconv.ParseUint(l, 10, 16)
	if !ok || err1 != nil || err2 != nil {
		return fmt.Errorf("%q: want HOSTPORT=LOCALPORT, such as 80=8080 (0: any free port)", v)
	}
	if so.HostPorts == nil {
		so.HostPorts = map[int32]int32{}
	}
	so.HostPorts[int32(hp)] = int32(lp)
	return nil
}

// SetEnv parses a --env value, KEY=VALUE, into Env.
func (so *StackOptions) SetEnv(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("%q: want KEY=VALUE", v)
	}
	if so.Env == nil {
		so.Env = map[string]string{}
	}
	so.Env[k] = val
	return nil
}

// Stack runs a stack's task definitions, service first then the jobs (the
// order of planned): for each, the revision apply registered, or the
// planned one where none is (secrets not created yet take their values
// from secrets, by valueFrom). The containers reach AWS, or the emulator,
// with cfg's region and credentials. It returns when ctx ends, after
// stopping and removing what it started (see Runner.Run).
func Stack(ctx context.Context, cfg aws.Config, planned []*ecs.RegisterTaskDefinitionInput, secrets map[string]string, so StackOptions) error {
	if len(planned) == 0 {
		return fmt.Errorf("no task definitions to run")
	}
	var api DescribeAPI
	if !so.Planned {
		api = ecs.NewFromConfig(cfg)
	}
	defs, err := Definitions(ctx, api, planned)
	if err != nil {
		return err
	}
	env, err := AWSEnv(ctx, cfg, so.containerEndpoint())
	if err != nil {
		return err
	}
	for k, v := range so.Env {
		env[k] = v
	}
	if so.Docker == nil {
		cli, err := client.New(client.FromEnv)
		if err != nil {
			return fmt.Errorf("docker: %w", err)
		}
		defer cli.Close()
		so.Docker = cli
	}
	out := so.Out
	if out == nil {
		out = io.Discard
	}
	var jobs []Job
	for i, td := range defs {
		fmt.Fprintf(out, "%s: %s\n", map[bool]string{true: "service", false: "job"}[i == 0], Name(td))
		if i == 0 {
			continue
		}
		j := Job{Task: td}
		if e, ok := so.Schedules[aws.ToString(td.ContainerDefinitions[0].Name)]; ok && so.Repeat {
			if j.Every, err = Every(e); err != nil {
				return err
			}
		}
		jobs = append(jobs, j)
	}
	r := New(so.Docker, secretsmanager.NewFromConfig(cfg), func(o *Options) {
		o.Env, o.Secrets, o.HostPorts, o.Out = env, secrets, so.HostPorts, out
		if so.HostIP != "" {
			o.HostIP = so.HostIP
		}
	})
	return r.Run(ctx, defs[0], jobs)
}

func (so StackOptions) containerEndpoint() string {
	if so.ContainerEndpoint != "" || so.Endpoint == "" {
		return so.ContainerEndpoint
	}
	u, err := url.Parse(so.Endpoint)
	if err != nil {
		return so.Endpoint
	}
	switch u.Hostname() {
	case "127.0.0.1", "localhost", "::1":
		u.Host = "host.docker.internal:" + u.Port()
	}
	return u.String()
}

// Every is the interval a schedule expression repeats at: rate(...) only,
// since a local run has no use for a calendar.
func Every(expression string) (time.Duration, error) {
	e, err := expr.Parse(expression)
	if err != nil {
		return 0, err
	}
	if e.Kind() != expr.Rate {
		return 0, fmt.Errorf("schedule %s: only rate(...) schedules repeat locally; run without --schedules to run the job once", expression)
	}
	return e.Interval(), nil
}

// AWSEnv is the environment that gives a container cfg's region and
// credentials, and endpoint when not "". The credentials stand for the
// task role, which ECS serves from its agent's endpoint (TODO: serve them
// the same way instead of putting them in the environment).
func AWSEnv(ctx context.Context, cfg aws.Config, endpoint string) (map[string]string, error) {
	env := map[string]string{"AWS_REGION": cfg.Region}
	if endpoint != "" {
		env["AWS_ENDPOINT_URL"] = endpoint
	}
	if cfg.Credentials == nil {
		return env, nil
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, fmt.Errorf("AWS credentials for the containers: %w", err)
	}
	env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"] = creds.AccessKeyID, creds.SecretAccessKey
	if creds.SessionToken != "" {
		env["AWS_SESSION_TOKEN"] = creds.SessionToken
	}
	return env, nil
}

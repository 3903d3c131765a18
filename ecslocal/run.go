package ecslocal

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// Options tune a Runner.
type Options struct {
	// HostIP is the address published ports bind (default 127.0.0.1; the
	// agent binds every interface).
	HostIP string
	// HostPorts moves a definition's host port to another one here (0:
	// a free port Docker picks), e.g. {80: 8080}.
	HostPorts map[int32]int32
	// Env is added to every container's environment over the
	// definition's: the endpoint of an emulator, credentials standing for
	// the task role, settings of a test.
	Env map[string]string
	// Secrets are values by valueFrom, used instead of Secrets Manager:
	// for secrets a plan names that do not exist yet.
	Secrets map[string]string
	// ExtraHosts are /etc/hosts entries of every container (default
	// host.docker.internal:host-gateway, the host as containers see it).
	ExtraHosts []string
	// Out receives progress lines and every container's log lines,
	// prefixed with its name (default io.Discard).
	Out io.Writer
	// Poll is how often a health status or a state is read again
	// (default 250ms).
	Poll time.Duration

	runID string
}

// Docker is the part of the Docker Engine API client a Runner uses
// (*client.Client).
type Docker interface {
	ContainerCreate(ctx context.Context, options client.ContainerCreateOptions) (client.ContainerCreateResult, error)
	ContainerStart(ctx context.Context, id string, options client.ContainerStartOptions) (client.ContainerStartResult, error)
	ContainerInspect(ctx context.Context, id string, options client.ContainerInspectOptions) (client.ContainerInspectResult, error)
	ContainerLogs(ctx context.Context, id string, options client.ContainerLogsOptions) (client.ContainerLogsResult, error)
	ContainerStop(ctx context.Context, id string, options client.ContainerStopOptions) (client.ContainerStopResult, error)
	ContainerRemove(ctx context.Context, id string, options client.ContainerRemoveOptions) (client.ContainerRemoveResult, error)
}

// Runner starts the containers of task definitions and keeps track of
// them, so that Close stops and removes what it started.
type Runner struct {
	docker  Docker
	secrets *secretResolver
	o       Options

	mu      sync.Mutex
	running map[string]*Container
	n       int
}

// New returns a Runner on docker, reading valueFrom secrets through sm
// (nil: only Options.Secrets).
func New(docker Docker, sm SecretsAPI, opts ...func(*Options)) *Runner {
	o := Options{HostIP: "127.0.0.1", Out: io.Discard, Poll: 250 * time.Millisecond,
		ExtraHosts: []string{"host.docker.internal:host-gateway"}}
	for _, f := range opts {
		f(&o)
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	o.runID = hex.EncodeToString(b[:])
	o.Out = &syncWriter{w: o.Out}
	return &Runner{docker: docker, secrets: &secretResolver{api: sm, known: o.Secrets}, o: o, running: map[string]*Container{}}
}

// Container is one started container.
type Container struct {
	ID, Name string
	// Label is the container's name in the task definition: the prefix
	// of its log lines.
	Label       string
	StopTimeout time.Duration
	// Ports maps "8080/tcp" to the host address it is published on.
	Ports map[string]string
	logs  chan struct{} // closed when its log stream ended
}

// Start creates and starts the (first) container of td, its secrets
// resolved, and streams its log lines to Options.Out.
func (r *Runner) Start(ctx context.Context, td *ecstypes.TaskDefinition) (*Container, error) {
	if len(td.ContainerDefinitions) != 1 {
		// Every task of this project has one container; several would
		// need links or a shared network, which bridge mode on ECS gives.
		return nil, fmt.Errorf("%s has %d containers: ecslocal runs tasks of one container", Name(td), len(td.ContainerDefinitions))
	}
	def := td.ContainerDefinitions[0]
	env := map[string]string{}
	for _, kv := range def.Environment {
		env[aws.ToString(kv.Name)] = aws.ToString(kv.Value)
	}
	for _, s := range def.Secrets {
		v, err := r.secrets.resolve(ctx, aws.ToString(s.ValueFrom))
		if err != nil {
			return nil, fmt.Errorf("%s: secret %s: %w", Name(td), aws.ToString(s.Name), err)
		}
		env[aws.ToString(s.Name)] = v
	}
	maps.Copy(env, r.o.Env)
	cfg, hc, err := r.o.createOptions(td, def, env)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.n++
	name := fmt.Sprintf("%s-local-%s-%d", aws.ToString(td.Family), r.o.runID, r.n)
	r.mu.Unlock()
	created, err := r.docker.ContainerCreate(ctx, client.ContainerCreateOptions{Config: &cfg, HostConfig: &hc, Name: name})
	if err != nil {
		return nil, fmt.Errorf("create the container of %s (image %s: build or pull it first): %w", Name(td), cfg.Image, err)
	}
	c := &Container{ID: created.ID, Name: name, Label: aws.ToString(def.Name), StopTimeout: time.Duration(*cfg.StopTimeout) * time.Second,
		Ports: map[string]string{}, logs: make(chan struct{})}
	r.mu.Lock()
	r.running[c.ID] = c
	r.mu.Unlock()
	if _, err := r.docker.ContainerStart(ctx, c.ID, client.ContainerStartOptions{}); err != nil {
		return c, fmt.Errorf("start %s: %w", Name(td), err)
	}
	ins, err := r.docker.ContainerInspect(ctx, c.ID, client.ContainerInspectOptions{})
	if err != nil {
		return c, err
	}
	if ns := ins.Container.NetworkSettings; ns != nil {
		for p, bs := range ns.Ports {
			for _, b := range bs {
				c.Ports[p.String()] = b.HostIP.String() + ":" + b.HostPort
			}
		}
	}
	logs, err := r.docker.ContainerLogs(context.WithoutCancel(ctx), c.ID, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Follow: true})
	if err != nil {
		close(c.logs)
		return c, fmt.Errorf("logs of %s: %w", c.Name, err)
	}
	go func() {
		defer close(c.logs)
		defer logs.Close()
		w := &prefixWriter{out: r.o.Out, prefix: c.Label + " | "}
		_, _ = stdcopy.StdCopy(w, w, logs)
		w.flush()
	}()
	r.printf("%s: started %s from %s (%s)\n", c.Label, shortID(c.ID), Name(td), cfg.Image)
	return c, nil
}

// WaitHealthy waits until Docker runs the container's health check and
// finds it healthy, as ECS waits before it counts a task as running. An
// unhealthy verdict or an exit is an error carrying the check's last
// output.
func (r *Runner) WaitHealthy(ctx context.Context, c *Container) error {
	start := time.Now()
	for {
		ins, err := r.docker.ContainerInspect(ctx, c.ID, client.ContainerInspectOptions{})
		if err != nil {
			return err
		}
		st := ins.Container.State
		switch {
		case st == nil:
		case !st.Running:
			return fmt.Errorf("%s exited with status %d before it was healthy", c.Label, st.ExitCode)
		case st.Health == nil:
			return fmt.Errorf("%s has no health check", c.Label)
		case st.Health.Status == container.Healthy:
			r.printf("%s: healthy after %s\n", c.Label, time.Since(start).Round(100*time.Millisecond))
			return nil
		case st.Health.Status == container.Unhealthy:
			last := ""
			if n := len(st.Health.Log); n > 0 {
				last = strings.TrimSpace(st.Health.Log[n-1].Output)
			}
			return fmt.Errorf("%s is unhealthy: its health check said %q", c.Label, last)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(r.o.Poll):
		}
	}
}

// Wait waits until the container exits and its logs are printed, and
// returns its exit status.
func (r *Runner) Wait(ctx context.Context, c *Container) (int, error) {
	for {
		ins, err := r.docker.ContainerInspect(ctx, c.ID, client.ContainerInspectOptions{})
		if err != nil {
			return 0, err
		}
		if st := ins.Container.State; st != nil && !st.Running && st.Status != container.StateCreated {
			<-c.logs
			return st.ExitCode, nil
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(r.o.Poll):
		}
	}
}

// Stopped is how a container ended when it was stopped.
type Stopped struct {
	ExitCode  int
	OOMKilled bool
	Took      time.Duration
}

// Stop stops the container as the agent does (SIGTERM, SIGKILL after its
// stop timeout), prints and returns how it ended, and removes it.
func (r *Runner) Stop(ctx context.Context, c *Container) (Stopped, error) {
	start := time.Now()
	timeout := int(c.StopTimeout.Seconds())
	_, err := r.docker.ContainerStop(ctx, c.ID, client.ContainerStopOptions{Timeout: &timeout})
	var out Stopped
	out.Took = time.Since(start)
	if err == nil {
		var ins client.ContainerInspectResult
		if ins, err = r.docker.ContainerInspect(ctx, c.ID, client.ContainerInspectOptions{}); err == nil && ins.Container.State != nil {
			out.ExitCode, out.OOMKilled = ins.Container.State.ExitCode, ins.Container.State.OOMKilled
		}
	}
	if err != nil {
		// Removed by force, its log stream ends too.
		err = errors.Join(fmt.Errorf("stop %s: %w", c.Label, err), r.remove(ctx, c))
		<-c.logs
		return out, err
	}
	<-c.logs
	r.printf("%s: stopped in %s (SIGTERM, SIGKILL after %s), exit status %d\n", c.Label, out.Took.Round(10*time.Millisecond), c.StopTimeout, out.ExitCode)
	return out, r.remove(ctx, c)
}

func (r *Runner) remove(ctx context.Context, c *Container) error {
	r.mu.Lock()
	delete(r.running, c.ID)
	r.mu.Unlock()
	_, err := r.docker.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	if err != nil {
		return fmt.Errorf("remove %s: %w", c.Name, err)
	}
	return nil
}

// Close stops and removes every container still running.
func (r *Runner) Close(ctx context.Context) error {
	r.mu.Lock()
	var cs []*Container
	for _, c := range r.running {
		cs = append(cs, c)
	}
	r.mu.Unlock()
	var errs []error
	for _, c := range cs {
		if _, err := r.Stop(ctx, c); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (r *Runner) printf(format string, args ...any) { fmt.Fprintf(r.o.Out, format, args...) }

func shortID(id string) string { return id[:min(12, len(id))] }

// prefixWriter writes whole lines, each after a prefix.
type prefixWriter struct {
	mu     sync.Mutex
	out    io.Writer
	prefix string
	buf    []byte
}

func (w *prefixWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := strings.IndexByte(string(w.buf), '\n')
		if i < 0 {
			return len(p), nil
		}
		fmt.Fprintf(w.out, "%s%s\n", w.prefix, w.buf[:i])
		w.buf = w.buf[i+1:]
	}
}

func (w *prefixWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 {
		fmt.Fprintf(w.out, "%s%s\n", w.prefix, w.buf)
		w.buf = nil
	}
}

// syncWriter serialises the lines of every container and the progress.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

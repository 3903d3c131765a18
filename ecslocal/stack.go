package ecslocal

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Job is a task run on its own: once, or again every Every.
type Job struct {
	Task  *ecstypes.TaskDefinition
	Every time.Duration // 0: once
}

// Run runs a stack as ECS would: the service's task (nil: none) until the
// context ends, after it is healthy (when it has a health check); then
// each job once, in order, or every Job.Every. When ctx ends, everything
// still running is stopped (SIGTERM, then SIGKILL after its stop timeout)
// and removed. It returns the jobs' failures (a non-zero exit status), a
// service that stopped on its own or exited non-zero when stopped, and
// Docker's errors; a context ended by the caller is not an error.
func (r *Runner) Run(ctx context.Context, service *ecstypes.TaskDefinition, jobs []Job) (err error) {
	var errs []error
	defer func() {
		// Stop with a context of its own: ctx has ended by now.
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
		defer cancel()
		err = errors.Join(append([]error{err}, append(errs, r.Close(stopCtx))...)...)
	}()
	var svc *Container
	serviceDone := make(chan error, 1)
	if service != nil {
		c, err := r.Start(ctx, service)
		if err != nil {
			return err
		}
		svc = c
		if service.ContainerDefinitions[0].HealthCheck != nil {
			if err := r.WaitHealthy(ctx, c); err != nil {
				return err
			}
		}
		for p, addr := range c.Ports {
			r.printf("%s: %s published on %s\n", c.Label, p, addr)
		}
		go func() {
			code, err := r.Wait(ctx, c)
			if err == nil {
				err = fmt.Errorf("%s exited on its own with status %d (ECS would start it again)", c.Label, code)
			}
			serviceDone <- err
		}()
	}

	var mu sync.Mutex
	var wg sync.WaitGroup
	jobErr := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		errs = append(errs, err)
	}
	var once []Job
	for _, j := range jobs {
		if j.Every > 0 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r.every(ctx, j, jobErr)
			}()
		} else {
			once = append(once, j)
		}
	}
	for _, j := range once {
		if ctx.Err() != nil {
			break
		}
		if err := r.RunOnce(ctx, j.Task); err != nil {
			jobErr(err)
		}
	}
	if len(once) > 0 && ctx.Err() == nil {
		what := "the jobs ran"
		if svc != nil {
			what += fmt.Sprintf("; %s keeps running", svc.Label)
		}
		r.printf("%s: Ctrl-C stops and removes it all\n", what)
	}
	if svc == nil && len(once) == len(jobs) {
		return nil
	}
	select {
	case <-ctx.Done():
	case err := <-serviceDone:
		if ctx.Err() == nil {
			errs = append(errs, err)
		}
	}
	wg.Wait()
	if svc != nil {
		r.mu.Lock()
		_, running := r.running[svc.ID]
		r.mu.Unlock()
		if running {
			stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), svc.StopTimeout+time.Minute)
			defer cancel()
			st, err := r.Stop(stopCtx, svc)
			switch {
			case err != nil:
				errs = append(errs, err)
			case st.ExitCode != 0:
				errs = append(errs, fmt.Errorf("%s exited with status %d when stopped (137: killed after its stop timeout of %s)", svc.Label, st.ExitCode, svc.StopTimeout))
			}
		}
	}
	return nil
}

// RunOnce runs a job's task to its end, prints its exit status and
// removes its container; a non-zero status is an error.
func (r *Runner) RunOnce(ctx context.Context, td *ecstypes.TaskDefinition) error {
	start := time.Now()
	c, err := r.Start(ctx, td)
	if err != nil {
		if c != nil {
			_ = r.remove(context.WithoutCancel(ctx), c)
		}
		return err
	}
	code, err := r.Wait(ctx, c)
	if err != nil {
		return err // ctx ended: Close stops it
	}
	r.printf("%s: exited with status %d after %s\n", c.Label, code, time.Since(start).Round(100*time.Millisecond))
	if err := r.remove(context.WithoutCancel(ctx), c); err != nil {
		return err
	}
	if code != 0 {
		return fmt.Errorf("%s exited with status %d", c.Label, code)
	}
	return nil
}

// every runs a job now and then every j.Every until ctx ends.
func (r *Runner) every(ctx context.Context, j Job, fail func(error)) {
	t := time.NewTicker(j.Every)
	defer t.Stop()
	for {
		if err := r.RunOnce(ctx, j.Task); err != nil && ctx.Err() == nil {
			fail(err)
		}
		r.printf("%s: next run in %s\n", Name(j.Task), j.Every)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

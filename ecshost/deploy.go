package ecshost

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/manga-alert-italia/mangaalert/change"
)

// DefaultDeployTimeout bounds the wait for a rollout.
const DefaultDeployTimeout = 15 * time.Minute

// DeployOptions tune one Deploy; the zero value of each field is its
// documented default.
type DeployOptions struct {
	// OnEvent receives the rollout's events as they happen, on Deploy's
	// goroutine; may be nil.
	OnEvent func(Event)
	// Timeout bounds the wait for steady state (default
	// DefaultDeployTimeout).
	Timeout time.Duration
}

// DeployResult is what Deploy did.
type DeployResult struct {
	TaskDefinitions map[string]TaskDefinition // by container, after Deploy
	Deployment      string                    // the watched deployment's ID ("" when nothing changed)
	Changed         bool                      // a new revision was rolled out
}

// Deploy rolls image out on the stack spec describes: it registers a new
// revision of the service's task definition when it changed, points the
// service at it, and waits for steady state, reporting events through
// DeployOptions.OnEvent as they happen. Once the service runs the image,
// the scheduled tasks' definitions get it too (one image for all), so a
// release that rolls back never reaches them. spec is the stack's Spec as
// Ensure applied it, image replacing its Image; the Host remembers no Spec
// between calls.
//
// When the circuit breaker rolls back it returns a *RollbackError naming
// the failed revision and why its tasks stopped; when time runs out, a
// *TimeoutError. Nothing changed is not an error.
func (h *Host) Deploy(ctx context.Context, spec Spec, image string, optFns ...func(*DeployOptions)) (*DeployResult, error) {
	o := DeployOptions{}
	for _, fn := range optFns {
		fn(&o)
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultDeployTimeout
	}
	if err := h.online("ECS"); err != nil {
		return nil, err
	}
	if strings.TrimSpace(image) == "" {
		return nil, &SpecError{Problems: []string{"Deploy: image is empty; give the image to roll out (repo:tag or an ECR URI)"}}
	}
	s := spec
	s.Image = image
	// The execution role may pull from the repositories of the Spec Ensure
	// applied; an image elsewhere needs an Ensure first.
	if spec.Image != "" && !slices.Equal(ecrRepositories(spec.withDefaults()), ecrRepositories(s.withDefaults())) {
		return nil, &SpecError{Problems: []string{fmt.Sprintf(
			"Deploy: image %q is in another ECR repository than the one the execution role may pull from; run Ensure with the new Image first", image)}}
	}
	r, err := h.prepare(ctx, s)
	if err != nil {
		return nil, err
	}
	if err := r.images(ctx); err != nil {
		return nil, err
	}
	d := &deployer{h: h, r: r, o: o}
	return d.run(ctx)
}

type deployer struct {
	h *Host
	r *run
	o DeployOptions
}

func (d *deployer) emit(kind EventKind, deployment, format string, args ...any) {
	e := Event{Time: time.Now(), Kind: kind, Deployment: deployment, Message: fmt.Sprintf(format, args...)}
	d.h.o.Logger.Debug("deploy", "kind", kind, "deployment", deployment, "message", e.Message)
	if d.o.OnEvent != nil {
		d.o.OnEvent(e)
	}
}

func (d *deployer) run(ctx context.Context) (*DeployResult, error) {
	r := d.r
	if err := d.register(ctx, r.spec.Service); err != nil {
		return nil, err
	}
	res := &DeployResult{TaskDefinitions: r.st.TaskDefinitions}
	changed, err := d.rollout(ctx, res)
	if err != nil {
		return res, err
	}
	res.Changed = changed
	// Only now the scheduled tasks get the image: a release the circuit
	// breaker rolls back never reaches them.
	for _, t := range r.spec.Tasks {
		if err := d.register(ctx, t); err != nil {
			return res, err
		}
	}
	return res, nil
}

// register ensures one container's task definition and reports a new
// revision.
func (d *deployer) register(ctx context.Context, c Container) error {
	s, err := d.r.taskDefinitionStep(c)
	if err != nil {
		return err
	}
	if s.Action == change.Keep {
		return nil
	}
	if err := s.Apply(ctx); err != nil {
		return err
	}
	td := d.r.st.TaskDefinitions[c.Name]
	d.emit(EventRegistered, "", "%s revision %d, %s", td.Family, td.Revision, td.Image)
	return nil
}

// rollout points the service at its new revision and watches the rollout;
// it reports whether there was anything to roll out.
func (d *deployer) rollout(ctx context.Context, res *DeployResult) (bool, error) {
	r := d.r
	name := r.n.service(r.spec.Service.Name)
	td := r.serviceTaskDef()
	svc, err := d.h.findService(ctx, r.n, name)
	if err != nil {
		return false, err
	}
	if svc == nil {
		return false, fmt.Errorf("service %q does not exist in cluster %q: run Ensure first", name, r.n.cluster())
	}
	var dep *ecstypes.Deployment
	if aws.ToString(svc.TaskDefinition) == td {
		dep = primary(svc.Deployments)
		if dep != nil && dep.RolloutState == ecstypes.DeploymentRolloutStateCompleted && len(svc.Deployments) == 1 {
			d.emit(EventDone, aws.ToString(dep.Id), "%s already runs %s", name, td)
			return false, nil
		}
	} else {
		out, err := d.h.c.ECS.UpdateService(ctx, &ecs.UpdateServiceInput{
			Cluster:                 aws.String(r.n.cluster()),
			Service:                 aws.String(name),
			TaskDefinition:          aws.String(td),
			DesiredCount:            r.serviceSettings().updateCount(), // the target group is left as it is; a scaled count is kept
			DeploymentConfiguration: r.serviceSettings().Deployment,
		})
		if err != nil {
			return false, fmt.Errorf("update service %q to %s: %w", name, td, err)
		}
		dep = primary(out.Service.Deployments)
	}
	if dep == nil {
		return false, fmt.Errorf("service %q reports no primary deployment; look at it in the ECS console", name)
	}
	res.Deployment = aws.ToString(dep.Id)
	// Counts first: a progress line may be cut at its end.
	d.emit(EventDeployment, res.Deployment, "%s: %s (%s)", lastPart(td), counts(dep), r.st.Deployment)
	return true, d.watch(ctx, name, td, dep)
}

package ecshost

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"

	"github.com/manga-alert-italia/mangaalert/internal/engine"
	"github.com/manga-alert-italia/mangaalert/resource"
)

// currentTaskDef is the latest ACTIVE revision of a family.
type currentTaskDef struct {
	def  *ecstypes.TaskDefinition
	tags map[string]string
}

// images reads the current revisions (the task definitions' diff compares
// with them) and fills in the image of containers that have none from
// what runs.
func (r *run) images(ctx context.Context) error {
	for _, c := range r.spec.containers() {
		var cur *currentTaskDef
		if !r.offline {
			var err error
			if cur, err = r.h.currentTaskDef(ctx, r.n.family(c.Name)); err != nil {
				return err
			}
		}
		r.current[c.Name] = cur
		switch {
		case c.Image != "":
		case r.offline:
			r.setImage(c.Name, "<the image the current revision runs>")
		case cur == nil || len(cur.def.ContainerDefinitions) == 0:
			return &SpecError{Problems: []string{fmt.Sprintf("Image is empty and %s has no revision to keep the image of; give the Image to deploy", r.n.family(c.Name))}}
		default:
			r.setImage(c.Name, aws.ToString(cur.def.ContainerDefinitions[0].Image))
		}
	}
	return nil
}

func (r *run) setImage(name, image string) {
	if r.spec.Service.Name == name {
		r.spec.Service.Image = image
		return
	}
	for i := range r.spec.Tasks {
		if r.spec.Tasks[i].Name == name {
			r.spec.Tasks[i].Image = image
		}
	}
}

// currentTaskDef returns the latest ACTIVE revision of family, or nil.
func (h *Host) currentTaskDef(ctx context.Context, family string) (*currentTaskDef, error) {
	out, err := h.c.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{
		TaskDefinition: aws.String(family), Include: []ecstypes.TaskDefinitionField{ecstypes.TaskDefinitionFieldTags},
	})
	if isTaskDefNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("describe task definition %q: %w", family, err)
	}
	if out.TaskDefinition == nil || out.TaskDefinition.Status != ecstypes.TaskDefinitionStatusActive {
		return nil, nil
	}
	return &currentTaskDef{def: out.TaskDefinition, tags: ecsTagMap(out.Tags)}, nil
}

// isTaskDefNotFound: ECS answers a family with no ACTIVE revision with a
// generic ClientException.
func isTaskDefNotFound(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "ClientException" &&
		strings.Contains(ae.ErrorMessage(), "Unable to describe task definition")
}

// taskDefinitionSteps registers a revision for each container whose
// definition changed, and keeps the others.
func (r *run) taskDefinitionSteps(context.Context) ([]engine.Step, error) {
	var steps []engine.Step
	for _, c := range r.spec.containers() {
		s, err := r.taskDefinitionStep(c)
		if err != nil {
			return nil, err
		}
		steps = append(steps, s)
	}
	return steps, nil
}

// taskDefinitionStep diffs one container's definition against its latest
// revision (read by images).
func (r *run) taskDefinitionStep(c Container) (engine.Step, error) {
	family := r.n.family(c.Name)
	in := r.taskDefInput(c)
	hash := hashOf(in)
	in.Tags = ecsTags(r.n.tags(mergeTags(r.spec.Tags, map[string]string{tagSpecHash: hash})))
	cur := r.current[c.Name]
	switch {
	case cur != nil && !r.n.ours(cur.tags):
		return engine.Step{}, fmt.Errorf("task definition family %q %w; deregister it or choose another Stack", family, resource.ErrNotOurs)
	case cur != nil && cur.tags[tagSpecHash] == hash:
		td := TaskDefinition{Family: family, Image: c.Image, ARN: aws.ToString(cur.def.TaskDefinitionArn), Revision: cur.def.Revision}
		r.st.TaskDefinitions[c.Name] = td
		return engine.Step{Change: keepChange(kindTaskDefinition, family, td.ARN, fmt.Sprintf("revision %d, %s", td.Revision, c.Image))}, nil
	}
	r.st.TaskDefinitions[c.Name] = TaskDefinition{Family: family, Image: c.Image, ARN: r.n.arn("ecs", r.n.region, "task-definition/"+family+":<next>")}
	register := func(ctx context.Context) error { return r.register(ctx, c.Name, in) }
	if cur == nil {
		return create(kindTaskDefinition, family, []string{"revision 1, " + c.Image}, register), nil
	}
	var e edits
	e.add(fmt.Sprintf("revision %d → %d, %s", cur.def.Revision, cur.def.Revision+1, c.Image), register)
	return e.step(kindTaskDefinition, family, aws.ToString(cur.def.TaskDefinitionArn)), nil
}

// register registers a revision, retrying while a role made moments ago
// is not visible to ECS yet.
func (r *run) register(ctx context.Context, container string, in *ecs.RegisterTaskDefinitionInput) error {
	family := aws.ToString(in.Family)
	var out *ecs.RegisterTaskDefinitionOutput
	err := r.h.retryRole(ctx, "register "+family, func(ctx context.Context) (err error) {
		out, err = r.h.c.ECS.RegisterTaskDefinition(ctx, in)
		return err
	})
	if err != nil {
		return fmt.Errorf("register task definition %q: %w", family, err)
	}
	td := r.st.TaskDefinitions[container]
	td.ARN, td.Revision = aws.ToString(out.TaskDefinition.TaskDefinitionArn), out.TaskDefinition.Revision
	r.st.TaskDefinitions[container] = td
	r.current[container] = &currentTaskDef{def: out.TaskDefinition, tags: ecsTagMap(in.Tags)}
	return nil
}

// taskDefInput is the whole definition of one container's task: bridge
// mode on EC2, awslogs into the stack's group, secrets by valueFrom.
func (r *run) taskDefInput(c Container) *ecs.RegisterTaskDefinitionInput {
	def := ecstypes.ContainerDefinition{
		Name:        aws.String(c.Name),
		Image:       aws.String(c.Image),
		Essential:   aws.Bool(true),
		Command:     c.Command,
		Memory:      aws.Int32(c.MemoryMiB),
		Cpu:         c.CPU,
		StopTimeout: aws.Int32(int32(c.StopTimeout.Seconds())),
		LogConfiguration: &ecstypes.LogConfiguration{
			LogDriver: ecstypes.LogDriverAwslogs,
			Options: map[string]string{
				"awslogs-group":         r.n.logGroup(),
				"awslogs-region":        r.n.region,
				"awslogs-stream-prefix": c.Name,
			},
		},
	}
	if c.MemoryReservationMiB > 0 {
		def.MemoryReservation = aws.Int32(c.MemoryReservationMiB)
	}
	for _, k := range sortedKeys(c.Environment) {
		def.Environment = append(def.Environment, ecstypes.KeyValuePair{Name: aws.String(k), Value: aws.String(c.Environment[k])})
	}
	for _, s := range c.Secrets {
		def.Secrets = append(def.Secrets, ecstypes.Secret{Name: aws.String(s.Name), ValueFrom: aws.String(s.ValueFrom)})
	}
	for _, pm := range c.PortMappings {
		def.PortMappings = append(def.PortMappings, ecstypes.PortMapping{
			ContainerPort: aws.Int32(pm.ContainerPort), HostPort: aws.Int32(pm.HostPort), Protocol: ecstypes.TransportProtocolTcp,
		})
	}
	if hc := c.HealthCheck; hc != nil {
		def.HealthCheck = &ecstypes.HealthCheck{
			Command:     hc.Command,
			Interval:    aws.Int32(int32(hc.Interval.Seconds())),
			Timeout:     aws.Int32(int32(hc.Timeout.Seconds())),
			Retries:     aws.Int32(hc.Retries),
			StartPeriod: aws.Int32(int32(hc.StartPeriod.Seconds())),
		}
	}
	in := &ecs.RegisterTaskDefinitionInput{
		Family:                  aws.String(r.n.family(c.Name)),
		NetworkMode:             ecstypes.NetworkModeBridge,
		RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityEc2},
		ExecutionRoleArn:        aws.String(r.st.ExecutionRoleARN),
		ContainerDefinitions:    []ecstypes.ContainerDefinition{def},
	}
	if arn := r.st.TaskRoleARNs[c.Name]; arn != "" {
		in.TaskRoleArn = aws.String(arn)
	}
	r.awsvpcTaskDef(c, c.Name == r.spec.Service.Name, in) // issue 16: awsvpc, Fargate
	return in
}

// TaskDefinitionInputs returns what Ensure would register for each
// container of spec, service first, without registering anything: what
// runs locally before the first apply (package ecslocal). With
// Options.Offline it reads nothing.
func (h *Host) TaskDefinitionInputs(ctx context.Context, spec Spec) ([]*ecs.RegisterTaskDefinitionInput, error) {
	r, err := h.prepare(ctx, spec)
	if err != nil {
		return nil, err
	}
	var out []*ecs.RegisterTaskDefinitionInput
	for _, c := range r.spec.containers() {
		out = append(out, r.taskDefInput(c))
	}
	return out, nil
}

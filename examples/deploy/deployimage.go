package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/manga-alert-italia/mangaalert/ecshost"
	"github.com/manga-alert-italia/mangaalert/network"
)

const deployImageAbout = `
Rolls the backend service to IMAGE and watches the rollout until it is
stable (or the circuit breaker rolls it back, which is reported with the
reason the new tasks stopped), printing its events as they come. The
scraper and notifier get new task definition revisions with the same
image, and their schedules are pointed at them.

The stack must exist (apply first), and the configuration must be the one
apply used. Afterwards set image in the configuration to IMAGE, or leave
it empty: an apply with another image would roll back to it.`

func (a *app) deployImageCmd(ctx context.Context, args []string) error {
	var o options
	var timeout time.Duration
	fs := a.newFlagSet("deploy-image", "IMAGE [flags]", deployImageAbout, &o)
	fs.DurationVar(&timeout, "timeout", ecshost.DefaultDeployTimeout, "give up waiting for a stable service after this long")
	// The image may come before the flags: the flag package stops at the
	// first argument that is not a flag.
	var image string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		image, args = args[0], args[1:]
	}
	if err := a.parse(fs, args); err != nil {
		return err
	}
	if image == "" && fs.NArg() > 0 {
		image = fs.Arg(0)
		if fs.NArg() > 1 {
			return usagef("deploy-image takes one image, got %q", fs.Args())
		}
	} else if fs.NArg() > 0 {
		return usagef("deploy-image takes one image, got %q and %q", image, fs.Args())
	}
	if image == "" {
		return usagef("deploy-image needs the IMAGE to roll out, e.g. deploy-image ghcr.io/owner/mangaalert:1.1")
	}
	if !imageRE.MatchString(image) {
		return &ConfigError{Problems: []FieldProblem{{Field: "IMAGE", Problem: fmt.Sprintf("%q is not an image reference such as ghcr.io/owner/mangaalert:1.1", image)}}}
	}
	c, err := o.config(true)
	if err != nil {
		return err
	}
	s, err := a.session(ctx, c, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "Deploying %s to stack %q in %s, account %s\n", image, c.Stack, c.Region, s.n.account)
	err = s.deployImage(ctx, image, timeout)
	s.summary("deploy-image", err)
	if err == nil && c.Image != image {
		fmt.Fprintf(a.stdout, "\nThe configuration says image %q: set it to %q (or leave it empty), or the next apply rolls back.\n", c.Image, image)
	}
	return err
}

// deployImage rolls the host to image through ecshost.Deploy, then points
// the schedules at the new revisions.
func (s *session) deployImage(ctx context.Context, image string, timeout time.Duration) error {
	c, n := s.c, s.n
	o, err := s.deployedOutputs(ctx)
	if err != nil {
		return err
	}
	spec, err := c.hostSpec(n, o)
	if err != nil {
		return err
	}
	if spec.Image == "" {
		// Deploy compares the new image's registry with the current one.
		if spec.Image, err = s.runningImage(ctx); err != nil {
			return err
		}
	}
	// The rollout's events come through OnEvent; the host's own Debug
	// records of the same go to --verbose only.
	h := ecshost.NewFromConfig(s.cl.cfg, ecshost.WithAccount(n.account), ecshost.WithLogger(s.o.logger(s.a, nil)),
		ecshost.WithPollInterval(s.delays().Min, s.delays().Max))
	var res *ecshost.DeployResult
	err = s.step(ctx, "deploy", "registering the new revisions", func(ctx context.Context) ([]row, error) {
		var err error
		res, err = h.Deploy(ctx, image, ecshost.WithSpec(spec), ecshost.DeployTimeout(timeout),
			ecshost.OnEvent(func(e ecshost.Event) { s.prog.activity(cut(string(e.Kind)+": "+e.Message, 60)) }))
		if res == nil {
			return nil, err
		}
		var rows []row
		for name, td := range res.TaskDefinitions {
			rows = append(rows, row{Step: "deploy", Op: opUpdate, Resource: "task definition " + name, Name: lastPart(td.ARN)})
		}
		if !res.Changed {
			rows = []row{{Step: "deploy", Op: opKeep, Resource: "service", Name: n.service(), Detail: "already runs " + image}}
		}
		return rows, err
	})
	if err != nil {
		return err
	}
	return s.step(ctx, stepSchedule, "pointing the schedules at the new revisions", func(ctx context.Context) ([]row, error) {
		return s.ensureSchedules(ctx, n, res.TaskDefinitions)
	})
}

// errNotDeployed: a command that needs the stack ran before apply.
var errNotDeployed = errors.New("the stack is not deployed: run apply first")

// deployedOutputs reads, without writing, what apply handed from the
// network and secrets steps to the host.
func (s *session) deployedOutputs(ctx context.Context) (outputs, error) {
	np, err := network.New(s.cl.ec2, network.WithLogger(s.log)).Plan(ctx, s.c.networkSpec())
	if err != nil {
		return outputs{}, fmt.Errorf("read the network: %w", err)
	}
	for _, ch := range np.Changes {
		if ch.Action == network.Create {
			return outputs{}, fmt.Errorf("%w (network %s missing)", errNotDeployed, ch.Component)
		}
	}
	o := outputsFromNetworkPlan(np)
	if o.SigningKeyARN, err = secretARN(ctx, s.cl.secrets, s.n, s.n.signingKey()); err != nil {
		return o, err
	}
	if strings.HasSuffix(o.SigningKeyARN, plannedSecretMark) {
		return o, fmt.Errorf("%w (secret %s missing)", errNotDeployed, s.n.signingKey())
	}
	if s.c.Sender == SenderSMTP {
		if o.SMTPARN, err = secretARN(ctx, s.cl.secrets, s.n, s.n.smtpSecret()); err != nil {
			return o, err
		}
		if strings.HasSuffix(o.SMTPARN, plannedSecretMark) {
			return o, fmt.Errorf("%w (secret %s missing)", errNotDeployed, s.n.smtpSecret())
		}
	}
	return o, nil
}

// runningImage is the image of the service's current revision.
func (s *session) runningImage(ctx context.Context) (string, error) {
	out, err := s.cl.ecs.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(s.n.family(serveName))})
	if err != nil {
		return "", fmt.Errorf("%w (task definition %s: %v)", errNotDeployed, s.n.family(serveName), err)
	}
	if len(out.TaskDefinition.ContainerDefinitions) == 0 {
		return "", fmt.Errorf("task definition %s has no container", s.n.family(serveName))
	}
	return aws.ToString(out.TaskDefinition.ContainerDefinitions[0].Image), nil
}

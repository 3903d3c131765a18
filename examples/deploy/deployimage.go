package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/manga-alert-italia/mangaalert/stack"
)

func (a *app) deployImageCmd(ctx context.Context, args []string) error {
	var o options
	var timeout time.Duration
	fs := a.newFlagSet("deploy-image", "IMAGE [flags]", helpText("deploy-image"), &o)
	fs.DurationVar(&timeout, "timeout", 15*time.Minute, "give up waiting for a stable service after this long")
	// The image may come before the flags: the flag package stops at the
	// first argument that is not a flag.
	var images []string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		images, args = args[:1], args[1:]
	}
	if err := a.parse(fs, args); err != nil {
		return err
	}
	switch images = append(images, fs.Args()...); {
	case len(images) == 0:
		return usagef("deploy-image needs the IMAGE to roll out, e.g. deploy-image ghcr.io/owner/mangaalert:1.1")
	case len(images) > 1:
		return usagef("deploy-image takes one image, got %q", images)
	case !stack.ValidImage(images[0]):
		return &ConfigError{Problems: []FieldProblem{{Field: "IMAGE", Problem: fmt.Sprintf("%q is not an image reference such as ghcr.io/owner/mangaalert:1.1", images[0])}}}
	}
	image := images[0]
	c, err := o.config(true)
	if err != nil {
		return err
	}
	s, err := a.session(ctx, c, o, func(so *stack.Options) { so.DeployTimeout = timeout })
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "Deploying %s to stack %q in %s, account %s\n", image, c.Stack, c.Region, s.account)
	s.prog.start()
	_, err = s.st.DeployImage(ctx, c.spec(a.getenv(SMTPPasswordEnv)), image)
	s.summary("deploy-image", err)
	if err == nil && c.Image != image {
		fmt.Fprintf(a.stdout, "\nThe configuration says image %q: set it to %q (or leave it empty), or the next apply rolls back.\n", c.Image, image)
	}
	return err
}

package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/modules/localstack"
	"github.com/testcontainers/testcontainers-go/wait"
)

// Images the harness runs when it uses Docker. LocalStack's newer images
// exit at start without an auth token, so the last free one is the default.
const (
	MotoImage       = "motoserver/moto:5.2.1"
	LocalStackImage = "localstack/localstack:4.14.0"
)

func startContainer(ctx context.Context, wantLocalStack bool) (e *Emulator, err error) {
	if err := dockerHealthy(ctx); err != nil {
		return nil, fmt.Errorf("docker: %w (%v)", errNotInstalled, err)
	}
	if wantLocalStack {
		return startLocalStack(ctx)
	}
	env := map[string]string{}
	for _, kv := range motoEnv {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	ctr, err := testcontainers.Run(ctx, MotoImage,
		testcontainers.WithExposedPorts("5000/tcp"),
		testcontainers.WithEnv(env),
		testcontainers.WithWaitStrategy(wait.ForHTTP("/moto-api/data.json").WithPort("5000/tcp")),
	)
	stop := func() error { return testcontainers.TerminateContainer(ctr) }
	if err != nil {
		_ = stop()
		return nil, fmt.Errorf("run %s (the image must be present or pullable): %w", MotoImage, err)
	}
	ep, err := ctr.PortEndpoint(ctx, "5000/tcp", "http")
	if err != nil {
		_ = stop()
		return nil, err
	}
	return &Emulator{Kind: Moto, Endpoint: ep, How: "container " + MotoImage, services: allServices, stop: stop}, nil
}

func startLocalStack(ctx context.Context) (*Emulator, error) {
	image := LocalStackImage
	env := map[string]string{}
	if tok := os.Getenv("LOCALSTACK_AUTH_TOKEN"); tok != "" {
		env["LOCALSTACK_AUTH_TOKEN"] = tok
		if img := os.Getenv("MANGAALERT_LOCALSTACK_IMAGE"); img != "" {
			image = img
		}
	}
	ctr, err := localstack.Run(ctx, image, testcontainers.WithEnv(env))
	stop := func() error { return testcontainers.TerminateContainer(ctr) }
	if err != nil {
		_ = stop()
		return nil, fmt.Errorf("run %s: %w", image, err)
	}
	ep, err := ctr.PortEndpoint(ctx, "4566/tcp", "http")
	if err != nil {
		_ = stop()
		return nil, err
	}
	_, body := probe(ctx, ep+"/_localstack/health")
	return &Emulator{Kind: LocalStack, Endpoint: ep, How: "container " + image,
		services: localStackServices(body), stop: stop}, nil
}

// dockerHealthy asks the engine for a ping. testcontainers panics when no
// engine exists, so the panic is turned into an error here.
func dockerHealthy(ctx context.Context) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("docker provider: %v", r)
		}
	}()
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return err
	}
	defer cli.Close()
	_, err = cli.Ping(ctx, client.PingOptions{})
	return err
}

// localStackServices reads /_localstack/health ({"services": {"ec2":
// "available", ...}}) and keeps what it offers of ours; without an answer it
// assumes the community image's list.
func localStackServices(health []byte) []Service {
	var h struct {
		Services map[string]string `json:"services"`
	}
	if json.Unmarshal(health, &h) != nil || len(h.Services) == 0 {
		return slices.Clone(localStackCommunity)
	}
	var out []Service
	for _, s := range allServices {
		name := string(s)
		if s == SESv2 { // LocalStack reports SES as one service; v2 is Pro only
			continue
		}
		if st, ok := h.Services[name]; ok && st != "disabled" {
			out = append(out, s)
		}
	}
	return out
}

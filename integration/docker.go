package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
)

// Images the harness runs when it uses Docker. LocalStack's newer images
// exit at start without an auth token, so the last free one is the default.
// LocalMotoImage is what integration/docker-moto-image.sh builds from this
// machine's moto without a registry; when present it is preferred to
// MotoImage, which needs one.
const (
	MotoImage       = "motoserver/moto:5.2.1"
	LocalMotoImage  = "mangaalert-moto:5.2.1-serial"
	LocalStackImage = "localstack/localstack:4.14.0"
)

// emulatorContainer is what differs between the emulators the harness runs
// in Docker; everything else (start, wait, endpoints, stop) is one path.
type emulatorContainer struct {
	kind  Kind
	image string
	port  string // the container's port, "5000/tcp"
	ready string // a path answering 2xx once it serves
	env   map[string]string
	// services reads what the emulator offers from the answer at ready.
	services func(ready []byte) []Service
}

// motoContainer runs moto with the harness's settings: the image named by
// MANGAALERT_MOTO_IMAGE, else the locally built one when the engine has
// it, else the upstream one.
func motoContainer(getenv func(string) string, haveImage func(string) bool) emulatorContainer {
	image := getenv("MANGAALERT_MOTO_IMAGE")
	if image == "" {
		image = MotoImage
		if haveImage(LocalMotoImage) {
			image = LocalMotoImage
		}
	}
	env := map[string]string{}
	for _, kv := range motoEnv {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	return emulatorContainer{kind: Moto, image: image, port: "5000/tcp", ready: "/moto-api/config", env: env,
		services: func([]byte) []Service { return slices.Clone(allServices) }}
}

// localStackContainer is LocalStack's part: its health endpoint, which
// also lists its services, and the auth token, without which only the
// pinned free image starts (MANGAALERT_LOCALSTACK_IMAGE needs a token).
func localStackContainer(getenv func(string) string) (emulatorContainer, error) {
	c := emulatorContainer{kind: LocalStack, image: LocalStackImage, port: "4566/tcp", ready: "/_localstack/health",
		env: map[string]string{}, services: localStackServices}
	tok, img := getenv("LOCALSTACK_AUTH_TOKEN"), getenv("MANGAALERT_LOCALSTACK_IMAGE")
	switch {
	case tok != "":
		c.env["LOCALSTACK_AUTH_TOKEN"] = tok
		if img != "" {
			c.image = img
		}
	case img != "":
		return c, fmt.Errorf("MANGAALERT_LOCALSTACK_IMAGE=%s needs LOCALSTACK_AUTH_TOKEN: LocalStack images after %s exit at start without one; unset it to run %s",
			img, LocalStackImage, LocalStackImage)
	}
	return c, nil
}

func startContainer(ctx context.Context, wantLocalStack bool) (*Emulator, error) {
	if !wantLocalStack {
		return StartMotoContainer(ctx)
	}
	c, err := localStackContainer(os.Getenv)
	if err != nil {
		return nil, err
	}
	cli, err := dockerClient(ctx)
	if err != nil {
		return nil, fmt.Errorf("docker: %w (%v)", errNotInstalled, err)
	}
	defer cli.Close()
	return c.start(ctx, strings.HasPrefix(cli.DaemonHost(), "unix://"))
}

// start runs the container and waits until it serves. With a local engine
// (local) its port is published on the host's 127.0.0.1 only, and reached
// there; other containers reach it on Docker's bridge, at BridgeEndpoint.
func (c emulatorContainer) start(ctx context.Context, local bool) (*Emulator, error) {
	opts := []testcontainers.ContainerCustomizer{testcontainers.WithExposedPorts(c.port), testcontainers.WithEnv(c.env)}
	if local {
		opts = append(opts, testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
			hc.PortBindings = network.PortMap{network.MustParsePort(c.port): {{HostIP: netip.MustParseAddr("127.0.0.1")}}}
		}))
	}
	ctr, err := testcontainers.Run(ctx, c.image, opts...)
	stop := func() error { return testcontainers.TerminateContainer(ctr) }
	fail := func(err error) (*Emulator, error) {
		_ = stop()
		return nil, err
	}
	if err != nil {
		return fail(fmt.Errorf("run %s (the image must be present or pullable; integration/docker-moto-image.sh builds moto's without a registry): %w", c.image, err))
	}
	ep, err := ctr.PortEndpoint(ctx, c.port, "http")
	if err != nil {
		return fail(err)
	}
	if local {
		// testcontainers names the engine's host, which is this
		// machine's gateway when the tests run in a container themselves.
		p, err := ctr.MappedPort(ctx, c.port)
		if err != nil {
			return fail(err)
		}
		ep = "http://127.0.0.1:" + p.Port()
	}
	var body []byte
	for ok := false; !ok; {
		if ok, body = probe(ctx, ep+c.ready); ok {
			break
		}
		select {
		case <-ctx.Done():
			logs := ""
			if r, err := ctr.Logs(context.Background()); err == nil {
				b, _ := io.ReadAll(io.LimitReader(r, 1<<16))
				logs = string(b)
			}
			return fail(fmt.Errorf("%s did not answer %s%s: %w\n%s", c.image, ep, c.ready, ctx.Err(), logs))
		case <-time.After(100 * time.Millisecond):
		}
	}
	e := &Emulator{Kind: c.kind, Endpoint: ep, How: "container " + c.image, services: c.services(body), stop: stop}
	if ip, err := ctr.ContainerIP(ctx); err == nil && ip != "" {
		e.BridgeEndpoint = "http://" + ip + ":" + strings.TrimSuffix(c.port, "/tcp")
	}
	return e, nil
}

// dockerClient returns a client of a healthy engine. testcontainers
// panics when no engine exists, so the panic is turned into an error here.
func dockerClient(ctx context.Context) (cli *testcontainers.DockerClient, err error) {
	// The reaper's image must be pulled, and the harness removes its
	// containers itself (Close, Main): without a registry it stays off,
	// unless asked for. Set before testcontainers reads its configuration.
	if _, ok := os.LookupEnv("TESTCONTAINERS_RYUK_DISABLED"); !ok {
		_ = os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("docker provider: %v", r)
		}
	}()
	cli, err = testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return nil, err
	}
	if _, err = cli.Ping(ctx, client.PingOptions{}); err != nil {
		cli.Close()
		return nil, err
	}
	return cli, nil
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

// StartMotoContainer starts a moto container of the caller's own, for a
// test whose own containers must reach the emulator (at BridgeEndpoint)
// and share its default account: Close stops it. It needs the image
// (docker-moto-image.sh builds it) and a local engine.
func StartMotoContainer(ctx context.Context) (*Emulator, error) {
	cli, err := dockerClient(ctx)
	if err != nil {
		return nil, fmt.Errorf("docker: %w (%v)", errNotInstalled, err)
	}
	defer cli.Close()
	c := motoContainer(os.Getenv, func(image string) bool {
		_, err := cli.ImageInspect(ctx, image)
		return err == nil
	})
	return c.start(ctx, strings.HasPrefix(cli.DaemonHost(), "unix://"))
}

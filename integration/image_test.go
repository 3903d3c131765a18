package integration_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/testcontainers/testcontainers-go"
	tcexec "github.com/testcontainers/testcontainers-go/exec"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/manga-alert-italia/mangaalert/integration"
	"github.com/manga-alert-italia/mangaalert/scraper/source"
)

// The image tests build the runtime image the way CI does
// (examples/mangaalert/build-image.sh: a host-built binary copied into
// FROM scratch, no pull) and run it through testcontainers.

const (
	imageDir = "../examples/mangaalert"
	// imageMaxBytes is the ceiling each architecture's image keeps (the
	// cost issue's target): 14.4 MB amd64 and 13.5 MB arm64 when it was
	// set, from 19.5 and 18.1. The binary makes its SES v2, Secrets
	// Manager and DynamoDB calls through internal/awslite, not the SDK's
	// clients (5 MB), and embeds Europe/Rome alone (internal/tzrome), not
	// time/tzdata (0.4 MB). What is left, by size: the Go runtime and
	// net/http, crypto/tls and x509, the AWS signer and credential
	// providers, bbolt, html/template, the CA bundle (0.2 MB). Measure
	// with go tool nm -size -sort size on an unstripped build.
	imageMaxBytes  = 15_000_000
	imageUser      = "65532:65532"
	imageUID       = "65532"
	samplePage     = "../scraper/sample/pages/starcomics-uscite.html"
	stopTimeout    = 2 * time.Second // past it docker sends SIGKILL: exit 137, not 0
	startupTimeout = 30 * time.Second
)

func init() {
	// The reaper image cannot be pulled here or in CI; every test removes
	// its own containers and images instead. Set before testcontainers
	// reads its configuration (once per process).
	if _, ok := os.LookupEnv("TESTCONTAINERS_RYUK_DISABLED"); !ok {
		os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	}
}

func TestImage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cli := dockerOrSkip(t)
	img := buildImage(t, cli)

	t.Run("metadata", func(t *testing.T) {
		t.Parallel()
		res, err := cli.ImageInspect(ctx, img)
		require.NoError(t, err)
		t.Logf("image %s: %d bytes (%.1f MB)", img, res.Size, float64(res.Size)/1e6)
		assert.LessOrEqual(t, res.Size, int64(imageMaxBytes), "image size")
		for _, arch := range []string{"arm64", "amd64"} {
			a, err := cli.ImageInspect(ctx, img+"-"+arch)
			require.NoError(t, err, "build-image.sh builds TAG-%s", arch)
			assert.Equal(t, arch, a.Architecture)
			assert.LessOrEqual(t, a.Size, int64(imageMaxBytes), "%s image size", arch)
			t.Logf("image %s-%s: %.1f MB", img, arch, float64(a.Size)/1e6)
		}

		cfg := res.Config
		require.NotNil(t, cfg)
		assert.Equal(t, imageUser, cfg.User, "runs as the numeric non-root user")
		assert.Equal(t, []string{"/mangaalert"}, cfg.Entrypoint)
		assert.Equal(t, []string{"serve"}, cfg.Cmd)
		assert.Contains(t, cfg.ExposedPorts, "8080/tcp")
		assert.Equal(t, "/data", cfg.WorkingDir)
		assert.Contains(t, cfg.Env, "MANGAALERT_STORE=bolt:/data/mangaalert.db")
		if assert.NotNil(t, cfg.Healthcheck) {
			assert.Equal(t, []string{"CMD", "/mangaalert", "healthcheck"}, cfg.Healthcheck.Test)
		}
		for _, k := range []string{"title", "description", "source", "version", "revision", "created"} {
			assert.NotEmpty(t, cfg.Labels["org.opencontainers.image."+k], "OCI label %s", k)
		}
	})

	t.Run("serve", func(t *testing.T) {
		t.Parallel()
		c, err := testcontainers.Run(ctx, img,
			testcontainers.WithExposedPorts("8080/tcp"),
			testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) { bindLoopback(hc, "8080/tcp") }),
			// The image's HEALTHCHECK command, checked every half second
			// instead of every 30 s: an empty Test keeps the image's.
			testcontainers.WithConfigModifier(func(cfg *container.Config) {
				cfg.Healthcheck = &container.HealthConfig{Interval: 500 * time.Millisecond}
			}),
			testcontainers.WithWaitStrategy(serving()),
		)
		testcontainers.CleanupContainer(t, c)
		require.NoError(t, err, "run serve")

		assert.Equal(t, http.StatusOK, getStatus(t, loopbackURL(t, c, "8080/tcp")+"/healthz"), "/healthz through the mapped port")

		assertUID(t, cli, c.GetContainerID(), imageUID)
		assertExec(t, c, "/mangaalert", "healthcheck")

		// The non-root user wrote its signing key into the image's /data.
		key := readFile(t, c, "/data/signing.key")
		assert.GreaterOrEqual(t, len(bytes.TrimSpace(key)), 32, "signing key made in /data")

		ins, err := c.Inspect(ctx)
		require.NoError(t, err)
		assert.Equal(t, []string{"CMD", "/mangaalert", "healthcheck"}, ins.Config.Healthcheck.Test, "the image's health check runs")
		waitHealthy(t, cli, c)

		assertStopsCleanly(t, c)
	})

	t.Run("read-only root", func(t *testing.T) {
		t.Parallel()
		// The hardened way to run it: nothing writable but a tmpfs /data,
		// and :443 (what serve binds for ACME) as the non-root user, which
		// Docker allows in a container's own network namespace.
		c, err := testcontainers.Run(ctx, img,
			testcontainers.WithCmd("serve", "--addr", ":443"),
			testcontainers.WithExposedPorts("443/tcp"),
			testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
				bindLoopback(hc, "443/tcp")
				hc.ReadonlyRootfs = true
				hc.Tmpfs = map[string]string{"/data": "uid=65532,gid=65532,mode=0700"}
			}),
			testcontainers.WithWaitStrategy(serving()),
		)
		testcontainers.CleanupContainer(t, c)
		require.NoError(t, err, "run serve on a read-only root")
		assert.Equal(t, http.StatusOK, getStatus(t, loopbackURL(t, c, "443/tcp")+"/healthz"), "/healthz through the mapped port")
		assertExec(t, c, "/mangaalert", "healthcheck", "--url", "http://127.0.0.1:443/healthz")
		assertStopsCleanly(t, c)
	})

	t.Run("scrape --file", func(t *testing.T) {
		t.Parallel()
		c, err := testcontainers.Run(ctx, img,
			testcontainers.WithFiles(testcontainers.ContainerFile{HostFilePath: samplePage, ContainerFilePath: "/page.html", FileMode: 0o644}),
			testcontainers.WithCmd("scrape", "--file", "/page.html", "--source", "starcomics", "--json"),
			// A saved page needs no network at all.
			testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
				hc.NetworkMode = "none"
				bindLoopback(hc, "8080/tcp") // the image's EXPOSE, published anyway by testcontainers
			}),
			testcontainers.WithWaitStrategy(wait.ForExit().WithExitTimeout(startupTimeout)),
		)
		testcontainers.CleanupContainer(t, c)
		require.NoError(t, err, "run scrape --file")
		st, err := c.State(ctx)
		require.NoError(t, err)
		stdout, stderr := containerOutput(t, cli, c.GetContainerID())
		require.Equal(t, 0, st.ExitCode, "scrape exit status; stderr:\n%s", stderr)

		got := decodeVolumes(t, stdout)
		want := parseSample(t)
		require.NotEmpty(t, want)
		assert.Equal(t, want, got, "the container prints the volumes the scraper reads from the page")
	})
}

// TestImageDockerfilesAgree keeps the two build paths one image: the final
// stage of the multi-stage Dockerfile (which CI cannot build without a
// registry) is the prebuilt one, reading from the build stage.
func TestImageDockerfilesAgree(t *testing.T) {
	t.Parallel()
	multi := finalStage(t, filepath.Join(imageDir, "Dockerfile"))
	prebuilt := finalStage(t, filepath.Join(imageDir, "Dockerfile.prebuilt"))
	for i, l := range multi {
		l = strings.Replace(l, "--from=build ", "", 1)
		multi[i] = strings.Replace(l, " /rootfs/", " rootfs/", 1)
	}
	assert.Equal(t, prebuilt, multi)
	assert.Contains(t, prebuilt, "FROM scratch")
}

// finalStage returns the instruction lines from a Dockerfile's last FROM
// on, without comments or blank lines.
func finalStage(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		switch {
		case l == "" || strings.HasPrefix(l, "#"):
			continue
		case strings.HasPrefix(l, "FROM "):
			out = out[:0]
		}
		out = append(out, l)
	}
	return out
}

// dockerOrSkip returns a client of a healthy engine with the docker CLI
// beside it, or skips (fails under CI).
func dockerOrSkip(t *testing.T) *testcontainers.DockerClient {
	t.Helper()
	cli, err := dockerClient(t)
	if err == nil {
		_, err = exec.LookPath("docker")
	}
	if err == nil && !strings.HasPrefix(cli.DaemonHost(), "unix://") {
		// Ports are published on the engine's 127.0.0.1 (bindLoopback).
		err = fmt.Errorf("the engine at %s is not local: the image tests need one on a unix socket", cli.DaemonHost())
	}
	if err != nil {
		integration.SkipOrFail(t, "no Docker engine for the image tests (%v): start dockerd and install the docker CLI", err)
	}
	return cli
}

func dockerClient(t *testing.T) (cli *testcontainers.DockerClient, err error) {
	// testcontainers panics without an engine.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("docker provider: %v", r)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cli, err = testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return nil, err
	}
	if _, err = cli.Ping(ctx, client.PingOptions{}); err != nil {
		cli.Close()
		return nil, err
	}
	t.Cleanup(func() { cli.Close() })
	return cli, nil
}

// buildImage runs build-image.sh (the CI path: one go build, no pull) under
// a fresh tag, removed when the test ends.
func buildImage(t *testing.T, cli *testcontainers.DockerClient) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	tag := "mangaalert-imagetest:" + hex.EncodeToString(b[:])
	start := time.Now()
	cmd := exec.Command("bash", filepath.Join(imageDir, "build-image.sh"), tag)
	out, err := cmd.CombinedOutput()
	t.Cleanup(func() {
		for _, name := range []string{tag, tag + "-arm64", tag + "-amd64"} {
			_, err := cli.ImageRemove(context.Background(), name, client.ImageRemoveOptions{Force: true, PruneChildren: true})
			if err != nil && !strings.Contains(err.Error(), "No such image") {
				t.Errorf("remove image %s: %v", name, err)
			}
		}
	})
	require.NoError(t, err, "build-image.sh:\n%s", out)
	t.Logf("built %s in %s", tag, time.Since(start).Round(time.Millisecond))
	return tag
}

// serving waits for serve's "serving" log line, written once it listens.
func serving() wait.Strategy {
	return wait.ForLog(`"msg":"serving"`).WithStartupTimeout(startupTimeout)
}

// bindLoopback publishes the ports on 127.0.0.1 only (testcontainers'
// default is every interface of the host). The engine must then be local
// (a unix socket), as dockerOrSkip checks.
func bindLoopback(hc *container.HostConfig, ports ...string) {
	if hc.PortBindings == nil {
		hc.PortBindings = network.PortMap{}
	}
	for _, p := range ports {
		hc.PortBindings[network.MustParsePort(p)] = []network.PortBinding{{HostIP: netip.MustParseAddr("127.0.0.1")}}
	}
}

// loopbackURL is the http URL of a container port bound by bindLoopback.
func loopbackURL(t *testing.T, c testcontainers.Container, port string) string {
	t.Helper()
	p, err := c.MappedPort(context.Background(), port)
	require.NoError(t, err)
	return "http://127.0.0.1:" + p.Port()
}

func getStatus(t *testing.T, u string) int {
	t.Helper()
	hc := &http.Client{Timeout: 5 * time.Second}
	resp, err := hc.Get(u)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

// assertUID checks the uid of every process of the container, as the host
// sees it.
func assertUID(t *testing.T, cli *testcontainers.DockerClient, id, uid string) {
	t.Helper()
	top, err := cli.ContainerTop(context.Background(), id, client.ContainerTopOptions{Arguments: []string{"-o", "pid,uid,args"}})
	require.NoError(t, err)
	col := slices.Index(top.Titles, "UID")
	require.GreaterOrEqual(t, col, 0, "ps titles %v", top.Titles)
	require.NotEmpty(t, top.Processes)
	for _, p := range top.Processes {
		assert.Equal(t, uid, p[col], "uid of %v", p)
	}
}

// assertExec runs a command in the running container and wants exit 0.
func assertExec(t *testing.T, c testcontainers.Container, cmd ...string) {
	t.Helper()
	code, r, err := c.Exec(context.Background(), cmd, tcexec.Multiplexed())
	require.NoError(t, err)
	out, _ := io.ReadAll(r)
	assert.Equal(t, 0, code, "%v: %s", cmd, out)
}

func readFile(t *testing.T, c testcontainers.Container, path string) []byte {
	t.Helper()
	r, err := c.CopyFileFromContainer(context.Background(), path)
	require.NoError(t, err, "copy %s from the container", path)
	defer r.Close()
	b, err := io.ReadAll(r)
	require.NoError(t, err)
	return b
}

// waitHealthy waits until Docker runs the health check and finds it
// healthy; an unhealthy verdict fails at once. It listens to the engine's
// health_status events of the container, subscribed before the state is
// read so no verdict slips between the two.
func waitHealthy(t *testing.T, cli *testcontainers.DockerClient, c testcontainers.Container) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startupTimeout)
	defer cancel()
	evs := cli.Events(ctx, client.EventsListOptions{Filters: make(client.Filters).
		Add("container", c.GetContainerID()).Add("event", "health_status")})
	st, err := c.State(ctx)
	require.NoError(t, err)
	require.NotNil(t, st.Health, "the container has no health check")
	status := st.Health.Status
	for {
		switch status {
		case container.Healthy:
			return
		case container.Unhealthy:
			st, _ := c.State(context.Background())
			t.Fatalf("health check failed: %+v", st.Health.Log)
		}
		select {
		case ev := <-evs.Messages:
			status = container.HealthStatus(strings.TrimSpace(strings.TrimPrefix(string(ev.Action), "health_status:")))
		case err := <-evs.Err:
			t.Fatalf("engine events: %v (health %s)", err, status)
		case <-ctx.Done():
			t.Fatalf("still %s after %s", status, startupTimeout)
		}
	}
}

// assertStopsCleanly stops the container as ECS and docker stop do
// (SIGTERM, SIGKILL after stopTimeout) and wants exit status 0: a process
// that ignored SIGTERM would be killed and exit 137.
func assertStopsCleanly(t *testing.T, c testcontainers.Container) {
	t.Helper()
	ctx := context.Background()
	timeout := stopTimeout
	start := time.Now()
	require.NoError(t, c.Stop(ctx, &timeout))
	took := time.Since(start)
	st, err := c.State(ctx)
	require.NoError(t, err)
	t.Logf("docker stop took %s; exit status %d", took.Round(time.Millisecond), st.ExitCode)
	assert.False(t, st.Running)
	assert.False(t, st.OOMKilled)
	assert.Equal(t, 0, st.ExitCode, "exit status after SIGTERM (137: killed after %s)", stopTimeout)
}

// containerOutput returns the container's stdout and stderr apart.
func containerOutput(t *testing.T, cli *testcontainers.DockerClient, id string) (stdout, stderr []byte) {
	t.Helper()
	rc, err := cli.ContainerLogs(context.Background(), id, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true})
	require.NoError(t, err)
	defer rc.Close()
	var o, e bytes.Buffer
	_, err = stdcopy.StdCopy(&o, &e, rc)
	require.NoError(t, err)
	return o.Bytes(), e.Bytes()
}

// volumeLine is one line of `scrape --json`.
type volumeLine struct {
	Series      string `json:"series"`
	Number      int    `json:"number"`
	Edition     string `json:"edition"`
	Title       string `json:"title"`
	ReleaseDate string `json:"release_date"`
	PriceCents  int    `json:"price_cents"`
	Publisher   string `json:"publisher"`
	URL         string `json:"url"`
	SKU         string `json:"sku"`
}

func decodeVolumes(t *testing.T, out []byte) []volumeLine {
	t.Helper()
	var vs []volumeLine
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		var v volumeLine
		require.NoError(t, dec.Decode(&v), "line %q", sc.Text())
		vs = append(vs, v)
	}
	require.NoError(t, sc.Err())
	return vs
}

// parseSample reads the sample page with the scraper's own parser: what
// the binary in the image must print.
func parseSample(t *testing.T) []volumeLine {
	t.Helper()
	src, ok := source.Lookup("starcomics")
	require.True(t, ok)
	f, err := os.Open(samplePage)
	require.NoError(t, err)
	defer f.Close()
	base, err := url.Parse(src.Site)
	require.NoError(t, err)
	items, err := src.Parse(f, base)
	require.NoError(t, err)
	var vs []volumeLine
	for _, it := range items {
		vs = append(vs, volumeLine{
			Series: it.Series, Number: it.Number, Edition: string(it.Edition), Title: it.Title,
			ReleaseDate: it.ReleaseDate.String(), PriceCents: it.PriceCents, Publisher: it.Publisher, URL: it.URL, SKU: it.SKU,
		})
	}
	return vs
}

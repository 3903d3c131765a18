package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/moby/moby/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/ecslocal"
	"github.com/manga-alert-italia/mangaalert/integration"
	"github.com/manga-alert-italia/mangaalert/scraper/sample"
	"github.com/manga-alert-italia/mangaalert/scraper/source"
	"github.com/manga-alert-italia/mangaalert/stack"
	"github.com/manga-alert-italia/mangaalert/store"
	"github.com/manga-alert-italia/mangaalert/store/dynamo"
)

// TestLocalRunsTheStackInDocker runs the whole cycle in real containers:
// the image built as CI builds it (FROM scratch, no pull), the stack
// applied to a moto of its own running as a container, then `deploy
// local` running the registered task definitions on Docker's bridge. The
// containers reach moto on the bridge and the saved publisher pages on
// the host's bridge address (host.docker.internal); the backend's port is
// published on 127.0.0.1 only, on a free port (--publish 80=0).
func TestLocalRunsTheStackInDocker(t *testing.T) {
	if testing.Short() {
		t.Skip("builds an image and runs containers")
	}
	ctx := context.Background()
	docker := localDocker(t)
	image := buildLocalImage(t, docker)
	emu, err := integration.StartMotoContainer(ctx)
	if err != nil {
		integration.SkipOrFail(t, "no moto container (%v): run integration/docker-moto-image.sh", err)
	}
	t.Cleanup(func() { _ = emu.Close() })
	require.NotEmpty(t, emu.BridgeEndpoint)

	gw := bridgeGateway(t, docker)
	var sites []string
	for _, s := range sample.Sites() {
		ln, err := net.Listen("tcp", net.JoinHostPort(gw, "0"))
		require.NoError(t, err)
		srv := &http.Server{Handler: s}
		go func() { _ = srv.Serve(ln) }()
		t.Cleanup(func() { _ = srv.Close() })
		sites = append(sites, s.Source+"=http://host.docker.internal:"+portOf(ln.Addr().String()))
	}

	const domain = "local.example.test"
	flags := []string{"--endpoint", emu.Endpoint, "--poll", "10ms", "--stack", "localrun", "--image", image,
		"--base-url", "http://" + domain, "--from", "avvisi@" + domain, "--account-from", "account@" + domain}
	run := func(ctx context.Context, out *syncBuffer, args ...string) int {
		a := &app{stdout: out, stderr: out, stdin: strings.NewReader(""), now: time.Now,
			getenv: func(string) string { return "" }}
		return a.run(ctx, append(args, flags...))
	}
	var applied syncBuffer
	require.Equal(t, 0, run(ctx, &applied, "apply"), applied.String())

	// A reader following, before they were announced, the series with a
	// first edition still to come on the saved calendar (the scraper's
	// own parser says which), and SES's identity for the From domain,
	// which the operator makes (the plan says so).
	cfg := emu.ConfigFor("123456789012") // moto's default account: the one the "test" key reaches
	db := dynamo.New(dynamodb.NewFromConfig(cfg), "localrun")
	reader := store.Subscriber{ID: "local-" + integration.NewAccountID(), Status: store.Active,
		CreatedAt: time.Date(2024, 9, 1, 9, 0, 0, 0, time.UTC)}
	reader.Email = reader.ID + "@example.it"
	require.NoError(t, db.CreateSubscriber(ctx, reader))
	for _, id := range announcedSeries(t) {
		require.NoError(t, db.Follow(ctx, store.Follow{SubscriberID: reader.ID, SeriesID: id, CreatedAt: reader.CreatedAt}))
	}
	_, err = sesv2.NewFromConfig(cfg).CreateEmailIdentity(ctx, &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String(domain)})
	require.NoError(t, err)

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	var out syncBuffer
	code := make(chan int, 1)
	go func() {
		code <- run(runCtx, &out, "local", "--container-endpoint", emu.BridgeEndpoint, "--publish", "80=0",
			// What stands for the day of the saved pages, and for an
			// emulator without SES quotas.
			"--env", "MANGAALERT_SITES="+strings.Join(sites, ","), "--env", "MANGAALERT_TODAY=2024-09-09",
			"--env", "MANGAALERT_DELAY=1ms", "--env", "MANGAALERT_WEEKS=2",
			"--env", "MANGAALERT_SES_NO_QUOTA=true", "--env", "MANGAALERT_RATE=20")
	}()
	select {
	case <-out.await(runCtx, "the jobs ran"):
	case c := <-code:
		t.Fatalf("deploy local ended with %d before the jobs ran:\n%s", c, out.String())
	case <-time.After(10 * time.Minute): // a hang, not a speed limit
		t.Fatalf("deploy local still running after 10 minutes:\n%s", out.String())
	}
	log := out.String()
	assert.Contains(t, log, "service: localrun-serve:1", "the revision apply registered")
	assert.Regexp(t, `serve: healthy after`, log, "the container's health check")
	assert.Contains(t, log, "scrape: exited with status 0")
	assert.Contains(t, log, "notify: exited with status 0")

	m := regexp.MustCompile(`serve: 8080/tcp published on (127\.0\.0\.1:\d+)`).FindStringSubmatch(log)
	require.NotNil(t, m, "the published port:\n%s", log)
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get("http://" + m[1] + "/")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "the home page through the published port")

	vols, err := db.UpcomingVolumes(ctx, store.NewDate(2024, 9, 9))
	require.NoError(t, err)
	assert.NotEmpty(t, vols, "scrape wrote the saved calendar's volumes")
	mail, err := emu.SentMail(ctx, reader.Email)
	require.NoError(t, err)
	require.Len(t, mail, 1, "notify mailed the reader once, through the emulator's SES")
	assert.Contains(t, mail[0].Header.Get("From"), "avvisi@"+domain)

	// Ctrl-C: the backend gets SIGTERM and must exit 0 before its stop
	// timeout (137 would mean SIGKILL); everything is removed.
	stop()
	require.Equal(t, 0, <-code, out.String())
	assert.Regexp(t, `serve: stopped in \S+ \(SIGTERM, SIGKILL after \S+\), exit status 0`, out.String())
	left, err := docker.ContainerList(ctx, client.ContainerListOptions{All: true,
		Filters: make(client.Filters).Add("label", "mangaalert.ecslocal.family=localrun-serve")})
	require.NoError(t, err)
	assert.Empty(t, left.Items, "deploy local removes what it started")
	t.Logf("deploy local:\n%s", out.String())
}

// Before any apply, deploy local runs what plan would register: the
// definitions built from the same spec, unregistered, with the secrets
// that do not exist yet given a value for the run only; nothing is
// written to the account.
func TestLocalPlansWhatIsNotApplied(t *testing.T) {
	ac := newAccount(t)
	ctx := context.Background()
	c, err := (&options{overrides: []func(*Config){func(c *Config) { c.Image = "mangaalert:dev" }}}).config(false)
	require.NoError(t, err)
	defs, values, err := stack.New(ac.cfg).PlannedTaskDefinitions(ctx, c.spec(""))
	require.NoError(t, err)
	tds, err := ecslocal.Definitions(ctx, ecs.NewFromConfig(ac.cfg), defs)
	require.NoError(t, err)
	require.Len(t, tds, 3)
	for i, want := range []string{"serve", "scrape", "notify"} {
		assert.Equal(t, c.Stack+"-"+want+" (unregistered)", ecslocal.Name(tds[i]))
		assert.Equal(t, "mangaalert:dev", aws.ToString(tds[i].ContainerDefinitions[0].Image))
	}
	var key string
	for _, s := range tds[0].ContainerDefinitions[0].Secrets {
		if aws.ToString(s.Name) == EnvSigningKey {
			key = aws.ToString(s.ValueFrom)
		}
	}
	require.NotEmpty(t, key, "the signing key arrives by valueFrom")
	assert.NotEmpty(t, values[key], "a signing key made for the run")
	assert.Empty(t, ac.calls.Mutating(), "nothing written")
}

// announcedSeries are the series with a first edition after 9 September
// 2024 on the saved Star Comics calendar.
func announcedSeries(t *testing.T) []string {
	t.Helper()
	src, ok := source.Lookup("starcomics")
	require.True(t, ok)
	f, err := os.Open("../../scraper/sample/pages/starcomics-uscite.html")
	require.NoError(t, err)
	defer f.Close()
	base, err := url.Parse(src.Site)
	require.NoError(t, err)
	items, err := src.Parse(f, base)
	require.NoError(t, err)
	var ids []string
	for _, it := range items {
		if it.Edition == store.First && store.NewDate(2024, 9, 9).Before(it.ReleaseDate) && !slices.Contains(ids, it.SeriesID) {
			ids = append(ids, it.SeriesID)
		}
	}
	require.NotEmpty(t, ids)
	return ids
}

func localDocker(t *testing.T) *client.Client {
	t.Helper()
	cli, err := client.New(client.FromEnv)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err = cli.Ping(ctx, client.PingOptions{})
	}
	if err == nil && !strings.HasPrefix(cli.DaemonHost(), "unix://") {
		err = errNotLocal
	}
	if err != nil {
		integration.SkipOrFail(t, "no local Docker engine (%v): start dockerd", err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

var errNotLocal = errors.New("the engine is not local: the test publishes on its 127.0.0.1")

// buildLocalImage builds the runtime image as CI does, under a tag of its
// own removed at the end.
func buildLocalImage(t *testing.T, docker *client.Client) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	tag := "mangaalert-localtest:" + hex.EncodeToString(b[:])
	start := time.Now()
	// Only this machine's architecture: the containers run here.
	cmd := exec.Command("bash", "../mangaalert/build-image.sh", tag)
	cmd.Env = append(os.Environ(), "ARCHS="+runtime.GOARCH)
	out, err := cmd.CombinedOutput()
	t.Cleanup(func() {
		for _, name := range []string{tag, tag + "-" + runtime.GOARCH} {
			_, _ = docker.ImageRemove(context.Background(), name, client.ImageRemoveOptions{Force: true, PruneChildren: true})
		}
	})
	require.NoError(t, err, "build-image.sh:\n%s", out)
	t.Logf("built %s in %s", tag, time.Since(start).Round(time.Millisecond))
	return tag
}

// bridgeGateway is the host's address on Docker's default bridge, which
// host.docker.internal (host-gateway) names inside the containers.
func bridgeGateway(t *testing.T, docker *client.Client) string {
	t.Helper()
	n, err := docker.NetworkInspect(context.Background(), "bridge", client.NetworkInspectOptions{})
	require.NoError(t, err)
	for _, c := range n.Network.IPAM.Config {
		switch {
		case c.Gateway.Is4():
			return c.Gateway.String()
		case c.Subnet.Addr().Is4(): // older engines leave it out: the subnet's first address
			return c.Subnet.Masked().Addr().Next().String()
		}
	}
	t.Fatalf("the bridge network has no IPv4 gateway: %+v", n.Network.IPAM)
	return ""
}

func portOf(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

// syncBuffer is a buffer written by the tool and read by the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// await is closed once the output holds text.
func (s *syncBuffer) await(ctx context.Context, text string) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		for !strings.Contains(s.String(), text) {
			select {
			case <-ctx.Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
		close(done)
	}()
	return done
}

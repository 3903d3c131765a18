package integration_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/mail"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/backend"
	"github.com/manga-alert-italia/mangaalert/integration"
	"github.com/manga-alert-italia/mangaalert/store"
	"github.com/manga-alert-italia/mangaalert/store/dynamo"
)

// The forms' mail budgets the replicas run with: small, so a flood
// passes them in a few dozen posts.
const (
	replicaMailsPerInbox = 2
	replicaMailsPerIP    = 4
	replicaMailsPerHour  = 30
)

// TestThreeReplicas runs three `serve` processes of the runtime binary on
// one DynamoDB table (the emulator) behind a load balancer made of
// httputil.ReverseProxy that does what an ALB does (round robin over
// healthy targets, health checks on /readyz, deregistration with
// draining), and shows that what must be shared is:
//
//   - a flood of sign-ups spread over the three by the balancer gets no
//     more mail than the budgets allow in all (per inbox, per client,
//     per hour), counted in the mail the replicas wrote, and no less;
//   - under a steady stream of requests (the sign-up page, API reads, a
//     confirmation link, sign-ups) the replicas are replaced one by one
//     as ECS rolls a deployment (deregister, drain, SIGTERM, exit 0,
//     start, healthy, register) with zero failed requests, and every
//     sign-up a replica answered is worked off before it exits;
//   - after a last burst of sign-ups the three are stopped at once with
//     their mail queues full: each works its queue off and exits 0.
//
// The test waits on events (a replica's "serving" line, health checks
// passing, a target drained, a process exited, the replicas' own log
// lines for each mail job), never on pauses, and asserts no timing.
func TestThreeReplicas(t *testing.T) {
	t.Parallel()
	start := time.Now()
	emu := integration.Env(t)
	emu.Require(t, integration.DynamoDB)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	// The binary sends no account header, as against AWS: on moto it works
	// in the default account (this test's table has a name of its own
	// there), on LocalStack in the account its access key names.
	account, keyID := motoDefaultAccount, "test"
	if emu.Kind == integration.LocalStack {
		account = integration.NewAccountID()
		keyID = account
	}
	db := dynamodb.NewFromConfig(emu.ConfigFor(account))
	table := "replicas-" + integration.NewAccountID()
	require.NoError(t, dynamo.EnsureTable(ctx, db, table, func(o *dynamo.TableOptions) {
		o.MinDelay, o.MaxDelay = 10*time.Millisecond, 100*time.Millisecond
	}))
	t.Cleanup(func() { _ = dynamo.DeleteTable(context.Background(), db, table) })
	seedCatalogue(t, ctx, dynamo.New(db, table))

	bin := buildRuntime(t)
	lb := newBalancer(t)
	outbox := t.TempDir()
	fleet := &fleet{t: t, bin: bin, tally: newTally(), env: []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(),
		"AWS_ENDPOINT_URL=" + emu.Endpoint, "AWS_REGION=" + integration.Region,
		"AWS_ACCESS_KEY_ID=" + keyID, "AWS_SECRET_ACCESS_KEY=test", "AWS_EC2_METADATA_DISABLED=true",
		"MANGAALERT_SIGNING_KEY=replicas-test-signing-key-0123456789abcdef",
	}, args: []string{"serve",
		"--addr", "127.0.0.1:0",
		"--store", "dynamodb:" + table,
		"--sender", "outbox:" + outbox,
		"--base-url", lb.url,
		"--trusted-proxies", "127.0.0.1",
		// Every replica's mail jobs go through one emulator that takes a
		// request at a time: on a busy CI machine a full queue needs
		// longer to work off than AWS's 30 s, and what is tested here is
		// that it is worked off before the exit, not how fast.
		"--stop-timeout", "2m",
		"--log-level", "debug",
		"--mails-per-inbox", fmt.Sprint(replicaMailsPerInbox),
		"--mails-per-ip", fmt.Sprint(replicaMailsPerIP),
		"--mails-per-hour", fmt.Sprint(replicaMailsPerHour),
	}}
	var live [3]*replica
	for i := range live {
		live[i] = fleet.start(ctx)
	}
	for i := range live {
		live[i].target = lb.register(live[i].addr)
	}
	for _, r := range live {
		lb.waitHealthy(t, ctx, r.target)
	}
	c := newLBClient(lb.url)

	// Round 1: every inbox and every client past its own budget, the
	// service within its own. 8 inboxes signed up 4 times each (spelled 4
	// ways: case, +tags), each post from another client; 3 clients posting
	// 8 sign-ups each for addresses of their own.
	var posts []signUp
	for i := range 8 {
		for j, spelling := range []string{"reader%d@example.it", "Reader%d@Example.IT", "reader%d+a@example.it", "reader%d+news@example.it"} {
			posts = append(posts, signUp{email: fmt.Sprintf(spelling, i), client: fmt.Sprintf("198.18.1.%d", i*4+j+1)})
		}
	}
	for cl := range 3 {
		for j := range 8 {
			posts = append(posts, signUp{email: fmt.Sprintf("client%d-%d@example.it", cl, j), client: fmt.Sprintf("198.18.2.%d", cl+1)})
		}
	}
	flood(t, ctx, c, posts)
	fleet.tally.waitJobs(t, ctx, len(posts))
	round1 := countMail(t, outbox)
	for i := range 8 {
		assert.Equal(t, replicaMailsPerInbox, round1.byInbox[fmt.Sprintf("reader%d@example.it", i)], "inbox %d: signed up 4 times through 3 replicas", i)
	}
	for cl := range 3 {
		assert.Equal(t, replicaMailsPerIP, round1.byPrefix(fmt.Sprintf("client%d-", cl)), "client %d: 8 sign-ups through 3 replicas", cl)
	}
	require.Equal(t, 8*replicaMailsPerInbox+3*replicaMailsPerIP, round1.total)

	// Round 2: 40 new readers from 40 new clients; the service's budget
	// has 2 mails left.
	posts = posts[:0]
	for i := range 40 {
		posts = append(posts, signUp{email: fmt.Sprintf("late%d@example.it", i), client: fmt.Sprintf("198.18.3.%d", i+1)})
	}
	flood(t, ctx, c, posts)
	fleet.tally.waitJobs(t, ctx, 8*4+3*8+40)
	afterFlood := countMail(t, outbox)
	assert.Equal(t, replicaMailsPerHour, afterFlood.total, "the service's budget, in all, across the replicas")
	floodPosts := 8*4 + 3*8 + 40
	t.Logf("flood: %d sign-ups over 3 replicas; budgets per inbox %d/24h, per client %d/h, in all %d/h; mails sent: %d (round 1 %d: every inbox %d, every client %d; round 2 %d); outcomes %v",
		floodPosts, replicaMailsPerInbox, replicaMailsPerIP, replicaMailsPerHour,
		afterFlood.total, round1.total, replicaMailsPerInbox, replicaMailsPerIP, afterFlood.total-round1.total, fleet.tally.outcomeCounts())

	// A confirmation link from the flood's mail: reading its page checks
	// the token and reads the reader on whichever replica gets it.
	confirm := afterFlood.confirmPath
	require.NotEmpty(t, confirm, "a confirmation link in the mail")

	// The rolling restart under a steady stream.
	streamCtx, stopStream := context.WithCancel(ctx)
	inflightAtStop := 0
	stream := startStream(streamCtx, c, confirm, 4, func() int { return fleet.tally.jobsDone() - floodPosts })
	for _, r := range live {
		stream.waitServedBy(t, ctx, r.target, r.target.served.Load()+50) // the stream runs on all three first
	}
	for i := range live {
		old := live[i]
		inflightAtStop += lb.deregister(t, ctx, old.target) // no new request reaches it; in-flight ones finish
		require.NoError(t, old.stop(ctx), "replica %d stops cleanly on SIGTERM", old.n)
		live[i] = fleet.start(ctx)
		live[i].target = lb.register(live[i].addr)
		lb.waitHealthy(t, ctx, live[i].target)
		stream.waitServedBy(t, ctx, live[i].target, 100) // the new replica takes its share before the next goes
	}
	stopStream()
	res := stream.wait()
	fleet.tally.waitJobs(t, ctx, floodPosts+res.signUps)
	final := countMail(t, outbox)

	t.Logf("rolling restart of 3 replicas under a steady stream: %d requests (%d sign-ups), %d failed, by status %v; %d in flight on the replicas when they were deregistered, all answered; balancer errors %d; requests per target over the whole test %v",
		res.total, res.signUps, res.failed, res.byStatus, inflightAtStop, lb.proxyErrors.Load(), lb.servedCounts())
	assert.Zero(t, res.failed, "failed requests: %v", res.failures)
	assert.Zero(t, lb.proxyErrors.Load(), "the balancer reached a target every time")
	assert.Zero(t, lb.noTarget.Load(), "there was always a healthy target")
	assert.Positive(t, res.signUps)
	assert.Equal(t, replicaMailsPerHour, final.total, "the budget holds through the restarts")

	// The last burst: 150 sign-ups answered, then every replica stopped
	// at once, their queues full of work; each works its queue off before
	// it exits 0.
	posts = posts[:0]
	for i := range 150 {
		posts = append(posts, signUp{email: fmt.Sprintf("last%d@example.it", i), client: fmt.Sprintf("198.18.%d.%d", 4+i/200, i%200+1)})
	}
	flood(t, ctx, c, posts)
	var stopping sync.WaitGroup
	stopErrs := make([]error, len(live))
	for i, r := range live {
		lb.deregister(t, ctx, r.target)
		stopping.Add(1)
		go func() { defer stopping.Done(); stopErrs[i] = r.stop(ctx) }()
	}
	stopping.Wait()
	for i, err := range stopErrs {
		require.NoError(t, err, "replica %d stops cleanly with its queue full", live[i].n)
	}
	total := floodPosts + res.signUps + len(posts)
	fleet.tally.waitJobs(t, ctx, total)
	assert.Equal(t, replicaMailsPerHour, countMail(t, outbox).total)
	assert.Empty(t, fleet.tally.errorLines(), "no replica logged an error")
	t.Logf("stopped at once after a burst of %d sign-ups: every replica exited 0, and %d sign-ups answered in all were %d mail jobs worked off",
		len(posts), total, fleet.tally.jobsDone())
	t.Logf("three replicas: %d requests in all, %d failed; took %s", floodPosts+res.total+len(posts), res.failed, time.Since(start).Round(100*time.Millisecond))
}

// seedCatalogue writes two series with a volume each: the sign-up form
// takes only series of the catalogue.
func seedCatalogue(t *testing.T, ctx context.Context, st *dynamo.Store) {
	t.Helper()
	for _, s := range []store.Series{
		{ID: "one-piece", Title: "One Piece", Publisher: "Star Comics"},
		{ID: "solo-leveling", Title: "Solo Leveling", Publisher: "Star Comics"},
	} {
		require.NoError(t, st.PutSeries(ctx, s))
	}
	today := store.DateOf(time.Now())
	_, err := st.UpsertVolumes(ctx, []store.Volume{
		{SeriesID: "one-piece", Number: 110, Title: "ONE PIECE n. 110", Publisher: "Star Comics", Edition: store.First, ReleaseDate: today.AddDays(3)},
		{SeriesID: "solo-leveling", Number: 20, Title: "SOLO LEVELING n. 20", Publisher: "Star Comics", Edition: store.First, ReleaseDate: today.AddDays(10)},
	}, time.Now())
	require.NoError(t, err)
}

// --- the replicas -----------------------------------------------------

// fleet starts replicas of the runtime binary with one configuration.
type fleet struct {
	t     *testing.T
	bin   string
	env   []string
	args  []string
	tally *tally
	n     int
}

// replica is one running `serve` process.
type replica struct {
	n      int
	addr   string // 127.0.0.1:PORT, from its "serving" log line
	cmd    *exec.Cmd
	exited chan error // receives cmd.Wait's answer once
	done   bool
	target *target
}

// start starts a replica and returns once it listens (its "serving" line).
func (f *fleet) start(ctx context.Context) *replica {
	f.t.Helper()
	f.n++
	r := &replica{n: f.n, exited: make(chan error, 1)}
	serving := make(chan string, 1)
	logs := &lineWriter{line: func(l []byte) { f.tally.line(r.n, l, serving) }}
	r.cmd = exec.Command(f.bin, f.args...)
	r.cmd.Env = f.env
	r.cmd.Dir = f.t.TempDir()
	r.cmd.Stdout, r.cmd.Stderr = logs, logs
	require.NoError(f.t, r.cmd.Start())
	go func() { r.exited <- r.cmd.Wait() }()
	f.t.Cleanup(func() {
		if !r.done {
			_ = r.cmd.Process.Kill()
			<-r.exited
		}
		if f.t.Failed() {
			f.t.Logf("replica %d, last lines:\n%s", r.n, f.tally.tail(r.n))
		}
	})
	select {
	case r.addr = <-serving:
	case err := <-r.exited:
		r.done = true
		f.t.Fatalf("replica %d exited before serving: %v\n%s", r.n, err, f.tally.tail(r.n))
	case <-ctx.Done():
		f.t.Fatalf("replica %d: no \"serving\" line: %v\n%s", r.n, ctx.Err(), f.tally.tail(r.n))
	}
	return r
}

// stop sends SIGTERM, as ECS does, and returns the process's exit error
// (nil for status 0).
func (r *replica) stop(ctx context.Context) error {
	if r.done {
		return nil
	}
	if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case err := <-r.exited:
		r.done = true
		return err
	case <-ctx.Done():
		return fmt.Errorf("replica %d still running after SIGTERM: %w", r.n, ctx.Err())
	}
}

// lineWriter calls line for every line written to it.
type lineWriter struct {
	mu   sync.Mutex
	buf  []byte
	line func([]byte)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		w.line(w.buf[:i])
		w.buf = w.buf[i+1:]
	}
}

// tally reads every replica's JSON log: how many mail jobs each worked off
// and how, the mails sent, and any error.
type tally struct {
	mu       sync.Mutex
	changed  *sync.Cond
	jobs     int
	outcomes map[string]int
	sent     int
	errors   []string
	tails    map[int][]string
}

func newTally() *tally {
	t := &tally{outcomes: map[string]int{}, tails: map[int][]string{}}
	t.changed = sync.NewCond(&t.mu)
	return t
}

func (t *tally) line(n int, l []byte, serving chan<- string) {
	var rec struct {
		Level, Msg, Addr, Outcome string
	}
	_ = json.Unmarshal(l, &rec)
	t.mu.Lock()
	defer t.mu.Unlock()
	tail := append(t.tails[n], string(l))
	if len(tail) > 40 {
		tail = tail[len(tail)-40:]
	}
	t.tails[n] = tail
	switch rec.Msg {
	case "serving":
		select {
		case serving <- rec.Addr:
		default:
		}
	case "backend: form mail":
		t.jobs++
		t.outcomes[rec.Outcome]++
	case "backend: form mail not prepared":
		t.jobs++
		t.outcomes["error"]++
	case "backend: mail sent":
		t.sent++
	}
	if rec.Level == "ERROR" {
		t.errors = append(t.errors, fmt.Sprintf("replica %d: %s", n, l))
	}
	t.changed.Broadcast()
}

// waitJobs waits until the replicas have worked off n mail jobs (one per
// sign-up answered) and sent every mail those jobs prepared.
func (t *tally) waitJobs(tt *testing.T, ctx context.Context, n int) {
	tt.Helper()
	stop := context.AfterFunc(ctx, func() {
		t.mu.Lock()
		t.changed.Broadcast()
		t.mu.Unlock()
	})
	defer stop()
	t.mu.Lock()
	defer t.mu.Unlock()
	for (t.jobs < n || t.sent+len(t.errors) < t.outcomes["mail"]) && ctx.Err() == nil {
		t.changed.Wait()
	}
	require.NoError(tt, ctx.Err(), "waiting for %d mail jobs: %d done, outcomes %v, %d sent", n, t.jobs, t.outcomes, t.sent)
	require.Equal(tt, n, t.jobs, "one mail job per sign-up answered, outcomes %v", t.outcomes)
}

func (t *tally) jobsDone() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.jobs
}

func (t *tally) outcomeCounts() map[string]int {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := map[string]int{}
	for k, v := range t.outcomes {
		out[k] = v
	}
	return out
}

func (t *tally) errorLines() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.errors...)
}

func (t *tally) tail(n int) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.tails[n], "\n")
}

// --- the load balancer ------------------------------------------------

// clientHeader tells the balancer which client a request stands for: on
// loopback every connection comes from 127.0.0.1, where behind an ALB
// each comes from its client. The balancer puts it in X-Forwarded-For, as
// an ALB puts the client's address, and sends the header no further.
// The addresses are from 198.18.0.0/15 (reserved for benchmarks): header
// values only, nothing is ever sent to them.
const clientHeader = "X-Test-Client-Address"

// balancer is what an ALB does for this test: round robin over the
// targets in service, health checks on /readyz (two passes put a target
// in service), and deregistration that stops new requests at once and
// waits for those in flight.
type balancer struct {
	url         string
	proxy       *httputil.ReverseProxy
	proxyErrors atomic.Int64
	noTarget    atomic.Int64

	mu      sync.Mutex
	targets []*target
	next    int
	served  map[string]int
}

type target struct {
	addr     string
	url      *url.URL
	healthy  chan struct{} // closed when in service
	inflight int
	state    string // "initial", "healthy", "draining"
	drained  chan struct{}
	stop     context.CancelFunc // ends the health checks
	served   atomic.Int64
}

type targetKey struct{}

func newBalancer(t *testing.T) *balancer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	b := &balancer{url: "http://" + ln.Addr().String(), served: map[string]int{}}
	b.proxy = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			tg := pr.In.Context().Value(targetKey{}).(*target)
			pr.SetURL(tg.url)
			pr.Out.Host = pr.In.Host // an ALB keeps the Host header
			client := pr.In.Header.Get(clientHeader)
			if client == "" {
				client, _, _ = net.SplitHostPort(pr.In.RemoteAddr)
			}
			pr.Out.Header.Del(clientHeader)
			pr.Out.Header.Set("X-Forwarded-For", client)
			pr.Out.Header.Set("X-Forwarded-Proto", "http")
		},
		Transport: &http.Transport{MaxIdleConnsPerHost: 16, IdleConnTimeout: 30 * time.Second},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			b.proxyErrors.Add(1)
			t.Logf("balancer: %s %s: %v", r.Method, r.URL.Path, err)
			w.WriteHeader(http.StatusBadGateway)
		},
	}
	srv := &http.Server{Handler: b}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		_ = srv.Close()
		b.mu.Lock()
		for _, tg := range b.targets {
			tg.stop()
		}
		b.mu.Unlock()
	})
	return b
}

func (b *balancer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tg := b.pick()
	if tg == nil {
		b.noTarget.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	defer b.release(tg)
	tg.served.Add(1)
	b.proxy.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), targetKey{}, tg)))
}

func (b *balancer) pick() *target {
	b.mu.Lock()
	defer b.mu.Unlock()
	for range len(b.targets) {
		tg := b.targets[b.next%len(b.targets)]
		b.next++
		if tg.state == "healthy" {
			tg.inflight++
			b.served[tg.addr]++
			return tg
		}
	}
	return nil
}

func (b *balancer) release(tg *target) {
	b.mu.Lock()
	defer b.mu.Unlock()
	tg.inflight--
	if tg.state == "draining" && tg.inflight == 0 {
		close(tg.drained)
	}
}

// register adds a target and starts its health checks.
func (b *balancer) register(addr string) *target {
	ctx, stop := context.WithCancel(context.Background())
	tg := &target{addr: addr, url: &url.URL{Scheme: "http", Host: addr}, healthy: make(chan struct{}), state: "initial",
		drained: make(chan struct{}), stop: stop}
	b.mu.Lock()
	b.targets = append(b.targets, tg)
	b.mu.Unlock()
	go b.healthChecks(ctx, tg)
	return tg
}

// healthChecks checks /readyz every 100 ms, as an ALB does at its
// interval: two passes in a row put the target in service.
func (b *balancer) healthChecks(ctx context.Context, tg *target) {
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	passes := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, tg.url.String()+"/readyz", nil)
		resp, err := client.Do(req)
		ok := err == nil && resp.StatusCode == http.StatusOK
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		if !ok {
			passes = 0
			continue
		}
		if passes++; passes == 2 {
			b.mu.Lock()
			if tg.state == "initial" {
				tg.state = "healthy"
				close(tg.healthy)
			}
			b.mu.Unlock()
		}
	}
}

func (b *balancer) waitHealthy(t *testing.T, ctx context.Context, tg *target) {
	t.Helper()
	select {
	case <-tg.healthy:
	case <-ctx.Done():
		t.Fatalf("target %s never became healthy: %v", tg.addr, ctx.Err())
	}
}

// deregister takes tg out of service at once and returns when its
// requests in flight have finished (an ALB's deregistration delay, which
// ends early when the target has no request left). It returns how many
// were in flight.
func (b *balancer) deregister(t *testing.T, ctx context.Context, tg *target) int {
	t.Helper()
	b.mu.Lock()
	tg.state = "draining"
	inflight := tg.inflight
	if tg.inflight == 0 {
		close(tg.drained)
	}
	b.mu.Unlock()
	select {
	case <-tg.drained:
	case <-ctx.Done():
		t.Fatalf("target %s not drained: %v", tg.addr, ctx.Err())
	}
	tg.stop()
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, x := range b.targets {
		if x == tg {
			b.targets = append(b.targets[:i], b.targets[i+1:]...)
			break
		}
	}
	return inflight
}

func (b *balancer) servedCounts() map[string]int {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := map[string]int{}
	for k, v := range b.served {
		out[k] = v
	}
	return out
}

// --- the clients ------------------------------------------------------

type lbClient struct {
	base string
	http *http.Client
}

func newLBClient(base string) *lbClient {
	return &lbClient{base: base, http: &http.Client{
		Timeout:       30 * time.Second,
		Transport:     &http.Transport{MaxIdleConnsPerHost: 32},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// do sends a request as client and returns the status; a transport
// error is an error.
func (c *lbClient) do(ctx context.Context, method, path, client string, form url.Values) (int, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return 0, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set(clientHeader, client)
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

type signUp struct{ email, client string }

// flood posts every sign-up at once (16 at a time) through the balancer;
// each must be answered 200, whatever the budgets say.
func flood(t *testing.T, ctx context.Context, c *lbClient, posts []signUp) {
	t.Helper()
	work := make(chan signUp)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var bad []string
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range work {
				code, err := c.do(ctx, http.MethodPost, "/iscriviti", p.client, url.Values{"email": {p.email}, "series_id": {"one-piece"}})
				if err != nil || code != http.StatusOK {
					mu.Lock()
					bad = append(bad, fmt.Sprintf("%s from %s: %d %v", p.email, p.client, code, err))
					mu.Unlock()
				}
			}
		}()
	}
	for _, p := range posts {
		work <- p
	}
	close(work)
	wg.Wait()
	require.Empty(t, bad, "every sign-up is answered 200")
}

// stream is the steady request stream of the rolling restart: workers
// that send, back to back, the sign-up page, API reads, a confirmation
// link's page and a sign-up, each from a client address of its own.
type stream struct {
	done   chan streamResult
	served chan struct{} // signalled after each answered request
}

type streamResult struct {
	total, failed, signUps int
	byStatus               map[int]int
	failures               []string
}

// maxStreamRequests bounds the stream whatever happens.
const maxStreamRequests = 200_000

// maxQueuedSignUps bounds the stream's sign-ups not yet worked off: a
// replica queues sign-ups and works them off two at a time, and a queue
// that is full answers 503 (busy) by design. The stream stays within what
// the replicas can do, as steady traffic does, and posts a sign-up only
// when fewer are waiting (done counts those worked off, from the logs).
const maxQueuedSignUps = 8

func startStream(ctx context.Context, c *lbClient, confirmPath string, workers int, done func() int) *stream {
	s := &stream{done: make(chan streamResult, 1), served: make(chan struct{}, 1)}
	var n, posted atomic.Int64
	results := make(chan streamResult, workers)
	for w := range workers {
		go func() {
			r := streamResult{byStatus: map[int]int{}}
			for ctx.Err() == nil {
				i := n.Add(1)
				if i > maxStreamRequests {
					break
				}
				client := fmt.Sprintf("198.19.%d.%d", i/250%250, i%250+1)
				method, path, want := http.MethodGet, "", http.StatusOK
				var form url.Values
				switch i % 6 {
				case 0:
					path = "/iscriviti"
				case 1:
					path = "/api/v1/series"
				case 2:
					path = "/api/v1/releases"
				case 3:
					path = confirmPath
				case 4:
					path = "/"
				case 5:
					if int(posted.Load())-done() >= maxQueuedSignUps {
						path = "/api/v1/series/solo-leveling"
						break
					}
					posted.Add(1)
					method, path = http.MethodPost, "/iscriviti"
					form = url.Values{"email": {fmt.Sprintf("steady%d-%d@example.it", w, i)}, "series_id": {"solo-leveling"}}
				}
				// The request runs to its end even when the stream stops:
				// a request cut by the test is no failure of the replicas.
				code, err := c.do(context.WithoutCancel(ctx), method, path, client, form)
				r.total++
				r.byStatus[code]++
				if form != nil && code == http.StatusOK {
					r.signUps++
				} else if form != nil {
					posted.Add(-1) // not queued
				}
				if err != nil || code != want {
					r.failed++
					if len(r.failures) < 10 {
						r.failures = append(r.failures, fmt.Sprintf("%s %s: %d %v", method, path, code, err))
					}
				}
				select {
				case s.served <- struct{}{}:
				default:
				}
			}
			results <- r
		}()
	}
	go func() {
		all := streamResult{byStatus: map[int]int{}}
		for range workers {
			r := <-results
			all.total += r.total
			all.failed += r.failed
			all.signUps += r.signUps
			all.failures = append(all.failures, r.failures...)
			for k, v := range r.byStatus {
				all.byStatus[k] += v
			}
		}
		s.done <- all
	}()
	return s
}

// waitServedBy returns once tg has answered n requests.
func (s *stream) waitServedBy(t *testing.T, ctx context.Context, tg *target, n int64) {
	t.Helper()
	for tg.served.Load() < n {
		select {
		case <-s.served:
		case <-ctx.Done():
			t.Fatalf("target %s took no traffic: %v", tg.addr, ctx.Err())
		}
	}
}

func (s *stream) wait() streamResult { return <-s.done }

// --- the mail ---------------------------------------------------------

type mailCount struct {
	total       int
	byInbox     map[string]int // by backend.Inbox of the recipient
	confirmPath string         // the path of one confirmation link
}

func (m mailCount) byPrefix(p string) int {
	n := 0
	for inbox, c := range m.byInbox {
		if strings.HasPrefix(inbox, p) {
			n += c
		}
	}
	return n
}

var confirmLink = regexp.MustCompile(`https?://[^/\s]+(/conferma/[A-Za-z0-9_.-]+)`)

// countMail reads the outbox every replica writes to.
func countMail(t *testing.T, dir string) mailCount {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.eml"))
	require.NoError(t, err)
	m := mailCount{byInbox: map[string]int{}}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		msg, err := mail.ReadMessage(bytes.NewReader(raw))
		require.NoError(t, err, f)
		to, err := mail.ParseAddress(msg.Header.Get("To"))
		require.NoError(t, err, f)
		m.total++
		m.byInbox[backend.Inbox(to.Address)]++
		if m.confirmPath == "" {
			body, _ := io.ReadAll(msg.Body)
			if s := confirmLink.FindSubmatch(bytes.ReplaceAll(bytes.ReplaceAll(body, []byte("=\r\n"), nil), []byte("=\n"), nil)); s != nil {
				m.confirmPath = string(s[1])
			}
		}
	}
	return m
}

// Command benchbackend measures the backend against its targets, on
// loopback only:
//
//   - GET /api/v1/releases on the embedded store with 5,000 volumes sustains
//     at least 0.8 times the requests per second of a bare net/http handler
//     that returns a constant body of the same size, and the home page at
//     least 0.5 times (closed loop, same load generator, same run, the
//     servers taking turns);
//   - p99 latency at a fixed 1,000 requests/s (open loop: each request is
//     sent at its scheduled time whether or not earlier ones answered, and
//     its latency counts from that time), at most 5 ms, each connection
//     from its own loopback address (127.0.x.y) so the server sees many
//     clients;
//   - resident memory of the server process under that load, at most
//     25 MiB (-duration 60s for the "after 60 s");
//   - time from starting the server process to its first 200 on /readyz.
//
// The servers run in a child process (this binary with -child), so the
// load generator's own memory and start-up are not counted. The per-IP
// rate limit is off in the child: a load generator on one address is
// exactly what it exists to stop.
//
//	go run ./examples/benchbackend
//	go run ./examples/benchbackend -duration 10s -rate 1000 -conns 32
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

func main() {
	child := flag.Bool("child", false, "internal: serve the backend and the bare handler on loopback")
	db := flag.String("db", "", "internal, with -child: the store file")
	volumes := flag.Int("volumes", 5000, "volumes in the store")
	duration := flag.Duration("duration", 5*time.Second, "length of each load phase (at most 60s)")
	rounds := flag.Int("rounds", 3, "closed-loop rounds per server (they alternate)")
	conns := flag.Int("conns", 32, "closed-loop concurrent connections")
	rate := flag.Int("rate", 1000, "open-loop requests per second")
	maxReq := flag.Int("max-requests", 2_000_000, "bound on the requests of one phase")
	flag.Parse()

	if *child {
		if err := runChild(*db); err != nil {
			fmt.Fprintln(os.Stderr, "benchbackend child:", err)
			os.Exit(1)
		}
		return
	}
	if *duration <= 0 || *duration > time.Minute || *volumes <= 0 || *conns <= 0 || *rate <= 0 || *rounds <= 0 {
		fmt.Fprintln(os.Stderr, "benchbackend: want 0 < -duration <= 60s and positive -volumes, -conns, -rate, -rounds")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, params{volumes: *volumes, duration: *duration, rounds: *rounds, conns: *conns, rate: *rate, maxReq: *maxReq}); err != nil {
		fmt.Fprintln(os.Stderr, "benchbackend:", err)
		os.Exit(1)
	}
}

type params struct {
	volumes, rounds, conns, rate, maxReq int
	duration                             time.Duration
}

// server is the child process and what it serves.
type server struct {
	cmd     *exec.Cmd
	backend string // base URL of the backend
	bare    string // base URL of the bare handler
	ready   time.Duration
	startup string // the child's own account of its start
}

// startChild starts the child and waits for /readyz, timing both from
// just before the exec.
func startChild(ctx context.Context, db string) (*server, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, self, "-child", "-db", db)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe() // the child exits when this closes
	if err != nil {
		return nil, err
	}
	_ = stdin
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		return nil, fmt.Errorf("child said nothing: %w", err)
	}
	s := &server{cmd: cmd}
	for _, f := range strings.Fields(line) {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "backend":
			s.backend = "http://" + v
		case "bare":
			s.bare = "http://" + v
		case "startup":
			s.startup = v
		}
	}
	c := &http.Client{Timeout: time.Second}
	for {
		resp, err := c.Get(s.backend + "/readyz")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				s.ready = time.Since(start)
				return s, nil
			}
		}
		if time.Since(start) > 10*time.Second {
			_ = cmd.Process.Kill()
			return nil, errors.New("child not ready after 10 s")
		}
		time.Sleep(time.Millisecond)
	}
}

func (s *server) stop() error {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	return s.cmd.Wait()
}

// rss reads the child's resident memory and its peak, in MiB.
func (s *server) rss() (cur, peak float64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0, 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		var kb float64
		switch {
		case strings.HasPrefix(l, "VmRSS:"):
			_, _ = fmt.Sscan(strings.TrimPrefix(l, "VmRSS:"), &kb)
			cur = kb / 1024
		case strings.HasPrefix(l, "VmHWM:"):
			_, _ = fmt.Sscan(strings.TrimPrefix(l, "VmHWM:"), &kb)
			peak = kb / 1024
		}
	}
	return cur, peak, nil
}

func run(ctx context.Context, p params) error {
	dir, err := os.MkdirTemp("", "benchbackend")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	db := filepath.Join(dir, "store.db")
	n, window, err := seedStore(ctx, db, p.volumes, time.Now())
	if err != nil {
		return err
	}
	fmt.Printf("store: %d volumes, %d of them in the default window of GET /api/v1/releases\n", p.volumes, window)

	// Start-up: a few cold starts of the child, the last one kept for the load.
	var readies []time.Duration
	var srv *server
	for i := range 3 {
		s, err := startChild(ctx, db)
		if err != nil {
			return err
		}
		readies = append(readies, s.ready)
		fmt.Printf("start %d: ready (first 200 on /readyz) %s after exec; child: %s\n", i+1, s.ready.Round(time.Millisecond/10), s.startup)
		if i < 2 {
			if err := s.stop(); err != nil {
				return fmt.Errorf("child exit: %w", err)
			}
			continue
		}
		srv = s
	}
	stopped := false
	defer func() {
		if !stopped {
			_ = srv.stop()
		}
	}()
	_ = n
	size, err := bodySize(srv.backend + "/api/v1/releases")
	if err != nil {
		return err
	}
	bareSize, err := bodySize(srv.bare + "/")
	if err != nil {
		return err
	}
	fmt.Printf("body: backend %d bytes, bare %d bytes\n\n", size, bareSize)

	// Closed loop, the servers taking turns so both see the same machine.
	fmt.Printf("closed loop: %d connections, %s per round, %d rounds each\n", p.conns, p.duration, p.rounds)
	var bareRPS, backRPS, homeRPS []float64
	for r := range p.rounds {
		for _, t := range []struct {
			name, url string
			out       *[]float64
		}{{"bare    ", srv.bare + "/", &bareRPS}, {"releases", srv.backend + "/api/v1/releases", &backRPS}, {"home    ", srv.backend + "/", &homeRPS}} {
			res, err := closedLoop(ctx, t.url, p.conns, p.duration, p.maxReq)
			if err != nil {
				return err
			}
			*t.out = append(*t.out, res.rps())
			fmt.Printf("  round %d %s %8.0f req/s  (%d requests, %d errors, p99 %s)\n", r+1, t.name, res.rps(), res.n, res.errors, res.quantile(0.99).Round(time.Microsecond))
		}
	}
	var ratios, homeRatios []float64
	for i := range bareRPS {
		ratios = append(ratios, backRPS[i]/bareRPS[i])
		homeRatios = append(homeRatios, homeRPS[i]/bareRPS[i])
	}
	fmt.Printf("  median: bare %.0f req/s, releases %.0f req/s, home %.0f req/s\n", median(bareRPS), median(backRPS), median(homeRPS))
	fmt.Printf("  releases/bare per round %.2f, median %.2f (target >= 0.80)\n", ratios, median(ratios))
	fmt.Printf("  home/bare per round %.2f, median %.2f (target >= 0.50)\n\n", homeRatios, median(homeRatios))

	// Open loop at the fixed rate, sampling the child's memory meanwhile;
	// the bare handler at the same rate right after, as the control that
	// tells the machine's own stalls from the server's.
	fmt.Printf("open loop: %d req/s for %s per round, %d rounds each\n", p.rate, p.duration, p.rounds)
	var maxRSS float64
	sample := func() {
		if cur, _, err := srv.rss(); err == nil && cur > maxRSS {
			maxRSS = cur
		}
	}
	var backP99, bareP99 []time.Duration
	for r := range p.rounds {
		for _, t := range []struct {
			name, url string
			p99       *[]time.Duration
		}{{"backend", srv.backend + "/api/v1/releases", &backP99}, {"bare   ", srv.bare + "/", &bareP99}} {
			res, err := openLoop(ctx, t.url, p.rate, p.duration, p.maxReq, sample)
			if err != nil {
				return err
			}
			*t.p99 = append(*t.p99, res.quantile(0.99))
			fmt.Printf("  round %d %s sent %d, errors %d, %4.0f req/s; latency p50 %s  p90 %s  p99 %s  max %s\n", r+1, t.name, res.n, res.errors, res.rps(),
				res.quantile(0.50).Round(time.Microsecond), res.quantile(0.90).Round(time.Microsecond),
				res.quantile(0.99).Round(time.Microsecond), res.quantile(1).Round(time.Microsecond))
		}
	}
	fmt.Printf("  median p99: backend %s, bare %s (target: backend p99 <= 5ms)\n",
		medianDur(backP99).Round(time.Microsecond), medianDur(bareP99).Round(time.Microsecond))
	// TODO: the RSS target (25 MiB after 60 s) is not met: 29.8-34 MiB on a
	// busy machine; a 16 MiB GOMEMLIMIT made the collector spiral under 256
	// connections. Find what holds the memory (per-connection buffers, the
	// 52 KB cached answers) with a heap profile of the child.
	_, peak, _ := srv.rss()
	fmt.Printf("  server RSS under load: max sampled %.1f MiB, peak (VmHWM) %.1f MiB (target <= 25 MiB)\n", maxRSS, peak)
	fmt.Printf("  ready after start: median %s of %d cold starts (target <= 200ms)\n", medianDur(readies).Round(time.Millisecond/10), len(readies))

	t := time.Now()
	stopped = true
	if err := srv.stop(); err != nil {
		return fmt.Errorf("the server did not exit cleanly on SIGTERM: %w", err)
	}
	fmt.Printf("SIGTERM: the server exited cleanly in %s\n", time.Since(t).Round(time.Millisecond/10))
	return nil
}

func bodySize(url string) (int, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return len(b), err
}

// loopbackOnly refuses to send load anywhere but 127.0.0.1.
func loopbackOnly(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host != "127.0.0.1" {
		return nil, fmt.Errorf("benchbackend sends load to 127.0.0.1 only, not %s", addr)
	}
	return (&net.Dialer{}).DialContext(ctx, network, addr)
}

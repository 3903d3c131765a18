package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// result is what one load phase saw.
type result struct {
	n, errors int
	elapsed   time.Duration
	lat       []time.Duration // sorted
}

func (r result) rps() float64 { return float64(r.n-r.errors) / r.elapsed.Seconds() }

func (r result) quantile(q float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	i := int(q*float64(len(r.lat))+0.5) - 1
	return r.lat[min(max(i, 0), len(r.lat)-1)]
}

func newClient(conns int) *http.Client {
	return &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			DialContext:         loopbackOnly,
			MaxIdleConns:        conns,
			MaxIdleConnsPerHost: conns,
			DisableCompression:  true,
			Proxy:               nil,
		},
	}
}

func get(ctx context.Context, c *http.Client, url string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	resp, err := c.Do(req)
	if err != nil {
		return false
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return err == nil && resp.StatusCode == http.StatusOK
}

// closedLoop keeps conns requests in flight for d (or until maxReq) and
// counts the answers: the most the server can do on this machine.
func closedLoop(ctx context.Context, url string, conns int, d time.Duration, maxReq int) (result, error) {
	c := newClient(conns)
	defer c.CloseIdleConnections()
	get(ctx, c, url) // warm the connection and the server's cache
	var sent, errs atomic.Int64
	lats := make([][]time.Duration, conns)
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for w := range conns {
		wg.Go(func() {
			for time.Now().Before(deadline) && ctx.Err() == nil && sent.Add(1) <= int64(maxReq) {
				t := time.Now()
				if !get(ctx, c, url) {
					errs.Add(1)
				}
				lats[w] = append(lats[w], time.Since(t))
			}
		})
	}
	wg.Wait()
	r := result{elapsed: time.Since(start), errors: int(errs.Load())}
	for _, l := range lats {
		r.lat = append(r.lat, l...)
	}
	r.n = len(r.lat)
	slices.Sort(r.lat)
	return r, ctx.Err()
}

// openLoop sends rate requests a second for d, each at its scheduled time
// whether or not the earlier ones answered; a request's latency counts from
// its scheduled time, so a stalled server (or generator) shows in it.
// sample runs every 100 ms meanwhile.
func openLoop(ctx context.Context, url string, rate int, d time.Duration, maxReq int, sample func()) (result, error) {
	c := newClient(256)
	// Each connection from its own loopback address (127.0.<n>.<m>), so
	// the server's per-client structures see many clients, as on the
	// internet, not one.
	var next atomic.Uint32
	c.Transport.(*http.Transport).DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		n := next.Add(1)
		local := &net.TCPAddr{IP: net.IPv4(127, 0, byte(1+n/250%200), byte(1+n%250))}
		host, _, err := net.SplitHostPort(addr)
		if err != nil || host != "127.0.0.1" {
			return nil, fmt.Errorf("benchbackend sends load to 127.0.0.1 only, not %s", addr)
		}
		return (&net.Dialer{LocalAddr: local}).DialContext(ctx, network, addr)
	}
	defer c.CloseIdleConnections()
	get(ctx, c, url)
	total := min(int(d.Seconds()*float64(rate)), maxReq)
	lat := make([]time.Duration, total)
	ok := make([]bool, total)
	interval := time.Second / time.Duration(rate)
	stopSampling := make(chan struct{})
	go func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				sample()
			case <-stopSampling:
				return
			}
		}
	}()
	var wg sync.WaitGroup
	start := time.Now()
	for i := range total {
		if ctx.Err() != nil {
			break
		}
		at := start.Add(time.Duration(i) * interval)
		if w := time.Until(at); w > 0 {
			time.Sleep(w)
		}
		wg.Go(func() {
			ok[i] = get(ctx, c, url)
			lat[i] = time.Since(at)
		})
	}
	wg.Wait()
	close(stopSampling)
	r := result{n: total, elapsed: time.Since(start), lat: lat}
	for _, o := range ok {
		if !o {
			r.errors++
		}
	}
	slices.Sort(r.lat)
	return r, ctx.Err()
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 0 {
		return (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return s[len(s)/2]
}

func medianDur(xs []time.Duration) time.Duration {
	f := make([]float64, len(xs))
	for i, x := range xs {
		f[i] = float64(x)
	}
	return time.Duration(median(f))
}

package integration

import (
	"bufio"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// motoEnv is the environment every moto the harness starts runs with:
// AWS-managed IAM policies loaded (attaching them fails otherwise), ECS
// services reporting one running task so the services-stable waiter and
// rolloutState COMPLETED can be observed, and no default AMIs (tests read
// the ECS-optimized AMI id from SSM; an image need not exist to launch).
var motoEnv = []string{
	"MOTO_IAM_LOAD_MANAGED_POLICIES=true",
	"MOTO_ECS_SERVICE_RUNNING=1",
	// A requested certificate is ISSUED at once (else after 60 s), as if
	// its DNS validation record were published.
	"MOTO_ACM_VALIDATION_WAIT=0",
	"MOTO_EC2_LOAD_DEFAULT_AMIS=false", // each new account otherwise loads hundreds of AMIs: 80-160 ms
}

// motoScript runs moto's server with one request at a time (see the
// script for why) on a port the kernel picks, prints the port, and exits
// when its stdin closes, that is when the test binary that started it
// exits, however it exits.
//
//go:embed moto_serial.py
var motoScript string

func startMoto(ctx context.Context) (*Emulator, error) {
	log := newRingLog(2000)
	if exec.Command("python3", "-c", "import moto.server, flask").Run() == nil {
		return startMotoPython(ctx, log)
	}
	if path, err := exec.LookPath("moto_server"); err == nil {
		return startMotoServer(ctx, path, log)
	}
	return nil, fmt.Errorf("moto: %w for python3 and no moto_server on PATH", errNotInstalled)
}

func startMotoPython(ctx context.Context, log *ringLog) (*Emulator, error) {
	cmd := exec.Command("python3", "-c", motoScript, "127.0.0.1", "0", "stdin")
	cmd.Env = append(os.Environ(), motoEnv...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = log
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start python3 moto: %w", err)
	}
	portc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			if p, ok := strings.CutPrefix(line, "port "); ok {
				portc <- p
			}
			_, _ = log.Write([]byte(line + "\n"))
		}
		close(portc)
	}()
	stop := func() error {
		_ = stdin.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		return nil
	}
	select {
	case p, ok := <-portc:
		if !ok {
			_ = stop()
			return nil, fmt.Errorf("moto exited before it listened:\n%s", log.tail(30))
		}
		ep := "http://127.0.0.1:" + p
		return &Emulator{Kind: Moto, Endpoint: ep, How: "python3 moto, started by the harness",
			services: allServices, log: log, stop: stop}, nil
	case <-ctx.Done():
		_ = stop()
		return nil, fmt.Errorf("moto did not start: %w\n%s", ctx.Err(), log.tail(30))
	}
}

func startMotoServer(ctx context.Context, path string, log *ringLog) (*Emulator, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(path, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Env = append(os.Environ(), motoEnv...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start moto_server: %w", err)
	}
	stop := func() error {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_, _ = cmd.Process.Wait()
		return nil
	}
	ep := fmt.Sprintf("http://127.0.0.1:%d", port)
	if err := waitHTTP(ctx, ep+"/moto-api/data.json"); err != nil {
		_ = stop()
		return nil, fmt.Errorf("moto_server on port %d: %w\n%s", port, err, log.tail(30))
	}
	return &Emulator{Kind: Moto, Endpoint: ep, How: "moto_server, started by the harness; its requests are not serialised, so conditional writes can race under load (see moto_serial.py)",
		services: allServices, log: log, stop: stop}, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitHTTP polls url until it answers 200 or ctx ends.
func waitHTTP(ctx context.Context, url string) error {
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return errors.Join(ctx.Err(), err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// atEndpoint recognises what runs at AWS_ENDPOINT_URL by the side doors
// each emulator has.
func atEndpoint(ctx context.Context, ep string) (*Emulator, error) {
	ep = strings.TrimRight(ep, "/")
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if ok, body := probe(ctx, ep+"/_localstack/health"); ok {
		return &Emulator{Kind: LocalStack, Endpoint: ep, How: "AWS_ENDPOINT_URL",
			services: localStackServices(body)}, nil
	}
	// moto's own config endpoint: small, where data.json dumps every
	// resource of every account (slow, and failing while tests write).
	if ok, _ := probe(ctx, ep+"/moto-api/config"); ok {
		return &Emulator{Kind: Moto, Endpoint: ep, How: "AWS_ENDPOINT_URL", services: allServices}, nil
	}
	return &Emulator{Kind: Unknown, Endpoint: ep, How: "AWS_ENDPOINT_URL, not recognised as moto or LocalStack",
		services: allServices}, nil
}

func probe(ctx context.Context, url string) (bool, []byte) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false, nil
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false, nil
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode/100 == 2, body // moto answers its config with 201
}

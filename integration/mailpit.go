package integration

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// MailpitInstall is how to get the mailpit the SMTP tests run.
const MailpitInstall = "go install github.com/axllent/mailpit@v1.33.1"

// The credentials a Mailpit accepts (AUTH from a password file).
const (
	MailpitUser     = "apikey"
	MailpitPassword = "s3cret-relay-password"
)

// MailpitOptions choose how a Mailpit listens; the zero value is STARTTLS
// for every recipient.
type MailpitOptions struct {
	ImplicitTLS bool   // TLS from the first byte (--smtp-require-tls) instead of STARTTLS
	Allowed     string // a regular expression of accepted recipients (--smtp-allowed-recipients)
}

// Mailpit is a real mailpit SMTP server run for one test: free loopback
// ports, a certificate made at test time, mail read back through its HTTP
// API.
type Mailpit struct {
	SMTPPort int
	API      string // http://127.0.0.1:PORT
	roots    *x509.CertPool
}

// RunMailpit starts mailpit for t, shaped like a testcontainers module:
// the defaults first, then optFns, so the caller wins; the server is
// stopped when t ends (its log shown when t failed), a cleanup registered
// before anything can fail. ctx bounds the wait until it serves. Without
// the binary t is skipped, or fails under CI=true (see Program).
func RunMailpit(ctx context.Context, t testing.TB, optFns ...func(*MailpitOptions)) *Mailpit {
	t.Helper()
	var o MailpitOptions
	for _, fn := range optFns {
		fn(&o)
	}
	bin := Program(t, MailpitInstall, "mailpit")
	dir := t.TempDir()
	certFile, keyFile, roots := mailpitCert(t, dir)
	hash, err := bcrypt.GenerateFromPassword([]byte(MailpitPassword), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	authFile := filepath.Join(dir, "auth")
	if err := os.WriteFile(authFile, []byte(MailpitUser+":"+string(hash)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	smtpPort, httpPort := mailpitPort(t), mailpitPort(t)
	args := []string{"-q", "-d", filepath.Join(dir, "mailpit.db"),
		"-s", "127.0.0.1:" + strconv.Itoa(smtpPort), "-l", "127.0.0.1:" + strconv.Itoa(httpPort),
		"--smtp-tls-cert", certFile, "--smtp-tls-key", keyFile, "--smtp-auth-file", authFile,
		"--smtp-disable-rdns"}
	if o.ImplicitTLS {
		args = append(args, "--smtp-require-tls")
	} else {
		args = append(args, "--smtp-require-starttls")
	}
	if o.Allowed != "" {
		args = append(args, "--smtp-allowed-recipients", o.Allowed)
	}
	cmd := exec.Command(bin, args...)
	log := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("mailpit log:\n%s", log.String())
		}
	})
	m := &Mailpit{SMTPPort: smtpPort, API: fmt.Sprintf("http://127.0.0.1:%d", httpPort), roots: roots}
	if err := m.ready(ctx, exited); err != nil {
		t.Fatalf("mailpit did not start: %v\n%s", err, log.String())
	}
	return m
}

// ready waits until the API answers /readyz. mailpit sends no event when
// it listens, so this asks, on a ticker, until the process exits, ctx
// ends, or a minute passes.
func (m *Mailpit) ready(ctx context.Context, exited <-chan error) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.API+"/readyz", nil)
		if err != nil {
			return err
		}
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-exited:
			return fmt.Errorf("mailpit exited: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// TLS is a client configuration trusting the server's certificate.
func (m *Mailpit) TLS() *tls.Config { return &tls.Config{RootCAs: m.roots} }

// MailpitMessage is one message as mailpit's API lists it.
type MailpitMessage struct {
	ID      string `json:"ID"`
	Subject string `json:"Subject"`
	To      []struct {
		Address string `json:"Address"`
	} `json:"To"`
}

// Messages lists what the server received (up to 1000, newest first), for
// the given recipient when to is not empty.
func (m *Mailpit) Messages(t testing.TB, to string) []MailpitMessage {
	t.Helper()
	u := m.API + "/api/v1/messages?limit=1000"
	if to != "" {
		u = m.API + "/api/v1/search?limit=1000&query=" + url.QueryEscape("to:"+to)
	}
	var out struct {
		Messages []MailpitMessage `json:"messages"`
	}
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", u, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out.Messages
}

// Raw returns a message's bytes as received.
func (m *Mailpit) Raw(t testing.TB, id string) []byte {
	t.Helper()
	resp, err := http.Get(m.API + "/api/v1/message/" + id + "/raw")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("raw %s: %s %v", id, resp.Status, err)
	}
	return b
}

// lockedBuffer is a process's output, read while it may still write.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func mailpitPort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// mailpitCert makes a self-signed certificate for 127.0.0.1 and localhost.
func mailpitCert(t testing.TB, dir string) (certFile, keyFile string, roots *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "mailpit test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	roots = x509.NewCertPool()
	roots.AddCert(cert)
	return certFile, keyFile, roots
}

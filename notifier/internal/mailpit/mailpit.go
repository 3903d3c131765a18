// Package mailpit starts a real mailpit SMTP server for a test: free
// loopback ports, a certificate made at test time (STARTTLS or implicit
// TLS), AUTH from a password file, mail read back through its HTTP API,
// stopped when the test ends. Without the binary the test is skipped, or
// fails in CI: go install github.com/axllent/mailpit@v1.33.1.
package mailpit

import (
	"bytes"
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
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/manga-alert-italia/mangaalert/integration"
)

// Options choose how the server listens.
type Options struct {
	ImplicitTLS bool   // TLS from the first byte (--smtp-require-tls) instead of STARTTLS
	Allowed     string // a regular expression of accepted recipients (--smtp-allowed-recipients)
}

// Credentials the server accepts.
const (
	User     = "apikey"
	Password = "s3cret-relay-password"
)

// Server is a running mailpit.
type Server struct {
	SMTPPort int
	API      string // http://127.0.0.1:PORT
	roots    *x509.CertPool
}

// Binary finds mailpit on PATH or in $(go env GOPATH)/bin; it skips t
// without it (fails it when CI=true).
func Binary(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("mailpit"); err == nil {
		return p
	}
	gopath, _ := exec.Command("go", "env", "GOPATH").Output()
	p := filepath.Join(string(bytes.TrimSpace(gopath)), "bin", "mailpit")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	msg := "mailpit not found on PATH nor in $(go env GOPATH)/bin: go install github.com/axllent/mailpit@v1.33.1"
	if integration.InCI() {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// Start runs a mailpit for t.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	bin := Binary(t)
	dir := t.TempDir()
	certFile, keyFile, roots := testCert(t, dir)
	hash, err := bcrypt.GenerateFromPassword([]byte(Password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	authFile := filepath.Join(dir, "auth")
	if err := os.WriteFile(authFile, []byte(User+":"+string(hash)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	smtpPort, httpPort := freePort(t), freePort(t)
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
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("mailpit log:\n%s", log.String())
		}
	})
	s := &Server{SMTPPort: smtpPort, API: fmt.Sprintf("http://127.0.0.1:%d", httpPort), roots: roots}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(s.API + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("mailpit did not start: %v\n%s", err, log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TLS is a client configuration trusting the server's certificate.
func (s *Server) TLS() *tls.Config { return &tls.Config{RootCAs: s.roots} }

// Message is one message as mailpit's API lists it.
type Message struct {
	ID      string `json:"ID"`
	Subject string `json:"Subject"`
	To      []struct {
		Address string `json:"Address"`
	} `json:"To"`
}

// Messages lists what the server received (up to 1000, newest first), for
// the given recipient when to is not empty.
func (s *Server) Messages(t testing.TB, to string) []Message {
	t.Helper()
	u := s.API + "/api/v1/messages?limit=1000"
	if to != "" {
		u = s.API + "/api/v1/search?limit=1000&query=" + url.QueryEscape("to:"+to)
	}
	var out struct {
		Messages []Message `json:"messages"`
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
func (s *Server) Raw(t testing.TB, id string) []byte {
	t.Helper()
	resp, err := http.Get(s.API + "/api/v1/message/" + id + "/raw")
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

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// testCert makes a self-signed certificate for 127.0.0.1 and localhost.
func testCert(t testing.TB, dir string) (certFile, keyFile string, roots *x509.CertPool) {
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

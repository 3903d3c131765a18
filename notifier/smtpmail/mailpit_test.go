package smtpmail_test

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
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/manga-alert-italia/mangaalert/integration"
)

// mailpit is a real SMTP server for a test, started on free loopback ports
// with a test certificate, AUTH, and read back through its HTTP API.
type mailpit struct {
	smtpPort int
	api      string
	roots    *x509.CertPool
}

type mailpitOpts struct {
	implicitTLS bool   // --smtp-require-tls instead of STARTTLS
	allowed     string // --smtp-allowed-recipients
}

const (
	testUser = "apikey"
	testPass = "s3cret-relay-password"
)

// mailpitBinary finds mailpit on PATH or in GOPATH/bin; without it the test
// is skipped, or fails in CI.
func mailpitBinary(t *testing.T) string {
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

func startMailpit(t *testing.T, o mailpitOpts) *mailpit {
	t.Helper()
	bin := mailpitBinary(t)
	dir := t.TempDir()
	certFile, keyFile, roots := testCert(t, dir)
	hash, err := bcrypt.GenerateFromPassword([]byte(testPass), bcrypt.MinCost)
	require.NoError(t, err)
	authFile := filepath.Join(dir, "auth")
	require.NoError(t, os.WriteFile(authFile, []byte(testUser+":"+string(hash)+"\n"), 0o600))

	smtpPort, httpPort := freePort(t), freePort(t)
	args := []string{"-q", "-d", filepath.Join(dir, "mailpit.db"),
		"-s", "127.0.0.1:" + strconv.Itoa(smtpPort), "-l", "127.0.0.1:" + strconv.Itoa(httpPort),
		"--smtp-tls-cert", certFile, "--smtp-tls-key", keyFile, "--smtp-auth-file", authFile,
		"--smtp-disable-rdns"}
	if o.implicitTLS {
		args = append(args, "--smtp-require-tls")
	} else {
		args = append(args, "--smtp-require-starttls")
	}
	if o.allowed != "" {
		args = append(args, "--smtp-allowed-recipients", o.allowed)
	}
	cmd := exec.Command(bin, args...)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("mailpit log:\n%s", log.String())
		}
	})
	m := &mailpit{smtpPort: smtpPort, api: fmt.Sprintf("http://127.0.0.1:%d", httpPort), roots: roots}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(m.api + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("mailpit did not start: %v\n%s", err, log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return m
}

// mpMessage is one message as mailpit's API lists it.
type mpMessage struct {
	ID      string `json:"ID"`
	Subject string `json:"Subject"`
	To      []struct {
		Address string `json:"Address"`
	} `json:"To"`
}

func (m *mailpit) messages(t *testing.T) []mpMessage {
	t.Helper()
	var out struct {
		Messages []mpMessage `json:"messages"`
	}
	getJSON(t, m.api+"/api/v1/messages?limit=500", &out)
	return out.Messages
}

func (m *mailpit) raw(t *testing.T, id string) []byte {
	t.Helper()
	resp, err := http.Get(m.api + "/api/v1/message/" + id + "/raw")
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(b))
	return b
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(v))
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// testCert makes a self-signed certificate for 127.0.0.1 and localhost.
func testCert(t *testing.T, dir string) (certFile, keyFile string, roots *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "mailpit test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	kder, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600))
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	roots = x509.NewCertPool()
	roots.AddCert(cert)
	return certFile, keyFile, roots
}

func (m *mailpit) tls() *tls.Config { return &tls.Config{RootCAs: m.roots} }

// plainServer is a minimal SMTP greeter without STARTTLS, on loopback.
func plainServer(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				fmt.Fprint(c, "220 plain ESMTP\r\n")
				buf := make([]byte, 512)
				for {
					n, err := c.Read(buf)
					if err != nil {
						return
					}
					switch s := string(buf[:n]); {
					case len(s) >= 4 && (s[:4] == "EHLO" || s[:4] == "HELO"):
						fmt.Fprint(c, "250-plain\r\n250 AUTH PLAIN\r\n")
					case len(s) >= 4 && s[:4] == "QUIT":
						fmt.Fprint(c, "221 bye\r\n")
						return
					default:
						fmt.Fprint(c, "502 no\r\n")
					}
				}
			}()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port
}

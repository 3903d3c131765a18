package backend

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/acme/autocert"
	"golang.org/x/net/dns/dnsmessage"

	"github.com/manga-alert-italia/mangaalert/integration"
	"github.com/manga-alert-italia/mangaalert/store"
)

const pebbleVersion = "v2.10.1"

// findPebble finds the pebble binary and the test certificates in its
// module source (go install leaves both).
func findPebble(t *testing.T) (bin, certs string) {
	t.Helper()
	const how = "go install github.com/letsencrypt/pebble/v2/cmd/pebble@" + pebbleVersion
	bin = integration.Program(t, how, "pebble")
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	require.NoError(t, err)
	certs = filepath.Join(strings.TrimSpace(string(out)), "github.com/letsencrypt/pebble/v2@"+pebbleVersion, "test/certs")
	if _, err := os.Stat(filepath.Join(certs, "localhost/cert.pem")); err != nil {
		integration.SkipOrFail(t, "pebble's test certificates not in the module cache (%v): %s", err, how)
	}
	return bin, certs
}

func freePort(t *testing.T) int {
	ln := listen(t)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// serveDNS answers every A question with 127.0.0.1 and every other
// question with no answer, over TCP (pebble's resolver uses TCP): the
// names we ask certificates for lead the CA's validation back to loopback.
func serveDNS(t *testing.T) string {
	ln := listen(t)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				for {
					var n uint16
					if binary.Read(c, binary.BigEndian, &n) != nil {
						return
					}
					msg := make([]byte, n)
					if _, err := io.ReadFull(c, msg); err != nil {
						return
					}
					out, err := dnsAnswer(msg)
					if err != nil {
						return
					}
					_ = binary.Write(c, binary.BigEndian, uint16(len(out)))
					_, _ = c.Write(out)
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func dnsAnswer(msg []byte) ([]byte, error) {
	var p dnsmessage.Parser
	h, err := p.Start(msg)
	if err != nil {
		return nil, err
	}
	q, err := p.Question()
	if err != nil {
		return nil, err
	}
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true})
	b.EnableCompression()
	if err := b.StartQuestions(); err != nil {
		return nil, err
	}
	if err := b.Question(q); err != nil {
		return nil, err
	}
	if err := b.StartAnswers(); err != nil {
		return nil, err
	}
	if q.Type == dnsmessage.TypeA {
		rh := dnsmessage.ResourceHeader{Name: q.Name, Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET, TTL: 60}
		if err := b.AResource(rh, dnsmessage.AResource{A: [4]byte{127, 0, 0, 1}}); err != nil {
			return nil, err
		}
	}
	return b.Finish()
}

type pebble struct {
	dir  string // the ACME directory URL
	mgmt string // the management base URL
	http *http.Client
}

// startPebble runs a Pebble CA that validates challenges on our loopback
// ports: TLS-ALPN-01 on tlsPort, HTTP-01 on httpPort. Validation is real
// (no PEBBLE_VA_ALWAYS_VALID).
func startPebble(t *testing.T, tlsPort, httpPort int) *pebble {
	bin, certs := findPebble(t)
	apiPort, mgmtPort := freePort(t), freePort(t)
	cfg := map[string]any{"pebble": map[string]any{
		"listenAddress":                  fmt.Sprintf("127.0.0.1:%d", apiPort),
		"managementListenAddress":        fmt.Sprintf("127.0.0.1:%d", mgmtPort),
		"certificate":                    filepath.Join(certs, "localhost/cert.pem"),
		"privateKey":                     filepath.Join(certs, "localhost/key.pem"),
		"httpPort":                       httpPort,
		"tlsPort":                        tlsPort,
		"ocspResponderURL":               "",
		"externalAccountBindingRequired": false,
		"retryAfter":                     map[string]int{"authz": 1, "order": 1},
		"keyAlgorithm":                   "ecdsa",
		"profiles":                       map[string]any{"default": map[string]any{"description": "test", "validityPeriod": 7776000}},
	}}
	b, err := json.Marshal(cfg)
	require.NoError(t, err)
	cfgPath := filepath.Join(t.TempDir(), "pebble.json")
	require.NoError(t, os.WriteFile(cfgPath, b, 0o600))

	var logs bytes.Buffer
	cmd := exec.Command(bin, "-config", cfgPath, "-dnsserver", serveDNS(t))
	cmd.Env = append(os.Environ(), "PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("pebble log:\n%s", logs.String())
		}
	})

	ca, err := os.ReadFile(filepath.Join(certs, "pebble.minica.pem"))
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(ca))
	p := &pebble{
		dir:  fmt.Sprintf("https://127.0.0.1:%d/dir", apiPort),
		mgmt: fmt.Sprintf("https://127.0.0.1:%d", mgmtPort),
		http: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}},
	}
	require.Eventually(t, func() bool {
		resp, err := p.http.Get(p.dir)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 10*time.Second, 20*time.Millisecond, "pebble did not start")
	return p
}

// root is the CA certificate Pebble signs with (new at every start).
func (p *pebble) root(t *testing.T) *x509.CertPool {
	resp, err := p.http.Get(p.mgmt + "/roots/0")
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(b))
	return pool
}

// TestACMEWithPebble gets a certificate from a local Pebble through
// autocert, the challenge answered by Serve on loopback, keeps it in the
// store's blobs, and shows that a replacement instance on the same store
// serves it without asking any CA.
//
// On the embedded store, and on DynamoDB (the emulator) as on AWS, where
// the replacement opens its own client on the same table.
func TestACMEWithPebble(t *testing.T) {
	t.Run("bolt", func(t *testing.T) {
		e := newEnv(t)
		testACME(t, e, e.st)
	})
	t.Run("dynamo", func(t *testing.T) {
		open, reopen := dynamoStore(t)
		testACME(t, newEnvOn(t, open), reopen())
	})
}

// testACME gets a certificate for e's backend, then serves it from a
// second Manager whose cache is over again (the blobs of a replacement
// instance).
func testACME(t *testing.T, e *env, again store.Blobs) {
	tlsLn, httpLn := listen(t), listen(t)
	p := startPebble(t, tlsLn.Addr().(*net.TCPAddr).Port, httpLn.Addr().(*net.TCPAddr).Port)
	const host = "mangaalert.test"

	m, err := NewACME(ACMEConfig{Hosts: []string{host}, Email: "ops@mangaalert.test", Cache: BlobCache{Blobs: e.st},
		DirectoryURL: p.dir, HTTPClient: p.http})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	tlsDone := serve(ctx, tlsLn, e.b, WithTLS(m.TLSConfig()))
	httpDone := serve(ctx, httpLn, HTTPRedirect(m, e.b))

	roots := p.root(t)
	client := func(addr string) *http.Client {
		return &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: roots},
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, addr)
			},
		}}
	}
	resp, err := client(tlsLn.Addr().String()).Get("https://" + host + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	leaf := resp.TLS.PeerCertificates[0]
	assert.Equal(t, []string{host}, leaf.DNSNames)
	assert.NotEmpty(t, resp.Header.Get("Strict-Transport-Security"))

	// Asking for another name gets no certificate: the host policy holds.
	_, err = client(tlsLn.Addr().String()).Get("https://other.test/healthz")
	require.Error(t, err)

	cached, err := e.st.GetBlob(context.Background(), "acme/"+host)
	require.NoError(t, err)
	assert.Contains(t, string(cached), "PRIVATE KEY")
	cancel()
	require.NoError(t, <-tlsDone)
	require.NoError(t, <-httpDone)

	// A new instance: same store, and a CA that cannot be reached.
	m2, err := NewACME(ACMEConfig{Hosts: []string{host}, Cache: BlobCache{Blobs: again}, DirectoryURL: "https://127.0.0.1:1/dir"})
	require.NoError(t, err)
	ln2 := listen(t)
	ctx2, cancel2 := context.WithCancel(context.Background())
	done2 := serve(ctx2, ln2, e.b, WithTLS(m2.TLSConfig()))
	resp, err = client(ln2.Addr().String()).Get("https://" + host + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, leaf.SerialNumber, resp.TLS.PeerCertificates[0].SerialNumber, "the same certificate, from the cache")
	cancel2()
	require.NoError(t, <-done2)
}

func TestBlobCache(t *testing.T) {
	e := newEnv(t)
	c := BlobCache{Blobs: e.st}
	ctx := context.Background()
	_, err := c.Get(ctx, "x")
	require.ErrorIs(t, err, autocert.ErrCacheMiss)
	require.NoError(t, c.Put(ctx, "x", []byte("v")))
	got, err := c.Get(ctx, "x")
	require.NoError(t, err)
	assert.Equal(t, "v", string(got))
	b, err := e.st.GetBlob(ctx, "acme/x")
	require.NoError(t, err, "kept under the acme/ prefix")
	assert.Equal(t, "v", string(b))
	require.NoError(t, c.Delete(ctx, "x"))
	require.NoError(t, c.Delete(ctx, "x"), "deleting what is gone is fine")
	_, err = e.st.GetBlob(ctx, "acme/x")
	require.ErrorIs(t, err, store.ErrNotFound)
}

func TestNewACMEChecksConfig(t *testing.T) {
	_, err := NewACME(ACMEConfig{Cache: BlobCache{}})
	assert.ErrorContains(t, err, "at least one host")
	_, err = NewACME(ACMEConfig{Hosts: []string{"https://x.it"}, Cache: BlobCache{}})
	assert.ErrorContains(t, err, "bare name")
	_, err = NewACME(ACMEConfig{Hosts: []string{"x.it"}})
	assert.ErrorContains(t, err, "needs a Cache")
}

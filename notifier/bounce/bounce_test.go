package bounce_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // SNS SignatureVersion 1
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/manga-alert-italia/mangaalert/notifier/bounce"
	"github.com/manga-alert-italia/mangaalert/store"
	"github.com/manga-alert-italia/mangaalert/store/bolt"
)

const topic = "arn:aws:sns:eu-south-1:123456789012:mangaalert-ses-events"

// signer plays SNS with a locally generated key and certificate.
type signer struct {
	key  *rsa.PrivateKey
	cert *x509.Certificate
	url  string
}

func newSigner(t *testing.T) *signer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sns.eu-south-1.amazonaws.com"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return &signer{key: key, cert: cert, url: "https://sns.eu-south-1.amazonaws.com/SimpleNotificationService-test.pem"}
}

// Certificate is the CertSource: it knows one URL.
func (s *signer) Certificate(_ context.Context, u string) (*x509.Certificate, error) {
	if u != s.url {
		return nil, fmt.Errorf("no certificate at %s", u)
	}
	return s.cert, nil
}

func (s *signer) sign(t *testing.T, m *bounce.SNSMessage, version string) {
	t.Helper()
	m.SignatureVersion, m.SigningCertURL = version, s.url
	sts, err := m.StringToSign()
	require.NoError(t, err)
	var sig []byte
	if version == "1" {
		d := sha1.Sum([]byte(sts)) //nolint:gosec
		sig, err = rsa.SignPKCS1v15(rand.Reader, s.key, crypto.SHA1, d[:])
	} else {
		d := sha256.Sum256([]byte(sts))
		sig, err = rsa.SignPKCS1v15(rand.Reader, s.key, crypto.SHA256, d[:])
	}
	require.NoError(t, err)
	m.Signature = base64.StdEncoding.EncodeToString(sig)
}

func sample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

// notification wraps an SES record as SNS delivers it.
func notification(record []byte, id string) *bounce.SNSMessage {
	return &bounce.SNSMessage{Type: "Notification", MessageID: id, TopicArn: topic, Message: string(record),
		Timestamp: "2024-10-28T08:01:03.021Z", UnsubscribeURL: "https://sns.eu-south-1.amazonaws.com/?Action=Unsubscribe"}
}

// countingStore counts the writes.
type countingStore struct {
	bounce.Store
	updates atomic.Int32
	fail    error
}

func (c *countingStore) UpdateSubscriber(ctx context.Context, s store.Subscriber, now time.Time) (store.Subscriber, error) {
	c.updates.Add(1)
	if c.fail != nil {
		return store.Subscriber{}, c.fail
	}
	return c.Store.UpdateSubscriber(ctx, s, now)
}

// readers opens a store with four active readers.
func readers(t *testing.T) (*bolt.Store, *countingStore) {
	t.Helper()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "s.db"), func(o *bolt.Options) { o.NoSync = true })
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	now := time.Date(2024, 10, 1, 9, 0, 0, 0, time.UTC)
	for _, e := range []string{"giulia.rossi@lettori.example", "marco@lettori.example", "anna@lettori.example", "luca@lettori.example"} {
		require.NoError(t, st.CreateSubscriber(context.Background(), store.Subscriber{ID: strings.Split(e, "@")[0], Email: e,
			Status: store.Active, CreatedAt: now, UpdatedAt: now, ConfirmedAt: now}))
	}
	return st, &countingStore{Store: st}
}

func status(t *testing.T, st *bolt.Store, email string) store.Status {
	t.Helper()
	s, err := st.SubscriberByEmail(context.Background(), email)
	require.NoError(t, err)
	return s.Status
}

func post(t *testing.T, h http.Handler, body []byte, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/ses/events", bytes.NewReader(body))
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func snsHeader(typ string) map[string]string { return map[string]string{"x-amz-sns-message-type": typ} }

// TestSNS posts real-shaped SES records inside signed SNS notifications.
func TestSNS(t *testing.T) {
	for _, version := range []string{"1", "2"} {
		t.Run("SignatureVersion"+version, func(t *testing.T) {
			st, cs := readers(t)
			sg := newSigner(t)
			h := bounce.New(cs, func(h *bounce.Handler) { h.Certs, h.Topics = sg, []string{topic} })
			for i, tc := range []struct {
				file       string
				email      string
				want       store.Status
				suppressed int
			}{
				{"ses-bounce-permanent.json", "giulia.rossi@lettori.example", store.Suppressed, 1},
				{"ses-bounce-transient.json", "marco@lettori.example", store.Active, 0},
				{"ses-complaint.json", "anna@lettori.example", store.Suppressed, 1},
				{"ses-delivery.json", "luca@lettori.example", store.Active, 0},
			} {
				m := notification(sample(t, tc.file), fmt.Sprintf("msg-%d", i))
				sg.sign(t, m, version)
				body, _ := json.Marshal(m)
				rec := post(t, h, body, snsHeader("Notification"))
				require.Equal(t, http.StatusOK, rec.Code, "%s: %s", tc.file, rec.Body)
				var res bounce.Result
				require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &res))
				assert.Len(t, res.Suppressed, tc.suppressed, tc.file)
				assert.Equal(t, tc.want, status(t, st, tc.email), tc.file)
			}
			assert.Equal(t, int32(2), cs.updates.Load())

			// The same bounce delivered again (SNS delivers at least once):
			// nothing more is written.
			m := notification(sample(t, "ses-bounce-permanent.json"), "msg-again")
			sg.sign(t, m, version)
			body, _ := json.Marshal(m)
			require.Equal(t, http.StatusOK, post(t, h, body, snsHeader("Notification")).Code)
			assert.Equal(t, int32(2), cs.updates.Load())
		})
	}
}

func TestSNSRefused(t *testing.T) {
	st, cs := readers(t)
	sg := newSigner(t)
	h := bounce.New(cs, func(h *bounce.Handler) { h.Certs, h.Topics = sg, []string{topic} })
	good := func() *bounce.SNSMessage {
		m := notification(sample(t, "ses-bounce-permanent.json"), "m1")
		sg.sign(t, m, "1")
		return m
	}
	for _, tc := range []struct {
		name   string
		mutate func(*bounce.SNSMessage)
		code   int
	}{
		{"message changed after signing", func(m *bounce.SNSMessage) { m.Message = strings.Replace(m.Message, "Giulia.Rossi", "luca", 1) }, http.StatusForbidden},
		{"unsigned", func(m *bounce.SNSMessage) { m.Signature = "" }, http.StatusForbidden},
		{"certificate elsewhere", func(m *bounce.SNSMessage) { m.SigningCertURL = "https://evil.example/cert.pem" }, http.StatusForbidden},
		{"unknown signature version", func(m *bounce.SNSMessage) { m.SignatureVersion = "3" }, http.StatusForbidden},
		{"another topic", func(m *bounce.SNSMessage) {
			m.TopicArn = "arn:aws:sns:eu-south-1:999999999999:other"
			sg.sign(t, m, "1")
		}, http.StatusForbidden},
		{"not an ses record", func(m *bounce.SNSMessage) { m.Message = `{"hello":"world"}`; sg.sign(t, m, "1") }, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := good()
			tc.mutate(m)
			body, _ := json.Marshal(m)
			rec := post(t, h, body, snsHeader("Notification"))
			assert.Equal(t, tc.code, rec.Code, rec.Body.String())
			assert.Equal(t, store.Active, status(t, st, "giulia.rossi@lettori.example"))
		})
	}
	assert.Equal(t, http.StatusBadRequest, post(t, h, []byte("not json"), snsHeader("Notification")).Code)
	assert.Equal(t, http.StatusMethodNotAllowed, func() int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		return rec.Code
	}())
	assert.Zero(t, cs.updates.Load())
}

func TestSubscriptionConfirmation(t *testing.T) {
	_, cs := readers(t)
	sg := newSigner(t)
	var fetched atomic.Int32
	sns := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetched.Add(1)
		assert.Equal(t, "ConfirmSubscription", r.URL.Query().Get("Action"))
		fmt.Fprint(w, "<ConfirmSubscriptionResponse/>")
	}))
	defer sns.Close()
	load := func(subscribeURL string) []byte {
		var m bounce.SNSMessage
		require.NoError(t, json.Unmarshal(sample(t, "sns-subscription-confirmation.json"), &m))
		m.SubscribeURL = subscribeURL
		sg.sign(t, &m, "1")
		b, _ := json.Marshal(m)
		return b
	}

	// Confirm off: acknowledged, reported, nothing fetched.
	off := bounce.New(cs, func(h *bounce.Handler) { h.Certs = sg })
	rec := post(t, off, load(sns.URL+"/?Action=ConfirmSubscription"), snsHeader("SubscriptionConfirmation"))
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, rec.Body.String(), "not confirmed")

	// Confirm on, with the default URL check: a SubscribeURL that is not
	// SNS's is refused and not fetched.
	strict := bounce.New(cs, func(h *bounce.Handler) { h.Certs, h.Confirm, h.Client = sg, true, sns.Client() })
	rec = post(t, strict, load(sns.URL+"/?Action=ConfirmSubscription"), snsHeader("SubscriptionConfirmation"))
	assert.Equal(t, http.StatusBadRequest, rec.Code, rec.Body.String())
	assert.Zero(t, fetched.Load())

	// Confirm on, the local stand-in for SNS allowed: fetched once.
	on := bounce.New(cs, func(h *bounce.Handler) {
		h.Certs, h.Confirm, h.Client = sg, true, sns.Client()
		h.CheckURL = func(u string) error {
			if !strings.HasPrefix(u, sns.URL+"/") {
				return errors.New("not the test SNS")
			}
			return nil
		}
	})
	rec = post(t, on, load(sns.URL+"/?Action=ConfirmSubscription"), snsHeader("SubscriptionConfirmation"))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.Equal(t, int32(1), fetched.Load())
}

func TestEventBridge(t *testing.T) {
	st, cs := readers(t)
	h := bounce.New(cs, func(h *bounce.Handler) { h.EventSecret = "s3cret" })
	auth := map[string]string{"Authorization": "Bearer s3cret"}

	assert.Equal(t, http.StatusForbidden, post(t, h, sample(t, "eventbridge-bounce.json"), nil).Code)
	assert.Equal(t, http.StatusForbidden, post(t, h, sample(t, "eventbridge-bounce.json"), map[string]string{"Authorization": "Bearer nope"}).Code)
	assert.Equal(t, store.Active, status(t, st, "giulia.rossi@lettori.example"))

	for _, tc := range []struct {
		file  string
		email string
		want  store.Status
	}{
		{"eventbridge-delivery.json", "giulia.rossi@lettori.example", store.Active},
		{"eventbridge-bounce.json", "giulia.rossi@lettori.example", store.Suppressed},
		{"eventbridge-complaint.json", "anna@lettori.example", store.Suppressed},
	} {
		rec := post(t, h, sample(t, tc.file), auth)
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		assert.Equal(t, tc.want, status(t, st, tc.email), tc.file)
	}
	// The function form, for bodies that come from elsewhere (a queue).
	res, err := h.HandleEvent(context.Background(), sample(t, "eventbridge-bounce.json"))
	require.NoError(t, err)
	assert.Equal(t, []string{"giulia.rossi@lettori.example"}, res.Suppressed)

	_, err = h.HandleEvent(context.Background(), []byte(`{"source":"aws.ec2","detail-type":"Email Bounced","detail":{}}`))
	assert.ErrorContains(t, err, "want source aws.ses")
}

func TestStoreFailureAsksForRedelivery(t *testing.T) {
	_, cs := readers(t)
	cs.fail = errors.New("disk full")
	h := bounce.New(cs)
	rec := post(t, h, sample(t, "eventbridge-bounce.json"), nil)
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.NotContains(t, rec.Body.String(), "disk full", "no internals to the caller")

	// An address of nobody: fine, reported.
	cs.fail = nil
	res, err := h.HandleEvent(context.Background(), bytes.ReplaceAll(sample(t, "eventbridge-bounce.json"), []byte("Giulia.Rossi@Lettori.example"), []byte("nobody@lettori.example")))
	require.NoError(t, err)
	assert.Equal(t, []string{"nobody@lettori.example"}, res.Unknown)
}

func TestHTTPCertSourceRefusesOtherHosts(t *testing.T) {
	src := &bounce.HTTPCertSource{Client: &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
		t.Fatal("no request may leave")
		return nil, nil
	})}}
	for _, u := range []string{
		"http://sns.eu-south-1.amazonaws.com/x.pem",
		"https://sns.eu-south-1.amazonaws.com.evil.example/x.pem",
		"https://evil.example/sns.eu-south-1.amazonaws.com/x.pem",
		"https://sns.eu-south-1.amazonaws.com:8443/x.pem",
		"https://sns.eu-south-1.amazonaws.com/x.txt",
	} {
		_, err := src.Certificate(context.Background(), u)
		assert.Error(t, err, u)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

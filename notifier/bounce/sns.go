package bounce

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // SNS SignatureVersion 1 is SHA1withRSA
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
)

// SNSMessage is an Amazon SNS HTTP(S) delivery.
type SNSMessage struct {
	Type             string `json:"Type"` // Notification, SubscriptionConfirmation, UnsubscribeConfirmation
	MessageID        string `json:"MessageId"`
	Token            string `json:"Token,omitempty"`
	TopicArn         string `json:"TopicArn"`
	Subject          string `json:"Subject,omitempty"`
	Message          string `json:"Message"`
	SubscribeURL     string `json:"SubscribeURL,omitempty"`
	Timestamp        string `json:"Timestamp"`
	SignatureVersion string `json:"SignatureVersion"`
	Signature        string `json:"Signature"`
	SigningCertURL   string `json:"SigningCertURL"`
	UnsubscribeURL   string `json:"UnsubscribeURL,omitempty"`
}

// StringToSign is what SNS signs, per its documentation: the named fields
// in this order, each as "Name\nvalue\n", Subject only when present.
func (m *SNSMessage) StringToSign() (string, error) {
	var fields [][2]string
	switch m.Type {
	case "Notification":
		fields = [][2]string{{"Message", m.Message}, {"MessageId", m.MessageID}}
		if m.Subject != "" {
			fields = append(fields, [2]string{"Subject", m.Subject})
		}
		fields = append(fields, [][2]string{{"Timestamp", m.Timestamp}, {"TopicArn", m.TopicArn}, {"Type", m.Type}}...)
	case "SubscriptionConfirmation", "UnsubscribeConfirmation":
		fields = [][2]string{{"Message", m.Message}, {"MessageId", m.MessageID}, {"SubscribeURL", m.SubscribeURL},
			{"Timestamp", m.Timestamp}, {"Token", m.Token}, {"TopicArn", m.TopicArn}, {"Type", m.Type}}
	default:
		return "", fmt.Errorf("sns: message type %q", m.Type)
	}
	var b strings.Builder
	for _, f := range fields {
		b.WriteString(f[0] + "\n" + f[1] + "\n")
	}
	return b.String(), nil
}

// CertSource gives the certificate at an SNS SigningCertURL.
type CertSource interface {
	Certificate(ctx context.Context, certURL string) (*x509.Certificate, error)
}

// ErrSignature: the message is not signed by SNS.
var ErrSignature = errors.New("sns: bad signature")

// Verify checks m's signature with the certificate src gives for its
// SigningCertURL.
func Verify(ctx context.Context, src CertSource, m *SNSMessage) error {
	var h crypto.Hash
	switch m.SignatureVersion {
	case "1":
		h = crypto.SHA1
	case "2":
		h = crypto.SHA256
	default:
		return fmt.Errorf("%w: signature version %q", ErrSignature, m.SignatureVersion)
	}
	sts, err := m.StringToSign()
	if err != nil {
		return err
	}
	sig, err := base64.StdEncoding.DecodeString(m.Signature)
	if err != nil {
		return fmt.Errorf("%w: signature is not base64", ErrSignature)
	}
	// SNS signs with RSA keys of 1024 to 4096 bits: anything else is
	// refused before a certificate is fetched for it.
	if n := len(sig); n != 128 && n != 256 && n != 384 && n != 512 {
		return fmt.Errorf("%w: a signature of %d bytes", ErrSignature, n)
	}
	cert, err := src.Certificate(ctx, m.SigningCertURL)
	if err != nil {
		return fmt.Errorf("%w: certificate: %w", ErrSignature, err)
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return fmt.Errorf("%w: the certificate's key is not RSA", ErrSignature)
	}
	var digest []byte
	if h == crypto.SHA1 {
		d := sha1.Sum([]byte(sts)) //nolint:gosec
		digest = d[:]
	} else {
		d := sha256.Sum256([]byte(sts))
		digest = d[:]
	}
	if err := rsa.VerifyPKCS1v15(pub, h, digest, sig); err != nil {
		return fmt.Errorf("%w: %w", ErrSignature, err)
	}
	return nil
}

// snsHost is where SNS keeps its signing certificates (and its
// SubscribeURLs): https://sns.<region>.amazonaws.com[.cn]/...
var snsHost = regexp.MustCompile(`^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$`)

// CheckSNSURL refuses a URL that is not an https URL on an SNS host, so a
// forged message cannot make the handler fetch anything else.
func CheckSNSURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("sns url %q: %w", raw, err)
	}
	if u.Scheme != "https" || !snsHost.MatchString(u.Hostname()) || u.Port() != "" {
		return fmt.Errorf("sns url %q: not https://sns.<region>.amazonaws.com", raw)
	}
	return nil
}

// HTTPCertSource fetches signing certificates from SNS over HTTPS and keeps
// them; only https URLs on SNS hosts ending in .pem are fetched.
//
// A fetch has a deadline (the default client's 10 s timeout), and at most
// maxCerts certificates are kept: SNS uses a handful, and a stream of
// forged URLs must neither hang the handler nor grow its memory.
type HTTPCertSource struct {
	Client *http.Client // default: a client with a 10 s timeout

	mu    sync.Mutex
	certs map[string]*x509.Certificate
}

// Certificate returns the certificate at certURL.
func (s *HTTPCertSource) Certificate(ctx context.Context, certURL string) (*x509.Certificate, error) {
	if err := CheckSNSURL(certURL); err != nil {
		return nil, err
	}
	if !strings.HasSuffix(certURL, ".pem") {
		return nil, fmt.Errorf("sns certificate url %q: not a .pem", certURL)
	}
	s.mu.Lock()
	c, ok := s.certs[certURL]
	s.mu.Unlock()
	if ok {
		return c, nil
	}
	client := s.Client
	if client == nil {
		client = defaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, certURL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", certURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch %s: %s", certURL, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(body)
	if block == nil {
		return nil, fmt.Errorf("%s: no PEM certificate", certURL)
	}
	c, err = x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", certURL, err)
	}
	s.mu.Lock()
	if s.certs == nil || len(s.certs) >= maxCerts {
		s.certs = map[string]*x509.Certificate{}
	}
	s.certs[certURL] = c
	s.mu.Unlock()
	return c, nil
}

// maxCerts bounds the certificates an HTTPCertSource keeps.
const maxCerts = 32

// defaultClient fetches certificates and SubscribeURLs: http.DefaultClient
// has no timeout, and a fetch that never answers would hold the request
// (and, under a fuzzer or a flood, every worker) forever.
var defaultClient = &http.Client{Timeout: 10 * time.Second}

func parseSNS(body []byte) (*SNSMessage, error) {
	var m SNSMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("sns message: %w", err)
	}
	if m.Type == "" {
		return nil, errors.New("sns message: no Type: not an SNS delivery")
	}
	return &m, nil
}

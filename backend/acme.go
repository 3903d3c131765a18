package backend

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"

	"github.com/manga-alert-italia/mangaalert/store"
)

// BlobCache is an autocert.Cache over the store's blobs: on AWS the
// account key and certificates live in DynamoDB, so an instance that
// replaces this one serves the same certificate at once instead of asking
// the CA again (and running into its rate limits).
type BlobCache struct {
	Blobs store.Blobs
	// Prefix is put before every key; default "acme/".
	Prefix string
}

var _ autocert.Cache = BlobCache{}

func (c BlobCache) key(k string) string {
	p := c.Prefix
	if p == "" {
		p = "acme/"
	}
	return p + k
}

// Get returns the entry of key, or autocert.ErrCacheMiss.
func (c BlobCache) Get(ctx context.Context, key string) ([]byte, error) {
	b, err := c.Blobs.GetBlob(ctx, c.key(key))
	if errors.Is(err, store.ErrNotFound) {
		return nil, autocert.ErrCacheMiss
	}
	if err != nil {
		return nil, fmt.Errorf("acme cache get %s: %w", key, err)
	}
	return b, nil
}

// Put stores data under key.
func (c BlobCache) Put(ctx context.Context, key string, data []byte) error {
	if err := c.Blobs.PutBlob(ctx, c.key(key), data); err != nil {
		return fmt.Errorf("acme cache put %s: %w", key, err)
	}
	return nil
}

// Delete removes key; nil when absent.
func (c BlobCache) Delete(ctx context.Context, key string) error {
	if err := c.Blobs.DeleteBlob(ctx, c.key(key)); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("acme cache delete %s: %w", key, err)
	}
	return nil
}

// ACMEConfig says where to get a certificate and for which names.
type ACMEConfig struct {
	// Hosts are the only names a certificate is asked for (required): a
	// client cannot make us ask for another by sending its SNI.
	Hosts []string
	// Email is the contact the CA writes to about expiring certificates.
	Email string
	// Cache keeps the account key and certificates (required): use
	// BlobCache over the store.
	Cache autocert.Cache
	// DirectoryURL is the CA; default Let's Encrypt
	// (acme.LetsEncryptURL). Tests point it at a local Pebble.
	DirectoryURL string
	// HTTPClient talks to the CA; default http.DefaultClient. Tests give
	// one that trusts Pebble's certificate.
	HTTPClient *http.Client
	// RenewBefore: how long before expiry to renew; default autocert's
	// (30 days, or a third of a short certificate's life).
	RenewBefore time.Duration
}

// NewACME returns the autocert.Manager for cfg. Serve with
// WithTLS(m.TLSConfig()) on :443 (which answers TLS-ALPN-01 challenges) and
// HTTPRedirect(m, handler) on :80 (HTTP-01 and the redirect to https).
// By serving it the operator accepts the CA's terms of service.
func NewACME(cfg ACMEConfig) (*autocert.Manager, error) {
	var hosts []string
	for _, h := range cfg.Hosts {
		h = strings.TrimSpace(strings.ToLower(h))
		if h == "" || strings.ContainsAny(h, ":/ ") {
			return nil, fmt.Errorf("%w: ACME host %q: want a bare name such as mangaalert.it", ErrConfig, h)
		}
		hosts = append(hosts, h)
	}
	if len(hosts) == 0 {
		return nil, fmt.Errorf("%w: ACME needs at least one host name", ErrConfig)
	}
	if cfg.Cache == nil {
		return nil, fmt.Errorf("%w: ACME needs a Cache (BlobCache over the store), or every restart asks the CA again", ErrConfig)
	}
	dir := cfg.DirectoryURL
	if dir == "" {
		dir = acme.LetsEncryptURL
	}
	return &autocert.Manager{
		Prompt:      autocert.AcceptTOS,
		Cache:       cfg.Cache,
		HostPolicy:  autocert.HostWhitelist(hosts...),
		RenewBefore: cfg.RenewBefore,
		Email:       cfg.Email,
		Client:      &acme.Client{DirectoryURL: dir, HTTPClient: cfg.HTTPClient, UserAgent: "mangaalert"},
	}, nil
}

package backend

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// versionCheckEvery is how often the catalogue's version is asked of the
// store: the caches follow a scrape on any replica within it, for one
// small read a second however busy the site is.
const versionCheckEvery = time.Second

// versionWatch remembers the catalogue version the caches were filled at.
type versionWatch struct {
	next atomic.Int64 // unix nanoseconds of the next check: the lock-free fast path

	mu      sync.Mutex
	version uint64
	known   bool
}

// followCatalog drops the cached answers (API, pages, the series list)
// when the store's catalogue version moved since the last check: a scrape
// in another process, or on another replica, shows at once rather than
// after CacheTTL. A store that cannot answer leaves the caches to their
// TTL.
func (b *Backend) followCatalog(ctx context.Context, now time.Time) {
	w := &b.catalogVer
	if now.UnixNano() < w.next.Load() {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if now.UnixNano() < w.next.Load() {
		return
	}
	w.next.Store(now.Add(versionCheckEvery).UnixNano())
	v, err := b.cfg.Store.CatalogVersion(ctx)
	if err != nil {
		b.cfg.Logger.Debug("backend: catalogue version", "err", err)
		return
	}
	if w.known && v != w.version {
		b.Invalidate()
	}
	w.version, w.known = v, true
}

var (
	htmlContentType  = []string{"text/html; charset=utf-8"}
	pageCacheControl = []string{"no-cache"} // revalidate: a 304 costs a few bytes
)

// cachedPage answers a page that is the same for every reader (the home
// page, a series page) from the cache, keyed by key, with an ETag and 304
// for a client that has it; render makes it on a miss.
func (b *Backend) cachedPage(w http.ResponseWriter, r *http.Request, key string, render func() (page string, data any, ok bool)) {
	now := b.cfg.Now()
	b.followCatalog(r.Context(), now)
	e := b.cache.get(key, now)
	if e == nil {
		gen := b.cache.generation()
		page, data, ok := render()
		if !ok {
			return // render answered (an error)
		}
		buf, err := b.assets.renderBytes(page, data)
		if err != nil {
			b.internal(w, r, err)
			return
		}
		e = b.cache.put(key, buf.Bytes(), gen, now)
	}
	h := w.Header()
	h["Content-Type"] = htmlContentType
	h["Etag"] = e.etagHdr
	h["Cache-Control"] = pageCacheControl
	if inm := r.Header.Get("If-None-Match"); inm != "" && strings.Contains(inm, e.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h["Content-Length"] = e.lengthHdr
	_, _ = w.Write(e.body)
}

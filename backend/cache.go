package backend

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/manga-alert-italia/mangaalert/store"
)

// maxCached bounds the answers kept: past it the expired ones go, and if
// none has, all do (a client walking every date range gets no memory).
const maxCached = 512

// respCache keeps rendered answers of read-only endpoints for a short
// while. The scraper writes a few times a day, so an answer may be up to
// the TTL old; Invalidate (an in-process write) drops them all at once.
type respCache struct {
	ttl time.Duration // < 0: off

	mu  sync.RWMutex
	m   map[string]*cached
	gen uint64
}

type cached struct {
	body    []byte
	etag    string
	expires time.Time
	gen     uint64
	// Header values, made once: an answer from the cache allocates nothing.
	etagHdr   []string
	lengthHdr []string
}

func newRespCache(ttl time.Duration) *respCache {
	return &respCache{ttl: ttl, m: make(map[string]*cached)}
}

func (c *respCache) get(key string, now time.Time) *cached {
	if c.ttl < 0 {
		return nil
	}
	c.mu.RLock()
	e, gen := c.m[key], c.gen
	c.mu.RUnlock()
	if e == nil || e.gen != gen || !now.Before(e.expires) {
		return nil
	}
	return e
}

// generation is read before the store is, so a write in between makes the
// answer stale on arrival rather than fresh forever.
func (c *respCache) generation() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

func (c *respCache) put(key string, body []byte, gen uint64, now time.Time) *cached {
	sum := sha256.Sum256(body)
	e := &cached{body: body, etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`, expires: now.Add(c.ttl), gen: gen}
	e.etagHdr, e.lengthHdr = []string{e.etag}, []string{strconv.Itoa(len(body))}
	if c.ttl < 0 {
		return e
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxCached {
		for k, v := range c.m {
			if v.gen != c.gen || !now.Before(v.expires) {
				delete(c.m, k)
			}
		}
		if len(c.m) >= maxCached {
			clear(c.m)
		}
	}
	c.m[key] = e
	return e
}

func (c *respCache) invalidate() {
	c.mu.Lock()
	c.gen++
	clear(c.m)
	c.mu.Unlock()
}

// catalogue keeps the list of series in memory for the TTL: every page
// searches it, and the sign-up form checks series against it.
type catalogue struct {
	st  Store
	ttl time.Duration
	now func() time.Time

	mu   sync.Mutex
	snap *seriesIndex
	at   time.Time
}

// seriesIndex is one snapshot of the series.
type seriesIndex struct {
	list       []store.Series // by ID, which is the slug of the title
	byID       map[string]int
	keys       []string // per series: the slugs of its title and aliases, space-joined
	publishers []string
}

func (c *catalogue) get(ctx context.Context) (*seriesIndex, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.snap != nil && c.ttl >= 0 && c.now().Sub(c.at) < c.ttl {
		return c.snap, nil
	}
	list, err := c.st.ListSeries(ctx)
	if err != nil {
		if c.snap != nil {
			return c.snap, nil // a stale list beats an error page
		}
		return nil, err
	}
	c.snap, c.at = indexSeries(list), c.now()
	return c.snap, nil
}

func (c *catalogue) invalidate() {
	c.mu.Lock()
	c.snap = nil
	c.mu.Unlock()
}

func indexSeries(list []store.Series) *seriesIndex {
	list = slices.Clone(list)
	slices.SortFunc(list, func(a, b store.Series) int { return cmp.Compare(a.ID, b.ID) })
	ix := &seriesIndex{list: list, byID: make(map[string]int, len(list)), keys: make([]string, len(list))}
	pubs := map[string]bool{}
	for i, s := range list {
		ix.byID[s.ID] = i
		k := []string{store.Slug(s.Title)}
		for _, a := range s.Aliases {
			k = append(k, store.Slug(a))
		}
		ix.keys[i] = " " + strings.Join(k, " ") + " "
		if s.Publisher != "" && !pubs[s.Publisher] {
			pubs[s.Publisher] = true
			ix.publishers = append(ix.publishers, s.Publisher)
		}
	}
	slices.Sort(ix.publishers)
	return ix
}

func (ix *seriesIndex) byIDOK(id string) (store.Series, bool) {
	i, ok := ix.byID[id]
	if !ok {
		return store.Series{}, false
	}
	return ix.list[i], true
}

// search finds the series whose title or an alias holds every word of q,
// accents and case aside, optionally of one publisher. An empty q lists
// them all.
func (ix *seriesIndex) search(q, publisher string) []store.Series {
	words := strings.FieldsFunc(store.Slug(q), func(r rune) bool { return r == '-' })
	var out []store.Series
	for i, s := range ix.list {
		if publisher != "" && !strings.EqualFold(s.Publisher, publisher) {
			continue
		}
		ok := true
		for _, w := range words {
			if !strings.Contains(ix.keys[i], w) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, s)
		}
	}
	// Titles that start with the query first: "naruto" before "boruto-naruto".
	if len(words) > 0 {
		first := " " + words[0]
		slices.SortStableFunc(out, func(a, b store.Series) int {
			pa := strings.Contains(ix.keys[ix.byID[a.ID]], first)
			pb := strings.Contains(ix.keys[ix.byID[b.ID]], first)
			switch {
			case pa && !pb:
				return -1
			case pb && !pa:
				return 1
			}
			return 0
		})
	}
	return out
}

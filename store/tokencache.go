package store

import (
	"sync"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

// tokenCacheTTL bounds how long a verified token is believed without asking
// the database. A revocation made through this Store drops the entry at once;
// one made elsewhere (another serve on the same PostgreSQL, or `wsusfleet
// token revoke` run against the database while serve runs) takes effect
// within this time. Short enough to count as "at once" for an operator,
// long enough that a busy collector fleet asks the database about its token
// a few times a second instead of on every request.
const tokenCacheTTL = time.Second

// tokenCacheMax bounds the cache; when full it is emptied (only live tokens
// are cached, and an installation has a handful).
const tokenCacheMax = 4096

// tokenCache holds verified, unrevoked tokens by the SHA-256 of their
// secret. Unknown or revoked secrets are never cached: each is looked up
// (and throttled by the web layer).
type tokenCache struct {
	mu  sync.Mutex
	m   map[string]tokenEntry
	gen uint64 // bumped by every revocation: a lookup that began before it is not cached
}

type tokenEntry struct {
	tok   probes.Token
	until time.Time // monotonic: a test's fixed clock must not keep an entry alive
}

func (c *tokenCache) get(hash string) (probes.Token, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[hash]
	if !ok {
		return probes.Token{}, false
	}
	if time.Now().After(e.until) {
		delete(c.m, hash)
		return probes.Token{}, false
	}
	return e.tok, true
}

// generation is read before a lookup and passed to put after it.
func (c *tokenCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// put caches tok unless a revocation happened since gen was read: the row the
// lookup read may predate it.
func (c *tokenCache) put(hash string, tok probes.Token, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if c.m == nil || len(c.m) >= tokenCacheMax {
		c.m = make(map[string]tokenEntry)
	}
	c.m[hash] = tokenEntry{tok: tok, until: time.Now().Add(tokenCacheTTL)}
}

// touch records a new last-used time in a cached entry.
func (c *tokenCache) touch(hash string, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[hash]; ok {
		e.tok.LastUsedAt = &at
		c.m[hash] = e
	}
}

// revoked drops every entry of token id and fences lookups in flight.
func (c *tokenCache) revoked(id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for h, e := range c.m {
		if e.tok.ID == id {
			delete(c.m, h)
		}
	}
}

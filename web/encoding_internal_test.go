package web

import (
	"testing"
	"time"
)

func TestNegotiate(t *testing.T) {
	for _, c := range []struct {
		header string
		want   int
	}{
		{"", codingIdentity},
		{"gzip", codingGzip},
		{"GZip", codingGzip},
		{"x-gzip", codingGzip},
		{"zstd", codingZstd},
		{"gzip, deflate, br, zstd", codingZstd}, // Chrome: equal weights, zstd first
		{"gzip, deflate, br", codingGzip},
		{"br, deflate", codingIdentity},
		{"gzip;q=0", codingIdentity},
		{"gzip;q=0, zstd;q=0", codingIdentity},
		{"zstd;q=0, gzip", codingGzip},
		{"zstd;q=0.5, gzip;q=0.8", codingGzip},
		{"gzip;q=0.5, identity", codingIdentity}, // identity weighs more
		{"gzip, identity", codingGzip},           // equal: the smaller
		{"identity", codingIdentity},
		{"identity;q=0", codingIdentity}, // nothing acceptable: identity all the same
		{"*", codingZstd},
		{"*;q=0", codingIdentity},
		{"*;q=0, gzip", codingGzip},
		{"*, zstd;q=0", codingGzip},
		{"*;q=0.3, identity;q=0.5", codingIdentity},
		{"gzip;q=2", codingIdentity},   // malformed weight: the entry is ignored
		{"gzip;q=abc", codingIdentity}, // likewise
		{" gzip ; q=1.0 , , zstd ; q=0.001", codingGzip},
	} {
		if got := negotiate(c.header); got != c.want {
			t.Errorf("negotiate(%q) = %d, want %d", c.header, got, c.want)
		}
	}
}

// TestAcquireServesAgedWhileRebuilding: a read model whose version still
// holds but whose age ran out is answered as it is while another request
// rebuilds it; a new version, or an age past twice the limit, is rebuilt
// by the request that finds it.
func TestAcquireServesAgedWhileRebuilding(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	aged := &built{version: "v1", builtAt: now.Add(-3 * readModelMaxAge / 2), wall: time.Now().Add(-3 * readModelMaxAge / 2)}
	var m readModel
	m.cur.Store(aged)

	m.mu.Lock() // another request is rebuilding
	if got := m.acquire("v1", now); got != aged {
		t.Errorf("aged, same version, being rebuilt: %v, want the aged build", got)
	}
	m.mu.Unlock()

	if got := m.acquire("v1", now); got != nil {
		t.Fatalf("aged, nobody rebuilding: %v, want nil (rebuild it)", got)
	}
	if m.mu.TryLock() {
		t.Fatal("acquire returned nil without holding the lock")
	}
	m.mu.Unlock()

	for name, c := range map[string]struct {
		version string
		now     time.Time
	}{
		"new version": {"v2", now},
		"too old":     {"v1", now.Add(readModelMaxAge)},
	} {
		done := make(chan *built)
		m.mu.Lock() // another request is rebuilding: this one must wait for it
		go func() { done <- m.acquire(c.version, c.now) }()
		select {
		case got := <-done:
			t.Errorf("%s while rebuilding: %v without waiting", name, got)
			continue
		default:
		}
		m.mu.Unlock()
		if got := <-done; got != nil {
			t.Errorf("%s: %v, want nil (rebuild it)", name, got)
		} else {
			m.mu.Unlock()
		}
	}
}

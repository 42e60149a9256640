package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
)

// TestTokenCacheHonoursRevocation: a verified token is cached, yet a
// revocation through the same store refuses it on the very next request, and
// one made by another instance on the same database within the cache's
// short life (a second, documented in docs/PERFORMANCE.md).
func TestTokenCacheHonoursRevocation(t *testing.T) {
	for name, dsn := range twoStoreDSNs(t) {
		t.Run(name, func(t *testing.T) {
			dsn := dsn(t)
			a := storetest.OpenDSN(t, dsn, store.Options{})
			b := storetest.OpenDSN(t, dsn, store.Options{})
			secret, tok, err := a.CreateToken(t.Context(), "collector", probes.ScopeIngest)
			if err != nil {
				t.Fatal(err)
			}
			for range 3 { // the first verifies in SQL, the rest come from the cache
				for _, s := range []*store.Store{a, b} {
					if got, err := s.Authenticate(t.Context(), secret); err != nil || got.ID != tok.ID {
						t.Fatalf("Authenticate = %+v, %v", got, err)
					}
				}
			}
			if err := a.RevokeToken(t.Context(), tok.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := a.Authenticate(t.Context(), secret); !errors.Is(err, probes.ErrNotFound) {
				t.Fatalf("the revoking instance still accepts the token: %v", err)
			}
			// The other instance learns within its cache's life.
			storetest.WaitFor(t, "the other instance refusing the revoked token", 10*time.Second, func() bool {
				_, err := b.Authenticate(t.Context(), secret)
				if err != nil && !errors.Is(err, probes.ErrNotFound) {
					t.Fatal(err)
				}
				return errors.Is(err, probes.ErrNotFound)
			})
			// Once refused, it stays refused (nothing re-caches it).
			if _, err := b.Authenticate(t.Context(), secret); !errors.Is(err, probes.ErrNotFound) {
				t.Fatalf("revoked token accepted again: %v", err)
			}
		})
	}
}

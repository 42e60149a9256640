package store_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
)

func TestTokenSessionKey(t *testing.T) {
	for name, open := range storetest.Dialects(t) {
		t.Run(name, func(t *testing.T) {
			st := open(t, store.Options{})
			_, a, err := st.CreateToken(t.Context(), "a", probes.ScopeAdmin)
			if err != nil {
				t.Fatal(err)
			}
			_, b, _ := st.CreateToken(t.Context(), "b", probes.ScopeRead)
			tokA, keyA, err := st.TokenSessionKey(t.Context(), a.ID)
			if err != nil || tokA.Name != "a" || tokA.Scope != probes.ScopeAdmin || len(keyA) != 32 {
				t.Fatalf("token a: %+v %x %v", tokA, keyA, err)
			}
			again, keyA2, _ := st.TokenSessionKey(t.Context(), a.ID)
			_, keyB, _ := st.TokenSessionKey(t.Context(), b.ID)
			if !bytes.Equal(keyA, keyA2) || bytes.Equal(keyA, keyB) || again.RevokedAt != nil {
				t.Errorf("keys must be stable per token and differ between tokens")
			}
			if err := st.RevokeToken(t.Context(), a.ID); err != nil {
				t.Fatal(err)
			}
			if tok, _, err := st.TokenSessionKey(t.Context(), a.ID); err != nil || tok.RevokedAt == nil {
				t.Errorf("a revoked token is returned as revoked: %+v %v", tok, err)
			}
			if _, _, err := st.TokenSessionKey(t.Context(), 9999); !errors.Is(err, probes.ErrNotFound) {
				t.Errorf("unknown id: %v", err)
			}
		})
	}
}

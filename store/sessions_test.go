package store_test

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
)

// TestSessionsStoreOnlyHashes reads the tables behind the store's back: a
// copy of the database holds no session id and no sign-in state, only their
// SHA-256, so it signs nobody in.
func TestSessionsStoreOnlyHashes(t *testing.T) {
	dsns := map[string]func() (driver, dsn, raw string){
		"sqlite": func() (string, string, string) {
			path := filepath.Join(t.TempDir(), "w.db")
			return "sqlite", "sqlite:" + path, "file:" + path
		},
	}
	if storetest.PostgresURL(t) != "" {
		dsns["postgres"] = func() (string, string, string) {
			u := storetest.PostgresSchemaURL(t)
			return "pgx", u, u
		}
	}
	for name, mk := range dsns {
		t.Run(name, func(t *testing.T) {
			driver, dsn, raw := mk()
			st := storetest.OpenDSN(t, dsn, store.Options{})
			id, err := st.CreateSession(t.Context(), probes.Session{Via: probes.SignInOIDC, User: "jane", Scope: probes.ScopeRead,
				ExpiresAt: time.Now().Add(time.Hour), Idle: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			state := strings.Repeat("s", 40)
			if err := st.SaveSignInAttempt(t.Context(), state, probes.SignInAttempt{Nonce: "n", Verifier: "v", Next: "/", ExpiresAt: time.Now().Add(time.Minute)}); err != nil {
				t.Fatal(err)
			}
			db, err := sql.Open(driver, raw)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var sessHash, stateHash string
			if err := db.QueryRow(`SELECT id_hash FROM sessions`).Scan(&sessHash); err != nil {
				t.Fatal(err)
			}
			if err := db.QueryRow(`SELECT state_hash FROM signin_attempts`).Scan(&stateHash); err != nil {
				t.Fatal(err)
			}
			if sessHash != sha256Hex(id) || stateHash != sha256Hex(state) {
				t.Errorf("stored %q / %q: want the SHA-256 of the id and of the state", sessHash, stateHash)
			}
			if _, err := st.Session(t.Context(), sessHash); err == nil {
				t.Errorf("the stored hash works as a session id")
			}
		})
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

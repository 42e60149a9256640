package web_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
	"github.com/wsusfleet/wsusfleet/web"
)

// sessionEnv is a dashboard that needs a sign-in, on a SQLite file the test
// can read behind the dashboard's back.
func sessionEnv(t *testing.T, cfg web.Config) (*env, string) {
	t.Helper()
	clock := storetest.NewClock(storetest.T0)
	path := filepath.Join(t.TempDir(), "w.db")
	st := storetest.OpenDSN(t, "sqlite:"+path, store.Options{Now: clock.Now})
	cfg.Now, cfg.ReadAuth = clock.Now, web.ReadAuthToken
	e := &env{t: t, st: st, h: web.New(st, cfg), clock: clock}
	e.ingest, e.read, e.admin = e.token(probes.ScopeIngest), e.token(probes.ScopeRead), e.token(probes.ScopeAdmin)
	return e, path
}

func signedIn(e *env, c *http.Cookie) bool {
	e.t.Helper()
	p := e.page("GET", "/", nil, c)
	switch p.status {
	case http.StatusOK:
		return true
	case http.StatusSeeOther:
		return false
	}
	e.t.Fatalf("GET / with a session cookie: %d", p.status)
	return false
}

// TestSessionNotForgeableFromDatabaseCopy: everything a copy of the
// database holds — the tokens' hashes, the sessions' hashes — does not make
// a session cookie.
func TestSessionNotForgeableFromDatabaseCopy(t *testing.T) {
	e, path := sessionEnv(t, web.Config{})
	real, _ := e.signIn(t, e.admin, "/")
	if real == nil || !signedIn(e, real) {
		t.Fatalf("sign-in failed")
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var id int64
	var tokenHash, sessionHash string
	if err := db.QueryRow(`SELECT id, hash FROM tokens WHERE scope = 'admin'`).Scan(&id, &tokenHash); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT id_hash FROM sessions`).Scan(&sessionHash); err != nil {
		t.Fatal(err)
	}
	// The cookie the old design signed with a key derived from the token's
	// stored hash: whoever had the database could mint it.
	key := sha256.Sum256([]byte("wsusfleet session key v1\x00" + strconv.FormatInt(id, 10) + "\x00" + tokenHash))
	payload := "v1." + strconv.FormatInt(id, 10) + "." + strconv.FormatInt(storetest.T0.Add(time.Hour).Unix(), 10) + ".nonce"
	h := hmac.New(sha256.New, key[:])
	h.Write([]byte("session\x00" + payload))
	forged := payload + "." + base64.RawURLEncoding.EncodeToString(h.Sum(nil))
	for _, v := range []string{forged, sessionHash, tokenHash} {
		if signedIn(e, &http.Cookie{Name: "wsf_session", Value: v}) {
			t.Errorf("cookie %q made from the database signs in", v)
		}
	}
}

// TestSessionEnds: sign-out ends the session on the server (a copy of the
// cookie is worthless afterwards), so do an idle hour, the absolute limit
// and revoking the token.
func TestSessionEnds(t *testing.T) {
	e, _ := sessionEnv(t, web.Config{SessionMaxAge: 12 * time.Hour, SessionIdle: time.Hour})

	c, _ := e.signIn(t, e.read, "/")
	copied := *c
	csrf := e.page("GET", "/", nil, c).find(t, `form[action="/signout"] input[name="csrf"]`).AttrOr("value", "")
	if out := e.page("POST", "/signout", url.Values{"csrf": {csrf}}, c); out.status != http.StatusSeeOther {
		t.Fatalf("sign out: %d", out.status)
	}
	if signedIn(e, &copied) {
		t.Errorf("a copy of the cookie still works after sign-out")
	}

	idle, _ := e.signIn(t, e.read, "/")
	for range 3 {
		e.clock.Advance(50 * time.Minute)
		if !signedIn(e, idle) {
			t.Fatalf("a session used every 50 minutes ended")
		}
	}
	e.clock.Advance(61 * time.Minute)
	if signedIn(e, idle) {
		t.Errorf("a session unused for 61 minutes is still signed in")
	}

	busy, _ := e.signIn(t, e.read, "/")
	for range 23 {
		e.clock.Advance(30 * time.Minute)
		if !signedIn(e, busy) {
			t.Fatalf("a busy session ended before 12 hours")
		}
	}
	e.clock.Advance(31 * time.Minute)
	if signedIn(e, busy) {
		t.Errorf("a busy session outlived 12 hours")
	}

	r1, _ := e.signIn(t, e.read, "/")
	a1, _ := e.signIn(t, e.admin, "/")
	toks, _ := e.st.Tokens(t.Context())
	for _, tok := range toks {
		if tok.Scope == probes.ScopeRead {
			if err := e.st.RevokeToken(t.Context(), tok.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	if signedIn(e, r1) || !signedIn(e, a1) {
		t.Errorf("revoking the read token: its session live=%v, the admin's live=%v", signedIn(e, r1), signedIn(e, a1))
	}
}

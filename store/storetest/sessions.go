package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/store"
)

// testSessions: server-side dashboard sessions end when idle, at their
// absolute expiry, on sign-out, and when their token is revoked.
func testSessions(t *testing.T, open Opener) {
	s, clock := fixed(t, open, store.Options{})
	_, reader, err := s.CreateToken(ctx(), "reader", probes.ScopeRead)
	if err != nil {
		t.Fatal(err)
	}
	_, admin, _ := s.CreateToken(ctx(), "admin", probes.ScopeAdmin)
	open1 := func(tok probes.Token) string {
		t.Helper()
		id, err := s.CreateSession(ctx(), probes.Session{Via: probes.SignInToken, TokenID: tok.ID, User: tok.Name, Scope: tok.Scope,
			ExpiresAt: clock.Now().Add(12 * time.Hour), Idle: time.Hour})
		if err != nil || len(id) < 40 {
			t.Fatalf("create session: %q %v", id, err)
		}
		return id
	}
	live := func(id string) bool {
		t.Helper()
		_, err := s.Session(ctx(), id)
		if err != nil && !errors.Is(err, probes.ErrNotFound) {
			t.Fatalf("session: %v", err)
		}
		return err == nil
	}

	a := open1(reader)
	got, err := s.Session(ctx(), a)
	if err != nil || got.Via != probes.SignInToken || got.TokenID != reader.ID || got.User != "reader" || got.Scope != probes.ScopeRead ||
		got.Idle != time.Hour || !got.ExpiresAt.Equal(T0.Add(12*time.Hour)) || !got.CreatedAt.Equal(T0) {
		t.Fatalf("session = %+v, %v", got, err)
	}
	if b := open1(reader); b == a {
		t.Fatalf("two sign-ins share a session id")
	}
	for _, bad := range []string{"", a + "x", a[:len(a)-1], "Bearer " + a} {
		if live(bad) {
			t.Errorf("Session(%q) found a session", bad)
		}
	}

	// Used every 50 minutes it stays; unused for an hour it ends.
	for range 3 {
		clock.Advance(50 * time.Minute)
		if !live(a) {
			t.Fatalf("a session used every 50 minutes ended at %s", clock.Now())
		}
	}
	clock.Advance(61 * time.Minute)
	if live(a) {
		t.Errorf("a session unused for 61 minutes is still live")
	}

	// However busy, it ends at its absolute expiry.
	c := open1(reader)
	end := clock.Now().Add(12 * time.Hour)
	for clock.Now().Add(30 * time.Minute).Before(end) {
		clock.Advance(30 * time.Minute)
		if !live(c) {
			t.Fatalf("a busy session ended early at %s", clock.Now())
		}
	}
	clock.Advance(30 * time.Minute)
	if live(c) {
		t.Errorf("a session outlived its absolute expiry")
	}

	// Revoking a token ends its sessions, not others'.
	r, ad := open1(reader), open1(admin)
	if err := s.RevokeToken(ctx(), reader.ID); err != nil {
		t.Fatal(err)
	}
	if live(r) || !live(ad) {
		t.Errorf("after revoking reader: reader's session live=%v, admin's live=%v", live(r), live(ad))
	}

	// Sign-out ends exactly that session; signing out twice is no error.
	ad2 := open1(admin)
	if err := s.DeleteSession(ctx(), ad); err != nil {
		t.Fatal(err)
	}
	if live(ad) || !live(ad2) {
		t.Errorf("sign-out ended the wrong sessions")
	}
	if err := s.DeleteSession(ctx(), ad); err != nil {
		t.Errorf("second sign-out: %v", err)
	}

	// Single sign-on sessions have no token.
	sso, err := s.CreateSession(ctx(), probes.Session{Via: probes.SignInOIDC, User: "Jane Doe", Subject: "https://idp.example|1234", Scope: probes.ScopeAdmin,
		ExpiresAt: clock.Now().Add(time.Hour), Idle: 2 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.Session(ctx(), sso); err != nil || got.TokenID != 0 || got.Subject != "https://idp.example|1234" || !got.Allows(probes.ScopeRead) {
		t.Errorf("sso session = %+v, %v", got, err)
	}
	clock.Advance(time.Hour) // idle longer than the absolute end: the absolute end wins
	if live(sso) {
		t.Errorf("an idle allowance past the absolute expiry kept the session")
	}

	var ve *probes.ValidationError
	for name, bad := range map[string]probes.Session{
		"no token":   {Via: probes.SignInToken, User: "x", Scope: probes.ScopeRead, ExpiresAt: clock.Now().Add(time.Hour), Idle: time.Hour},
		"bad via":    {Via: "cookie", User: "x", Scope: probes.ScopeRead, ExpiresAt: clock.Now().Add(time.Hour), Idle: time.Hour},
		"bad scope":  {Via: probes.SignInOIDC, User: "x", Scope: "root", ExpiresAt: clock.Now().Add(time.Hour), Idle: time.Hour},
		"no user":    {Via: probes.SignInOIDC, User: " ", Scope: probes.ScopeRead, ExpiresAt: clock.Now().Add(time.Hour), Idle: time.Hour},
		"past":       {Via: probes.SignInOIDC, User: "x", Scope: probes.ScopeRead, ExpiresAt: clock.Now(), Idle: time.Hour},
		"no idle":    {Via: probes.SignInOIDC, User: "x", Scope: probes.ScopeRead, ExpiresAt: clock.Now().Add(time.Hour)},
		"no expires": {Via: probes.SignInOIDC, User: "x", Scope: probes.ScopeRead, Idle: time.Hour},
	} {
		if _, err := s.CreateSession(ctx(), bad); !errors.As(err, &ve) {
			t.Errorf("%s: %v, want a validation error", name, err)
		}
	}
}

// testSignInAttempts: a single sign-on attempt is used up by its first answer.
func testSignInAttempts(t *testing.T, open Opener) {
	s, clock := fixed(t, open, store.Options{})
	state := "state-0123456789abcdef0123456789abcdef"
	want := probes.SignInAttempt{Nonce: "n-1", Verifier: "v-1", Next: "/gaps", ExpiresAt: clock.Now().Add(10 * time.Minute)}
	if err := s.SaveSignInAttempt(ctx(), state, want); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TakeSignInAttempt(ctx(), state+"x"); !errors.Is(err, probes.ErrNotFound) {
		t.Errorf("another state: %v", err)
	}
	got, err := s.TakeSignInAttempt(ctx(), state)
	if err != nil || got.Nonce != want.Nonce || got.Verifier != want.Verifier || got.Next != want.Next || !got.ExpiresAt.Equal(want.ExpiresAt) {
		t.Fatalf("take = %+v, %v", got, err)
	}
	if _, err := s.TakeSignInAttempt(ctx(), state); !errors.Is(err, probes.ErrNotFound) {
		t.Errorf("a replayed state: %v, want ErrNotFound", err)
	}

	late := "late-0123456789abcdef0123456789abcdef0"
	if err := s.SaveSignInAttempt(ctx(), late, want); err != nil {
		t.Fatal(err)
	}
	clock.Advance(11 * time.Minute)
	if _, err := s.TakeSignInAttempt(ctx(), late); !errors.Is(err, probes.ErrNotFound) {
		t.Errorf("an expired attempt: %v, want ErrNotFound", err)
	}
	clock.Advance(-11 * time.Minute)
	if _, err := s.TakeSignInAttempt(ctx(), late); !errors.Is(err, probes.ErrNotFound) {
		t.Errorf("an expired attempt is used up too: %v", err)
	}
	var ve *probes.ValidationError
	if err := s.SaveSignInAttempt(ctx(), "short", want); !errors.As(err, &ve) {
		t.Errorf("a short state: %v", err)
	}
}

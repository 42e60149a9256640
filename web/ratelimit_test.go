package web_test

import (
	"github.com/wsusfleet/wsusfleet/web"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"
)

func (e *env) from(addr, method, path, token string, header ...string) response {
	e.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader("{}"))
	req.RemoteAddr = addr
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return response{rec.Code, rec.Header(), rec.Body.Bytes()}
}

// TestFailedTokensAreRateLimited: an address that keeps sending wrong
// bearer tokens is answered 429 with Retry-After before its tokens are even
// looked up; other addresses are not affected, and the limit lifts.
func TestFailedTokensAreRateLimited(t *testing.T) {
	e := newEnv(t, web.Config{Limits: web.Limits{AuthFailures: 5, AuthFailureEvery: 10 * time.Second}})
	const attacker, neighbour = "198.51.100.7:4000", "198.51.100.8:4000"
	for i := range 5 {
		if res := e.from(attacker, "POST", "/api/v1/reports", "wsf_guess"+strings.Repeat("x", i)); res.status != 401 {
			t.Fatalf("guess %d: %d", i, res.status)
		}
	}
	res := e.from(attacker, "POST", "/api/v1/reports", "wsf_guess-again")
	if res.status != 429 || res.header.Get("Retry-After") != "10" {
		t.Fatalf("sixth wrong token: %d Retry-After %q, want 429 and 10", res.status, res.header.Get("Retry-After"))
	}
	if p := res.problem(t); !strings.Contains(p.Detail, "too many failed") {
		t.Errorf("429 detail: %q", p.Detail)
	}
	// Even a right token waits: otherwise guessing would go on, told apart by success.
	if res := e.from(attacker, "POST", "/api/v1/reports", e.ingest); res.status != 429 {
		t.Errorf("a right token from the blocked address: %d, want 429", res.status)
	}
	// Missing tokens are no guesses; other addresses are unaffected.
	if res := e.from(neighbour, "POST", "/api/v1/reports", "wsf_wrong"); res.status != 401 {
		t.Errorf("another address: %d, want 401", res.status)
	}
	e.clock.Advance(10 * time.Second)
	if res := e.from(attacker, "POST", "/api/v1/reports", "wsf_wrong"); res.status != 401 {
		t.Errorf("after Retry-After: %d, want 401", res.status)
	}
	if res := e.from(attacker, "POST", "/api/v1/reports", "wsf_wrong"); res.status != 429 {
		t.Errorf("one failure allowed per refill: %d, want 429", res.status)
	}
	// IPv6: one host owns its /64.
	for i := range 5 {
		e.from("[2001:db8:1:2::"+string(rune('a'+i))+"]:4000", "POST", "/api/v1/reports", "wsf_guess")
	}
	if res := e.from("[2001:db8:1:2::ff]:4000", "POST", "/api/v1/reports", "wsf_guess"); res.status != 429 {
		t.Errorf("guesses spread over one /64: %d, want 429", res.status)
	}
}

// TestFailedSignInsAreRateLimited: the sign-in form too.
func TestFailedSignInsAreRateLimited(t *testing.T) {
	e := newPageEnv(t, web.Config{Limits: web.Limits{AuthFailures: 3, AuthFailureEvery: time.Minute}})
	for range 3 {
		if c, p := e.signIn(t, "wsf_guess", "/"); c != nil || p.status != 401 {
			t.Fatalf("wrong token: %d", p.status)
		}
	}
	c, p := e.signIn(t, e.admin, "/")
	if c != nil || p.status != 429 || p.header.Get("Retry-After") != "60" || !strings.Contains(p.find(t, testid("signin-error")).Text(), "Too many failed sign-ins") {
		t.Errorf("fourth sign-in: %d %q, want 429 with Retry-After 60 and the reason", p.status, p.header.Get("Retry-After"))
	}
	e.clock.Advance(time.Minute)
	if c, p := e.signIn(t, e.admin, "/"); c == nil || p.status != http.StatusSeeOther {
		t.Errorf("after a minute: %d", p.status)
	}
}

// TestTrustedProxy: X-Forwarded-For and -Proto count only from the proxies
// given; the client behind a trusted proxy is limited by its own address.
func TestTrustedProxy(t *testing.T) {
	e := newPageEnv(t, web.Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.9.0.0/24")},
		Limits: web.Limits{AuthFailures: 2, AuthFailureEvery: time.Minute}})
	const proxy = "10.9.0.5:5000"
	signInVia := func(remote string, header ...string) *httptest.ResponseRecorder {
		form := e.page("GET", "/signin", nil)
		field := form.find(t, `input[name="csrf"]`).AttrOr("value", "")
		req := httptest.NewRequest("POST", "/signin", strings.NewReader(url.Values{"csrf": {field}, "token": {e.read}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(cookieOf(t, form.header, "wsf_csrf"))
		req.RemoteAddr = remote
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, req)
		return rec
	}
	rec := signInVia(proxy, "X-Forwarded-Proto", "https", "X-Forwarded-For", "203.0.113.9")
	if c := cookieOf(t, rec.Header(), "wsf_session"); c == nil || !c.Secure || rec.Header().Get("Strict-Transport-Security") == "" {
		t.Errorf("through a trusted TLS proxy: cookie %+v, HSTS %q; want Secure and HSTS", c, rec.Header().Get("Strict-Transport-Security"))
	}
	rec = signInVia("192.0.2.50:5000", "X-Forwarded-Proto", "https")
	if c := cookieOf(t, rec.Header(), "wsf_session"); c == nil || c.Secure || rec.Header().Get("Strict-Transport-Security") != "" {
		t.Errorf("X-Forwarded-Proto from anyone else must be ignored: cookie %+v", c)
	}
	if rec.Header().Get("X-Request-ID") == "" {
		t.Errorf("no request id")
	}
	untrusted := e.from("192.0.2.50:5000", "GET", "/healthz", "", "X-Request-ID", "from-anyone")
	trusted := e.from(proxy, "GET", "/healthz", "", "X-Request-ID", "from-proxy")
	if untrusted.header.Get("X-Request-ID") == "from-anyone" || trusted.header.Get("X-Request-ID") != "from-proxy" {
		t.Errorf("X-Request-ID: untrusted %q, trusted %q", untrusted.header.Get("X-Request-ID"), trusted.header.Get("X-Request-ID"))
	}

	// Two clients behind the proxy are limited apart; a spoofed left-most
	// X-Forwarded-For entry does not move a client to another bucket.
	for range 2 {
		e.from(proxy, "POST", "/api/v1/reports", "wsf_guess", "X-Forwarded-For", "203.0.113.1")
	}
	if res := e.from(proxy, "POST", "/api/v1/reports", "wsf_guess", "X-Forwarded-For", "6.6.6.6, 203.0.113.1"); res.status != 429 {
		t.Errorf("a blocked client with a spoofed X-Forwarded-For entry: %d, want 429", res.status)
	}
	if res := e.from(proxy, "POST", "/api/v1/reports", "wsf_guess", "X-Forwarded-For", "203.0.113.2"); res.status != 401 {
		t.Errorf("another client behind the proxy: %d, want 401", res.status)
	}
}

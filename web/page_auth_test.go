package web_test

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/web"
)

func cookieOf(t *testing.T, h http.Header, name string) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// signIn goes through the sign-in form as a browser does and returns the
// session cookie ("" token: just the form's CSRF cookie and field).
func (e *env) signIn(t *testing.T, token, next string) (session *http.Cookie, res page) {
	t.Helper()
	form := e.page("GET", "/signin?next="+url.QueryEscape(next), nil)
	csrfCookie := cookieOf(t, form.header, "wsf_csrf")
	field := form.find(t, `form[action="/signin"] input[name="csrf"]`).AttrOr("value", "")
	if csrfCookie == nil || field == "" || csrfCookie.Value != field {
		t.Fatalf("sign-in form without its CSRF cookie and field: %v %q", csrfCookie, field)
	}
	res = e.page("POST", "/signin", url.Values{"csrf": {field}, "token": {token}, "next": {form.find(t, `input[name="next"]`).AttrOr("value", "")}}, csrfCookie)
	return cookieOf(t, res.header, "wsf_session"), res
}

func TestSignInWithReadAuthToken(t *testing.T) {
	e := newPageEnv(t, web.Config{ReadAuth: web.ReadAuthToken})
	seedScenario(t, e.env)

	for _, path := range []string{"/", "/servers/wsus-west.corp.example?gap=removed", "/gaps", "/hierarchy", "/servers/wsus-west.corp.example/clients.csv"} {
		p := e.page("GET", path, nil)
		if p.status != http.StatusSeeOther || p.header.Get("Location") != "/signin?next="+url.QueryEscape(path) {
			t.Errorf("%s without a session: %d → %q", path, p.status, p.header.Get("Location"))
		}
	}
	if c, p := e.signIn(t, e.ingest, "/"); c != nil || p.status != 401 || !strings.Contains(p.find(t, testid("signin-error")).Text(), "scope ingest") {
		t.Errorf("an ingest token must not sign in: %d", p.status)
	}
	if c, p := e.signIn(t, "wsf_wrong", "/"); c != nil || p.status != 401 || p.find(t, testid("signin-error")).Length() != 1 {
		t.Errorf("a wrong token: %d", p.status)
	}

	c, p := e.signIn(t, e.read, "/servers/wsus-west.corp.example?gap=removed")
	if c == nil || p.status != http.StatusSeeOther || p.header.Get("Location") != "/servers/wsus-west.corp.example?gap=removed" {
		t.Fatalf("sign-in: %d → %q", p.status, p.header.Get("Location"))
	}
	if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure || c.Path != "/" || c.MaxAge <= 0 {
		t.Errorf("session cookie %+v: want HttpOnly, SameSite=Lax, not Secure over plain HTTP", c)
	}
	if p := e.page("GET", "/", nil, c); p.status != 200 || p.find(t, testid("signed-in")).Text() != "test-read · read" {
		t.Errorf("with a session: %d %q", p.status, p.find(t, testid("signed-in")).Text())
	}
	if p := e.page("GET", "/servers/wsus-west.corp.example/clients.csv", nil, c); p.status != 200 {
		t.Errorf("CSV with a session: %d", p.status)
	}
	// The API still wants a bearer token; a session cookie is not one.
	req := httptest.NewRequest("GET", "/api/v1/servers", nil)
	req.AddCookie(c)
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	if rec.Code != 401 {
		t.Errorf("API with only a session cookie: %d", rec.Code)
	}

	// A forged or altered cookie is no session.
	for _, v := range []string{c.Value + "x", c.Value[:len(c.Value)-1], flipFirst(c.Value), "v1.1.99999999999.n.mac", ""} {
		if p := e.page("GET", "/", nil, &http.Cookie{Name: "wsf_session", Value: v}); p.status != http.StatusSeeOther {
			t.Errorf("cookie %q: %d", v, p.status)
		}
	}
	// Expired: twelve hours later the session is over.
	e.clock.Advance(13 * 60 * 60 * 1e9)
	if p := e.page("GET", "/", nil, c); p.status != http.StatusSeeOther {
		t.Errorf("after 13 h: %d", p.status)
	}
}

func TestSessionCookieSecureOverTLS(t *testing.T) {
	e := newPageEnv(t, web.Config{})
	form := e.page("GET", "/signin", nil)
	field := form.find(t, `input[name="csrf"]`).AttrOr("value", "")
	req := httptest.NewRequest("POST", "/signin", strings.NewReader(url.Values{"csrf": {field}, "token": {e.read}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(cookieOf(t, form.header, "wsf_csrf"))
	req.TLS = &tls.ConnectionState{}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	if c := cookieOf(t, rec.Header(), "wsf_session"); c == nil || !c.Secure {
		t.Errorf("over TLS the session cookie must be Secure: %+v", c)
	}
}

func TestSignInCSRFAndRedirects(t *testing.T) {
	e := newPageEnv(t, web.Config{})
	form := e.page("GET", "/signin", nil)
	csrf := cookieOf(t, form.header, "wsf_csrf")
	for name, tc := range map[string]struct {
		field   string
		cookies []*http.Cookie
	}{
		"no field":       {"", []*http.Cookie{csrf}},
		"no cookie":      {csrf.Value, nil},
		"mismatch":       {flipFirst(csrf.Value), []*http.Cookie{csrf}},
		"cookie planted": {"planted-value-planted-value-planted", []*http.Cookie{{Name: "wsf_csrf", Value: "other-value-other-value-other-value"}}},
	} {
		if p := e.page("POST", "/signin", url.Values{"csrf": {tc.field}, "token": {e.admin}}, tc.cookies...); p.status != 403 || p.find(t, testid("error-page")).Length() != 1 || cookieOf(t, p.header, "wsf_session") != nil {
			t.Errorf("%s: %d", name, p.status)
		}
	}
	for next, want := range map[string]string{"//evil.example/x": "/", `/\evil.example`: "/", "https://evil.example/": "/", "/gaps?x=1": "/gaps?x=1"} {
		if _, p := e.signIn(t, e.read, next); p.header.Get("Location") != want {
			t.Errorf("next=%q → %q, want %q", next, p.header.Get("Location"), want)
		}
	}
}

func TestTokensPage(t *testing.T) {
	e := newPageEnv(t, web.Config{}) // reading is open, token management is not
	if p := e.page("GET", "/settings/tokens", nil); p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/signin?next=%2Fsettings%2Ftokens") {
		t.Errorf("without a session: %d → %q", p.status, p.header.Get("Location"))
	}
	if p := e.page("POST", "/settings/tokens", url.Values{"name": {"x"}, "scope": {"admin"}}); p.status != 401 {
		t.Errorf("POST without a session: %d", p.status)
	}
	reader, _ := e.signIn(t, e.read, "/")
	if p := e.page("GET", "/settings/tokens", nil, reader); p.status != 403 || !strings.Contains(p.find(t, testid("error-detail")).Text(), "admin") {
		t.Errorf("a read session: %d", p.status)
	}

	admin, _ := e.signIn(t, e.admin, "/settings/tokens")
	p := e.page("GET", "/settings/tokens", nil, admin)
	if p.status != 200 || p.find(t, testid("token-row")).Length() != 3 {
		t.Fatalf("tokens: %d, %d rows", p.status, p.find(t, testid("token-row")).Length())
	}
	checkSafeHTML(t, "tokens", p)
	csrf := p.find(t, testid("token-create")+` input[name="csrf"]`).AttrOr("value", "")
	if csrf == "" || p.find(t, `form[action="/signout"] input[name="csrf"]`).AttrOr("value", "") != csrf {
		t.Fatalf("forms should carry the session's CSRF token")
	}
	for name, field := range map[string]string{"missing": "", "wrong": "x" + csrf} {
		if p := e.page("POST", "/settings/tokens", url.Values{"csrf": {field}, "name": {"evil"}, "scope": {"admin"}}, admin); p.status != 403 {
			t.Errorf("create with a %s CSRF token: %d", name, p.status)
		}
	}
	// Another session's token does not work here either.
	other, _ := e.signIn(t, e.admin, "/")
	otherCSRF := e.page("GET", "/settings/tokens", nil, other).find(t, `input[name="csrf"]`).AttrOr("value", "")
	if otherCSRF == csrf {
		t.Errorf("two sessions share a CSRF token")
	}
	if p := e.page("POST", "/settings/tokens", url.Values{"csrf": {otherCSRF}, "name": {"evil"}, "scope": {"admin"}}, admin); p.status != 403 {
		t.Errorf("create with another session's CSRF token: %d", p.status)
	}

	name := `collector <b>wsus01</b>`
	p = e.page("POST", "/settings/tokens", url.Values{"csrf": {csrf}, "name": {name}, "scope": {"ingest"}}, admin)
	secret := p.find(t, testid("token-secret")+" code").Text()
	if p.status != 200 || !strings.HasPrefix(secret, "wsf_") || !strings.Contains(p.find(t, testid("token-created")).Text(), name) {
		t.Fatalf("create: %d secret %q", p.status, secret)
	}
	checkSafeHTML(t, "token created", p)
	if p.header.Get("Cache-Control") != "no-store" {
		t.Errorf("the page with a secret must not be cached: %q", p.header.Get("Cache-Control"))
	}
	if tok, err := e.st.Authenticate(t.Context(), secret); err != nil || tok.Scope != probes.ScopeIngest || tok.Name != name {
		t.Errorf("the new token does not work: %+v %v", tok, err)
	}
	if again := e.page("GET", "/settings/tokens", nil, admin); again.find(t, testid("token-secret")).Length() != 0 || strings.Contains(string(again.body), secret) {
		t.Errorf("the secret is shown only once")
	}
	if p := e.page("POST", "/settings/tokens", url.Values{"csrf": {csrf}, "name": {""}, "scope": {"root"}}, admin); p.status != 422 || p.find(t, testid("token-error")).Length() != 1 {
		t.Errorf("invalid create: %d", p.status)
	}

	// Revoke the read token: its session ends at once.
	rows := e.page("GET", "/settings/tokens", nil, admin).find(t, testid("token-row"))
	action := ""
	for i := range rows.Length() {
		if strings.HasPrefix(rows.Eq(i).Find("td").First().Text(), "test-read") {
			action = rows.Eq(i).Find("form").AttrOr("action", "")
		}
	}
	if p := e.page("POST", action, url.Values{"csrf": {"nope"}}, admin); p.status != 403 {
		t.Errorf("revoke without CSRF: %d", p.status)
	}
	if p := e.page("POST", action, url.Values{"csrf": {csrf}}, admin); p.status != http.StatusSeeOther {
		t.Errorf("revoke %s: %d", action, p.status)
	}
	if p := e.page("GET", "/settings/tokens", nil, reader); p.status != http.StatusSeeOther {
		t.Errorf("a revoked token's session should be over: %d", p.status)
	}
	if p := e.page("GET", "/settings/tokens", nil, admin); p.find(t, testid("token-revoked")).Length() != 1 {
		t.Errorf("the revoked token should show as revoked")
	}
	if p := e.page("POST", "/settings/tokens/999/revoke", url.Values{"csrf": {csrf}}, admin); p.status != 404 || p.find(t, testid("error-page")).Length() != 1 {
		t.Errorf("revoke an unknown token: %d", p.status)
	}

	// Sign out needs the CSRF token too, then the session is gone here.
	if p := e.page("POST", "/signout", url.Values{"csrf": {"x"}}, admin); p.status != 403 {
		t.Errorf("sign out without CSRF: %d", p.status)
	}
	out := e.page("POST", "/signout", url.Values{"csrf": {csrf}}, admin)
	if c := cookieOf(t, out.header, "wsf_session"); out.status != http.StatusSeeOther || c == nil || c.MaxAge >= 0 {
		t.Errorf("sign out: %d %+v", out.status, c)
	}
}

// flipFirst changes a value's first character, whatever it is.
func flipFirst(v string) string {
	if v[0] == 'A' {
		return "B" + v[1:]
	}
	return "A" + v[1:]
}

package web_test

import (
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
	"github.com/wsusfleet/wsusfleet/web"
)

// ssoEnv is a dashboard that needs a sign-in, served on loopback next to a
// real OpenID Connect provider (mockoidc: discovery, keys, authorize and
// token endpoints, signed ID tokens, PKCE checks).
type ssoEnv struct {
	t    *testing.T
	idp  *mockoidc.MockOIDC
	srv  *httptest.Server
	st   *store.Store
	mu   sync.Mutex
	auth []url.Values // the authorize requests the provider got
}

func newSSOEnv(t *testing.T) *ssoEnv {
	t.Helper()
	idp, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	s := &ssoEnv{t: t, idp: idp}
	idp.AddMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, mockoidc.AuthorizationEndpoint) {
				s.mu.Lock()
				s.auth = append(s.auth, r.URL.Query())
				s.mu.Unlock()
			}
			next.ServeHTTP(w, r)
		})
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := idp.Start(ln, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idp.Shutdown() })

	s.st = storetest.OpenSQLite(t, store.Options{})
	var h http.Handler
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(s.srv.Close)
	cfg := &web.OIDCConfig{Issuer: idp.Issuer(), ClientID: idp.ClientID, ClientSecret: idp.ClientSecret,
		RedirectURL: s.srv.URL + "/auth/oidc/callback", Claim: "groups", Scopes: []string{"groups"}, Name: "Corp SSO",
		GroupScopes: map[string]string{"wsus-admins": probes.ScopeAdmin, "helpdesk": probes.ScopeRead}}
	if err := cfg.Check(); err != nil {
		t.Fatal(err)
	}
	h = web.New(s.st, web.Config{ReadAuth: web.ReadAuthToken, OIDC: cfg})
	return s
}

// browser is a cookie-keeping client that follows redirects and remembers
// the callback URLs it passed through.
type browser struct {
	*http.Client
	callbacks []string
}

func (s *ssoEnv) browser() *browser {
	jar, _ := cookiejar.New(nil)
	b := &browser{}
	b.Client = &http.Client{Jar: jar, Timeout: 20 * time.Second, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if req.URL.Path == "/auth/oidc/callback" {
			b.callbacks = append(b.callbacks, req.URL.String())
		}
		return nil
	}}
	return b
}

type ssoPage struct {
	status int
	url    *url.URL
	doc    *goquery.Document
}

func (b *browser) get(t *testing.T, u string) ssoPage {
	t.Helper()
	res, err := b.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	return ssoPage{status: res.StatusCode, url: res.Request.URL, doc: doc}
}

func (p ssoPage) text(testid string) string {
	return strings.TrimSpace(p.doc.Find(`[data-testid="` + testid + `"]`).Text())
}

// signIn goes through single sign-on as user and lands on next.
func (s *ssoEnv) signIn(user mockoidc.User, next string) (*browser, ssoPage) {
	s.t.Helper()
	b := s.browser()
	signin := b.get(s.t, s.srv.URL+"/signin?next="+url.QueryEscape(next))
	href, ok := signin.doc.Find(`[data-testid="signin-sso"]`).Attr("href")
	if !ok || signin.text("signin-sso") != "Sign in with Corp SSO" {
		s.t.Fatalf("the sign-in page has no single sign-on button")
	}
	s.idp.QueueUser(user)
	return b, b.get(s.t, s.srv.URL+href)
}

func member(sub, name string, groups ...string) *mockoidc.MockUser {
	return &mockoidc.MockUser{Subject: sub, PreferredUsername: name, Email: name + "@corp.example", EmailVerified: true, Groups: groups}
}

func TestSingleSignOn(t *testing.T) {
	s := newSSOEnv(t)

	b, p := s.signIn(member("u-1", "jane.doe", "engineering", "wsus-admins"), "/gaps?x=1")
	if p.status != 200 || p.url.Path != "/gaps" || p.url.RawQuery != "x=1" || p.text("signed-in") != "jane.doe · admin" {
		t.Fatalf("after single sign-on: %d at %s, signed in as %q", p.status, p.url, p.text("signed-in"))
	}
	if p := b.get(t, s.srv.URL+"/settings/tokens"); p.status != 200 {
		t.Errorf("an admin group member on the tokens page: %d", p.status)
	}
	s.mu.Lock()
	auth := s.auth[len(s.auth)-1]
	s.mu.Unlock()
	if auth.Get("code_challenge_method") != "S256" || len(auth.Get("code_challenge")) < 43 || len(auth.Get("nonce")) < 32 || len(auth.Get("state")) < 32 ||
		!strings.Contains(auth.Get("scope"), "openid") {
		t.Errorf("the authorize request lacks PKCE, nonce or state: %v", auth)
	}

	// Read only: the helpdesk may look, not manage tokens.
	reader, p := s.signIn(member("u-2", "hal", "helpdesk"), "/")
	if p.status != 200 || p.text("signed-in") != "hal · read" {
		t.Errorf("a helpdesk member: %d %q", p.status, p.text("signed-in"))
	}
	if p := reader.get(t, s.srv.URL+"/settings/tokens"); p.status != 403 {
		t.Errorf("a read session on the tokens page: %d", p.status)
	}

	// In none of the mapped groups: refused, no session.
	outsider, p := s.signIn(member("u-3", "eve", "engineering"), "/")
	if p.status != 403 || !strings.Contains(p.text("signin-error"), "none of the groups") {
		t.Errorf("someone in no mapped group: %d %q", p.status, p.text("signin-error"))
	}
	if p := outsider.get(t, s.srv.URL+"/"); p.url.Path != "/signin" {
		t.Errorf("someone in no mapped group reached %s", p.url)
	}

	// Sign-out ends the session on the server.
	csrf, _ := b.get(t, s.srv.URL+"/").doc.Find(`form[action="/signout"] input[name="csrf"]`).Attr("value")
	res, err := b.PostForm(s.srv.URL+"/signout", url.Values{"csrf": {csrf}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if p := b.get(t, s.srv.URL+"/"); p.url.Path != "/signin" {
		t.Errorf("after sign-out: %s", p.url)
	}
}

// tampered is a provider user whose ID token is changed before signing.
type tampered struct {
	*mockoidc.MockUser
	change func(*mockoidc.IDTokenClaims)
}

func (u tampered) Claims(scope []string, c *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	u.change(c)
	return u.MockUser.Claims(scope, c)
}

// TestSingleSignOnRefusesBadTokens: an ID token for another application, an
// expired one, or one for another sign-in (nonce) makes no session.
func TestSingleSignOnRefusesBadTokens(t *testing.T) {
	s := newSSOEnv(t)
	for name, tc := range map[string]struct {
		change func(*mockoidc.IDTokenClaims)
		want   string
	}{
		"wrong audience": {func(c *mockoidc.IDTokenClaims) { c.Audience = jwt.ClaimStrings{"another-application"} }, "not valid for this dashboard"},
		"expired": {func(c *mockoidc.IDTokenClaims) {
			c.ExpiresAt = jwt.NewNumericDate(time.Now().Add(-time.Hour))
			c.IssuedAt = jwt.NewNumericDate(time.Now().Add(-2 * time.Hour))
		}, "expired"},
		"wrong issuer": {func(c *mockoidc.IDTokenClaims) { c.Issuer = "https://evil.example/oidc" }, "not valid for this dashboard"},
		"wrong nonce":  {func(c *mockoidc.IDTokenClaims) { c.Nonce = "another-sign-in" }, "nonce"},
	} {
		b, p := s.signIn(tampered{member("u-"+name, "mallory", "wsus-admins"), tc.change}, "/")
		if p.status != 401 || !strings.Contains(p.text("signin-error"), tc.want) {
			t.Errorf("%s: %d %q, want 401 saying %q", name, p.status, p.text("signin-error"), tc.want)
		}
		if p := b.get(t, s.srv.URL+"/"); p.url.Path != "/signin" {
			t.Errorf("%s: signed in all the same (%s)", name, p.url)
		}
	}
}

// TestSingleSignOnStateIsSingleUseAndBoundToTheBrowser: the provider's
// answer works once, and only in the browser that started the sign-in.
func TestSingleSignOnStateIsSingleUseAndBoundToTheBrowser(t *testing.T) {
	s := newSSOEnv(t)
	b, p := s.signIn(member("u-1", "jane.doe", "wsus-admins"), "/")
	if p.status != 200 || len(b.callbacks) != 1 {
		t.Fatalf("sign-in: %d, %d callbacks", p.status, len(b.callbacks))
	}
	callback := b.callbacks[0]
	state, _ := url.Parse(callback)

	// Replayed, even with the state cookie put back: the attempt is used up.
	replay := s.browser()
	u, _ := url.Parse(s.srv.URL)
	replay.Jar.SetCookies(&url.URL{Scheme: "http", Host: u.Host, Path: "/auth/oidc/callback"},
		[]*http.Cookie{{Name: "wsf_oidc_state", Value: state.Query().Get("state"), Path: "/auth/oidc/callback"}})
	if p := replay.get(t, callback); p.status != 400 || !strings.Contains(p.text("signin-error"), "already used") {
		t.Errorf("a replayed callback: %d %q", p.status, p.text("signin-error"))
	}
	if p := replay.get(t, s.srv.URL+"/"); p.url.Path != "/signin" {
		t.Errorf("the replay signed in")
	}

	// Started in one browser, finished in another (login CSRF): refused.
	victim := s.browser()
	attacker := s.browser()
	attacker.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Path == "/auth/oidc/callback" {
			return http.ErrUseLastResponse // keep the callback for the victim
		}
		return nil
	}
	s.idp.QueueUser(member("u-9", "attacker", "wsus-admins"))
	res, err := attacker.Get(s.srv.URL + "/auth/oidc/start?next=/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	planted := res.Header.Get("Location")
	if !strings.Contains(planted, "/auth/oidc/callback?") {
		t.Fatalf("the provider did not send the attacker back: %d %q", res.StatusCode, planted)
	}
	if p := victim.get(t, planted); p.status != 400 || !strings.Contains(p.text("signin-error"), "did not start in this browser") {
		t.Errorf("a callback from another browser: %d %q", p.status, p.text("signin-error"))
	}
	if p := victim.get(t, s.srv.URL+"/"); p.url.Path != "/signin" {
		t.Errorf("the victim was signed in as the attacker")
	}
}

func TestParseGroupScopes(t *testing.T) {
	got, err := web.ParseGroupScopes(" wsus-admins=admin, /corp/helpdesk=read ,a=b=read")
	if err != nil || len(got) != 3 || got["wsus-admins"] != "admin" || got["/corp/helpdesk"] != "read" || got["a=b"] != "read" {
		t.Errorf("ParseGroupScopes = %v, %v", got, err)
	}
	for _, bad := range []string{"", "admins", "admins=root", "=admin", "x=ingest"} {
		if _, err := web.ParseGroupScopes(bad); err == nil {
			t.Errorf("ParseGroupScopes(%q) accepted", bad)
		}
	}
}

// TestSingleSignOnStartsAreLimited: each sign-in begun stores an attempt, so
// one address may begin only so many in a row.
func TestSingleSignOnStartsAreLimited(t *testing.T) {
	s := newSSOEnv(t)
	b := s.browser()
	b.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	status := func() int {
		res, err := b.Get(s.srv.URL + "/auth/oidc/start")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	for i := range 30 {
		if got := status(); got != http.StatusFound {
			t.Fatalf("sign-in %d begun: %d", i, got)
		}
	}
	if got := status(); got != http.StatusTooManyRequests {
		t.Errorf("the 31st sign-in begun in a row: %d, want 429", got)
	}
}

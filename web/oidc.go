package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/web/ui"
)

// OIDCConfig configures single sign-on with an OpenID Connect provider
// (Microsoft Entra ID, Keycloak, any provider with discovery). People sign
// in with the authorization code flow, PKCE, state and nonce; a claim of
// the ID token (their groups or roles) decides their scope.
type OIDCConfig struct {
	Issuer       string // e.g. https://login.microsoftonline.com/<tenant id>/v2.0 or https://sso.corp.example/realms/corp
	ClientID     string
	ClientSecret string
	RedirectURL  string // this dashboard's callback as registered at the provider: https://<host>/auth/oidc/callback
	// Claim holds the groups or roles: "groups", "roles" (Entra app roles),
	// or a dotted path into nested claims ("realm_access.roles" in Keycloak).
	Claim string
	// GroupScopes maps a value of Claim to the scope it grants: read or
	// admin. Someone in no mapped group is refused; in several, the widest
	// scope wins.
	GroupScopes map[string]string
	// Scopes are requested besides openid, profile and email (some
	// providers put groups in the token only when "groups" is asked for).
	Scopes []string
	Name   string // what the sign-in button says: "Sign in with <Name>"
	// HTTPClient talks to the provider (discovery, keys, code exchange);
	// default: one with a 10 s timeout.
	HTTPClient *http.Client
}

// ParseGroupScopes reads "group=scope,group=scope" (the --oidc-groups flag).
func ParseGroupScopes(s string) (map[string]string, error) {
	out := map[string]string{}
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		i := strings.LastIndex(item, "=")
		if i <= 0 {
			return nil, fmt.Errorf("%q: want group=scope", item)
		}
		group, scope := strings.TrimSpace(item[:i]), strings.TrimSpace(item[i+1:])
		if scope != probes.ScopeRead && scope != probes.ScopeAdmin {
			return nil, fmt.Errorf("%q: a group grants read or admin, not %q", item, scope)
		}
		out[group] = scope
	}
	if len(out) == 0 {
		return nil, errors.New("map at least one group to read or admin, e.g. wsus-admins=admin,wsus-readers=read")
	}
	return out, nil
}

const (
	oidcStartPath    = "/auth/oidc/start"
	oidcCallbackPath = "/auth/oidc/callback"
	oidcStateCookie  = "wsf_oidc_state"
	// oidcAttemptTTL: the provider must send the person back within this.
	oidcAttemptTTL = 10 * time.Minute
)

// oidcClient talks to the provider. Discovery runs on first use and is kept
// once it worked, so the dashboard starts even while the provider is down.
type oidcClient struct {
	cfg      OIDCConfig
	mu       sync.Mutex
	provider *oidc.Provider
}

func newOIDCClient(cfg OIDCConfig) *oidcClient {
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Claim == "" {
		cfg.Claim = "groups"
	}
	if cfg.Name == "" {
		cfg.Name = "single sign-on"
	}
	return &oidcClient{cfg: cfg}
}

// ctx carries the client's HTTP client to go-oidc and oauth2.
func (o *oidcClient) ctx(ctx context.Context) context.Context {
	return context.WithValue(oidc.ClientContext(ctx, o.cfg.HTTPClient), oauth2.HTTPClient, o.cfg.HTTPClient)
}

func (o *oidcClient) discover() (*oidc.Provider, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.provider != nil {
		return o.provider, nil
	}
	// A background context: the provider keeps it for fetching keys later.
	p, err := oidc.NewProvider(o.ctx(context.Background()), o.cfg.Issuer)
	if err != nil {
		return nil, err
	}
	o.provider = p
	return p, nil
}

func (o *oidcClient) oauth2(p *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{ClientID: o.cfg.ClientID, ClientSecret: o.cfg.ClientSecret, RedirectURL: o.cfg.RedirectURL,
		Endpoint: p.Endpoint(), Scopes: append([]string{oidc.ScopeOpenID, "profile", "email"}, o.cfg.Scopes...)}
}

// errProvider: the provider could not be reached; the person can retry or
// use a token.
func (a *app) errProvider(r *http.Request, err error) error {
	a.log.Warn("single sign-on provider unreachable", "issuer", a.oidc.cfg.Issuer, "err", err, "request_id", requestID(r.Context()))
	return &httpError{status: http.StatusBadGateway, detail: "the sign-in provider does not answer right now; try again shortly or sign in with a token"}
}

// oidcStart sends the browser to the provider (GET /auth/oidc/start?next=).
// The state goes to this browser in a cookie and, hashed, to the store with
// the nonce and the PKCE verifier; only this browser can finish the sign-in,
// and only once.
func (a *app) oidcStart(w http.ResponseWriter, r *http.Request) error {
	if d := a.guard.starts.wait(clientAddr(r), a.now()); d > 0 {
		return &httpError{status: http.StatusTooManyRequests, detail: "too many sign-ins begun from your address; try again in " + retryAfter(d) + " s",
			header: map[string]string{"Retry-After": retryAfter(d)}}
	}
	a.guard.starts.spend(clientAddr(r), a.now())
	p, err := a.oidc.discover()
	if err != nil {
		return a.errProvider(r, err)
	}
	state, nonce, verifier := randomToken(), randomToken(), oauth2.GenerateVerifier()
	err = a.store.SaveSignInAttempt(r.Context(), state, probes.SignInAttempt{Nonce: nonce, Verifier: verifier,
		Next: localPath(r.URL.Query().Get("next")), ExpiresAt: a.now().Add(oidcAttemptTTL)})
	if err != nil {
		return err
	}
	// Lax: the cookie must come back on the provider's redirect to us.
	http.SetCookie(w, &http.Cookie{Name: oidcStateCookie, Value: state, Path: oidcCallbackPath, MaxAge: int(oidcAttemptTTL.Seconds()),
		HttpOnly: true, Secure: a.secure(r), SameSite: http.SameSiteLaxMode})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, a.oidc.oauth2(p).AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), http.StatusFound)
	return nil
}

// oidcCallback finishes a sign-in (GET /auth/oidc/callback?code=&state=):
// the state must be this browser's and unused, the code is exchanged with
// the PKCE verifier, the ID token must be signed by the provider, issued
// for this dashboard, unexpired and carry the nonce; its groups decide the
// scope.
func (a *app) oidcCallback(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	refuse := func(status int, msg string) error {
		a.authFailed(r)
		return a.render(w, r, status, ui.SignInPage(a.signInView(w, r, "/", msg)))
	}
	if err := a.authThrottle(r); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: oidcStateCookie, Value: "", Path: oidcCallbackPath, MaxAge: -1, HttpOnly: true,
		Secure: a.secure(r), SameSite: http.SameSiteLaxMode})
	state := q.Get("state")
	c, err := r.Cookie(oidcStateCookie)
	if err != nil || state == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(state)) != 1 {
		return refuse(http.StatusBadRequest, "This sign-in did not start in this browser, or took longer than 10 minutes. Sign in again.")
	}
	attempt, err := a.store.TakeSignInAttempt(r.Context(), state)
	if errors.Is(err, probes.ErrNotFound) {
		return refuse(http.StatusBadRequest, "This sign-in was already used or has expired. Sign in again.")
	}
	if err != nil {
		return err
	}
	if e := q.Get("error"); e != "" {
		a.log.Warn("single sign-on refused by the provider", "error", e, "description", q.Get("error_description"), "request_id", requestID(r.Context()))
		return refuse(http.StatusUnauthorized, "The sign-in provider refused: "+e+" "+q.Get("error_description"))
	}
	p, err := a.oidc.discover()
	if err != nil {
		return a.errProvider(r, err)
	}
	ctx, cancel := context.WithTimeout(a.oidc.ctx(r.Context()), 20*time.Second)
	defer cancel()
	tok, err := a.oidc.oauth2(p).Exchange(ctx, q.Get("code"), oauth2.VerifierOption(attempt.Verifier))
	if err != nil {
		a.log.Warn("single sign-on code exchange failed", "err", err, "request_id", requestID(r.Context()))
		return refuse(http.StatusUnauthorized, "The sign-in provider did not accept the sign-in. Sign in again.")
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return refuse(http.StatusUnauthorized, "The sign-in provider sent no ID token.")
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: a.oidc.cfg.ClientID, Now: a.now}).Verify(ctx, raw)
	if err != nil {
		a.log.Warn("single sign-on ID token refused", "err", err, "request_id", requestID(r.Context()))
		var expired *oidc.TokenExpiredError
		if errors.As(err, &expired) {
			return refuse(http.StatusUnauthorized, "The sign-in provider's ID token has expired (are the clocks right?). Sign in again.")
		}
		return refuse(http.StatusUnauthorized, "The sign-in provider's ID token is not valid for this dashboard (issuer, audience or signature); the server log says which.")
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(attempt.Nonce)) != 1 {
		return refuse(http.StatusUnauthorized, "The ID token does not belong to this sign-in (nonce mismatch). Sign in again.")
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return refuse(http.StatusUnauthorized, "The ID token's claims cannot be read.")
	}
	user := firstString(claims, "preferred_username", "email", "name", "sub")
	groups := claimStrings(claims, a.oidc.cfg.Claim)
	scope := a.oidc.scopeOf(groups)
	if scope == "" {
		a.log.Warn("single sign-on: no mapped group", "user", user, "claim", a.oidc.cfg.Claim, "values", len(groups), "request_id", requestID(r.Context()))
		return a.render(w, r, http.StatusForbidden, ui.SignInPage(a.signInView(w, r, "/",
			"You signed in as "+user+", but your account is in none of the groups this dashboard admits (claim "+a.oidc.cfg.Claim+"). Ask its administrator.")))
	}
	err = a.startSession(w, r, probes.Session{Via: probes.SignInOIDC, User: user, Subject: idt.Issuer + "|" + idt.Subject, Scope: scope})
	if err != nil {
		return err
	}
	http.Redirect(w, r, localPath(attempt.Next), http.StatusSeeOther)
	return nil
}

// scopeOf is the widest scope any of groups grants; "" when none does.
func (o *oidcClient) scopeOf(groups []string) string {
	scope := ""
	for _, g := range groups {
		switch o.cfg.GroupScopes[g] {
		case probes.ScopeAdmin:
			return probes.ScopeAdmin
		case probes.ScopeRead:
			scope = probes.ScopeRead
		}
	}
	return scope
}

// claimStrings reads a claim as a list of strings: by its exact name first
// (claim names may be URLs with dots), else as a dotted path into nested
// objects; a single string counts as a list of one.
func claimStrings(claims map[string]any, name string) []string {
	v, ok := claims[name]
	if !ok {
		var cur any = claims
		for part := range strings.SplitSeq(name, ".") {
			m, isMap := cur.(map[string]any)
			if !isMap {
				return nil
			}
			cur = m[part]
		}
		v = cur
	}
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return slices.Compact(out)
	}
	return nil
}

func firstString(claims map[string]any, names ...string) string {
	for _, n := range names {
		if s, ok := claims[n].(string); ok && strings.TrimSpace(s) != "" {
			return s
		}
	}
	return "unknown"
}

// Check names the first setting that is missing or wrong, as the flag
// that sets it.
func (c OIDCConfig) Check() error {
	if u, err := url.Parse(c.Issuer); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("--oidc-issuer: %q is not the provider's https:// URL", c.Issuer)
	}
	if c.ClientID == "" {
		return errors.New("--oidc-client-id: required with --oidc-issuer")
	}
	if c.ClientSecret == "" {
		return errors.New("--oidc-client-secret (better: WSUSFLEET_OIDC_CLIENT_SECRET): required with --oidc-issuer")
	}
	if u, err := url.Parse(c.RedirectURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != oidcCallbackPath {
		return fmt.Errorf("--oidc-redirect-url: %q must be this dashboard's %s, e.g. https://wsusfleet.corp.example%s", c.RedirectURL, oidcCallbackPath, oidcCallbackPath)
	}
	if len(c.GroupScopes) == 0 {
		return errors.New("--oidc-groups: map at least one group to read or admin, e.g. wsus-admins=admin,wsus-readers=read")
	}
	return nil
}

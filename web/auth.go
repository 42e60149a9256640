package web

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/wsusfleet/wsusfleet/probes"
)

func unauthorized(detail string) error {
	return &httpError{status: http.StatusUnauthorized, detail: detail,
		header: map[string]string{"WWW-Authenticate": `Bearer realm="wsusfleet"`}}
}

// bearer extracts the token from "Authorization: Bearer <token>".
func bearer(r *http.Request) string {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// authenticate resolves the request's token and checks it allows scope. A
// client address that sent too many unknown tokens is answered 429 before
// its next one is even looked up.
func (a *app) authenticate(r *http.Request, scope string) (probes.Token, error) {
	secret := bearer(r)
	if secret == "" {
		return probes.Token{}, unauthorized("this needs a token with scope " + scope + ": send Authorization: Bearer <token> (create one with wsusfleet token create)")
	}
	if err := a.authThrottle(r); err != nil {
		return probes.Token{}, err
	}
	tok, err := a.store.Authenticate(r.Context(), secret)
	if errors.Is(err, probes.ErrNotFound) {
		a.authFailed(r)
		return probes.Token{}, unauthorized("the token is unknown or revoked")
	}
	if err != nil {
		return probes.Token{}, err
	}
	if !tok.Allows(scope) {
		return probes.Token{}, errStatus(http.StatusForbidden, "token %q has scope %s; this needs %s", tok.Name, tok.Scope, scopeNeed(scope))
	}
	return tok, nil
}

// scopeNeed names the scopes that allow scope, for error messages.
func scopeNeed(scope string) string {
	var ok []string
	for _, s := range probes.Scopes() {
		if probes.ScopeAllows(s, scope) {
			ok = append(ok, s)
		}
	}
	switch len(ok) {
	case 1:
		return ok[0]
	case 2:
		return ok[0] + " (or " + ok[1] + ")"
	}
	return strings.Join(ok[:len(ok)-1], ", ") + " or " + ok[len(ok)-1]
}

// require admits requests whose bearer token allows scope.
func (a *app) require(scope string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			tok, err := a.authenticate(r, scope)
			if err != nil {
				a.fail(w, r, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), keyToken, tok)))
		})
	}
}

// requireRead guards the GET API: open with --read-auth=none, otherwise a
// token with scope read (or admin).
func (a *app) requireRead(next http.Handler) http.Handler {
	if a.cfg.ReadAuth == ReadAuthNone {
		return next
	}
	return a.require(probes.ScopeRead)(next)
}

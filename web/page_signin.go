package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/web/ui"
)

// signInPage shows the sign-in form (GET /signin?next=/path).
func (a *app) signInPage(w http.ResponseWriter, r *http.Request) error {
	v := ui.SignInView{Layout: a.layout(r, "Sign in", ""), Next: localPath(r.URL.Query().Get("next")), FormKey: a.formCSRF(w, r)}
	v.Layout.SignIn = false
	if s := sessionOf(r); s != nil {
		v.Reason = "You are signed in with " + s.tok.Name + " (scope " + s.tok.Scope + "). Sign in with another token to change it."
	} else if a.cfg.ReadAuth == ReadAuthToken {
		v.Reason = "This dashboard needs a sign-in with a read or admin token."
	}
	return a.render(w, r, http.StatusOK, ui.SignInPage(v))
}

// signIn exchanges a read or admin token for a session cookie (POST /signin).
func (a *app) signIn(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := a.checkCSRF(r, nil); err != nil {
		return err
	}
	next := localPath(r.PostFormValue("next"))
	again := func(msg string) error {
		v := ui.SignInView{Layout: a.layout(r, "Sign in", ""), Next: next, Error: msg, FormKey: a.formCSRF(w, r)}
		v.Layout.SignIn = false
		return a.render(w, r, http.StatusUnauthorized, ui.SignInPage(v))
	}
	tok, err := a.store.Authenticate(r.Context(), strings.TrimSpace(r.PostFormValue("token")))
	switch {
	case errors.Is(err, probes.ErrNotFound):
		return again("That token is unknown or revoked.")
	case err != nil:
		return err
	case !tok.Allows(probes.ScopeRead):
		return again("Token " + tok.Name + " has scope " + tok.Scope + "; sign in with a read or admin token.")
	}
	value, _, err := a.newSession(r.Context(), tok)
	if err != nil {
		return err
	}
	a.setCookie(w, r, sessionCookie, value, int(sessionTTL.Seconds()))
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// signOut ends the session in this browser (POST /signout). Revoking the
// token ends every session signed with it.
func (a *app) signOut(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	s := sessionOf(r)
	if s != nil {
		if err := a.checkCSRF(r, s); err != nil {
			return err
		}
	}
	a.setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
	return nil
}

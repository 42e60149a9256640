package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/a-h/templ"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/web/ui"
)

// signInView is the sign-in form, with the single sign-on button when one
// is configured.
func (a *app) signInView(w http.ResponseWriter, r *http.Request, next, msg string) ui.SignInView {
	v := ui.SignInView{Layout: a.layout(r, "Sign in", ""), Next: next, Error: msg, FormKey: a.formCSRF(w, r)}
	v.Layout.SignIn = false
	if a.oidc != nil {
		v.SSO = ui.Link{Label: "Sign in with " + a.oidc.cfg.Name, Href: templ.SafeURL(oidcStartPath + "?next=" + url.QueryEscape(next))}
	}
	return v
}

// signInPage shows the sign-in form (GET /signin?next=/path).
func (a *app) signInPage(w http.ResponseWriter, r *http.Request) error {
	v := a.signInView(w, r, localPath(r.URL.Query().Get("next")), "")
	if s := sessionOf(r); s != nil {
		v.Reason = "You are signed in as " + s.User + " (scope " + s.Scope + "). Sign in again to change it."
	} else if a.cfg.ReadAuth == ReadAuthToken {
		v.Reason = "This dashboard needs a sign-in with a read or admin token."
	}
	return a.render(w, r, http.StatusOK, ui.SignInPage(v))
}

// signIn exchanges a read or admin token for a session (POST /signin). An
// address that failed too often is answered 429 before its token is tried.
func (a *app) signIn(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := a.checkCSRF(r, nil); err != nil {
		return err
	}
	next := localPath(r.PostFormValue("next"))
	again := func(status int, msg string) error {
		return a.render(w, r, status, ui.SignInPage(a.signInView(w, r, next, msg)))
	}
	if err := a.authThrottle(r); err != nil {
		var he *httpError
		errors.As(err, &he)
		w.Header().Set("Retry-After", he.header["Retry-After"])
		return again(http.StatusTooManyRequests, "Too many failed sign-ins from your address. Wait "+he.header["Retry-After"]+" seconds and try again.")
	}
	tok, err := a.store.Authenticate(r.Context(), strings.TrimSpace(r.PostFormValue("token")))
	switch {
	case errors.Is(err, probes.ErrNotFound):
		a.authFailed(r)
		return again(http.StatusUnauthorized, "That token is unknown or revoked.")
	case err != nil:
		return err
	case tok.Scope == probes.ScopeIngest && a.cfg.ReadAuth == ReadAuthNone:
		// Reading is open: an ingest token signs in to add evidence from the
		// pages, and may do nothing it could not do through the API.
	case !tok.Allows(probes.ScopeRead):
		return again(http.StatusUnauthorized, "Token "+tok.Name+" has scope "+tok.Scope+"; sign in with a read or admin token"+
			map[bool]string{true: " (or an ingest token, to add evidence)", false: ""}[a.cfg.ReadAuth == ReadAuthNone]+".")
	}
	scope := probes.ScopeRead
	switch {
	case tok.Allows(probes.ScopeAdmin):
		scope = probes.ScopeAdmin
	case tok.Scope == probes.ScopeIngest:
		scope = probes.ScopeIngest
	}
	if err := a.startSession(w, r, probes.Session{Via: probes.SignInToken, TokenID: tok.ID, User: tok.Name, Scope: scope}); err != nil {
		return err
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// signOut ends the session (POST /signout): it is deleted from the store,
// so the cookie is worthless even if it was copied.
func (a *app) signOut(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if s := sessionOf(r); s != nil {
		if err := a.checkCSRF(r, s); err != nil {
			return err
		}
		if err := a.store.DeleteSession(r.Context(), s.id); err != nil {
			return err
		}
		a.log.Info("signed out", "via", s.Via, "user", s.User, "request_id", requestID(r.Context()))
	}
	a.setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
	return nil
}

// localPath admits only a path on this dashboard as a place to return to
// after sign-in; anything else becomes "/". Browsers forgive a lot in a
// Location: they drop tabs and newlines anywhere and control characters
// and spaces at the ends, read "\" as "/", and take "//host" or "/\host"
// as another site. So a value with any of those is refused outright, and
// what remains must parse as a bare path that does not start with "//".
func localPath(p string) string {
	if p == "" || p[0] != '/' || len(p) > 2048 {
		return "/"
	}
	for _, c := range []byte(p) {
		if c < 0x20 || c == 0x7f || c == '\\' || c == ' ' {
			return "/"
		}
	}
	if strings.HasPrefix(p, "//") {
		return "/"
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") {
		return "/"
	}
	return p
}

package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"

	"github.com/wsusfleet/wsusfleet/probes"
)

// Dashboard sessions live on the server: the cookie holds a random id, the
// store only its SHA-256 with who signed in, the scope, and when the
// session ends (idle and absolute). Every request reads it back, so any
// instance on the same database knows every session, and signing out or
// revoking the token ends it at once.
const (
	sessionCookie = "wsf_session"
	csrfCookie    = "wsf_csrf" // double-submit token for forms shown before sign-in
)

// session is the signed-in session of a request.
type session struct {
	id string // the cookie's value
	probes.Session
}

func (s *session) allows(scope string) bool { return s != nil && s.Session.Allows(scope) }

// csrf is the form token of this session: derived from the session id,
// which only this browser holds (in an HttpOnly cookie), so another site
// cannot know it and another session's does not work here.
func (s *session) csrf() string {
	if s == nil {
		return ""
	}
	h := hmac.New(sha256.New, []byte(s.id))
	h.Write([]byte("wsusfleet csrf v2"))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// startSession signs this browser in: it stores the session and sets its
// cookie. The cookie lives as long as the session may.
func (a *app) startSession(w http.ResponseWriter, r *http.Request, sess probes.Session) error {
	sess.ExpiresAt, sess.Idle = a.now().Add(a.cfg.SessionMaxAge), a.cfg.SessionIdle
	id, err := a.store.CreateSession(r.Context(), sess)
	if err != nil {
		return err
	}
	a.setCookie(w, r, sessionCookie, id, int(a.cfg.SessionMaxAge.Seconds()))
	a.log.Info("signed in", "via", sess.Via, "user", sess.User, "scope", sess.Scope, "client", clientAddr(r).String(), "request_id", requestID(r.Context()))
	return nil
}

// errNoSession: no cookie, or one that is not (or no longer) a session.
var errNoSession = errors.New("no valid session")

// readSession looks the session cookie up.
func (a *app) readSession(r *http.Request) (*session, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" || len(c.Value) > 100 {
		return nil, errNoSession
	}
	sess, err := a.store.Session(r.Context(), c.Value)
	if errors.Is(err, probes.ErrNotFound) {
		return nil, errNoSession
	}
	if err != nil {
		return nil, err
	}
	return &session{id: c.Value, Session: sess}, nil
}

// secure: the request reached us over TLS, directly or through a trusted
// proxy that says so; cookies set in answer to it may travel only over TLS.
func (a *app) secure(r *http.Request) bool { return clientOf(r).https }

// setCookie sets an HttpOnly cookie for the whole dashboard. SameSite=Lax,
// not Strict: a single sign-on returns from the provider's site, and a
// Strict cookie would not come along on the redirect that follows it. The
// forms that change anything carry a CSRF token besides (checkCSRF), and no
// GET changes anything.
func (a *app) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true,
		Secure: a.secure(r), SameSite: http.SameSiteLaxMode})
}

// formCSRF returns the double-submit token for a form shown before sign-in,
// setting its cookie when the browser has none.
func (a *app) formCSRF(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= 32 && len(c.Value) <= 64 {
		return c.Value
	}
	v := randomToken()
	a.setCookie(w, r, csrfCookie, v, 0)
	return v
}

// checkCSRF admits a state-changing form: with a session its token must
// carry the session's CSRF token; without one, the double-submit cookie.
// SameSite alone is not relied on.
func (a *app) checkCSRF(r *http.Request, s *session) error {
	if err := r.ParseForm(); err != nil {
		return err // too large, too slow, or cut off (see fail)
	}
	got := r.PostFormValue("csrf")
	want := ""
	if s != nil {
		want = s.csrf()
	} else if c, err := r.Cookie(csrfCookie); err == nil {
		want = c.Value
	}
	if got == "" || want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return errStatus(http.StatusForbidden, "the form has expired or did not come from this dashboard; reload the page and try again")
	}
	return nil
}

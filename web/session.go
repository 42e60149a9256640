package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

// Dashboard sign-in: a read or admin token is exchanged for a session cookie
// "v1.<token id>.<expiry>.<nonce>.<mac>", the MAC keyed by a per-token key
// the store derives from the token's stored hash. Nothing lives in process
// memory, so any instance on the same database verifies any session; every
// request re-reads the token, so revoking it ends its sessions at once.
const (
	sessionCookie = "wsf_session"
	csrfCookie    = "wsf_csrf" // double-submit token for forms shown before sign-in
	sessionTTL    = 12 * time.Hour
)

// session is a verified sign-in.
type session struct {
	tok   probes.Token
	nonce string
	key   []byte
}

func (s *session) allows(scope string) bool { return s != nil && s.tok.Allows(scope) }

// csrf is the form token of this session: bound to the session's nonce and
// its token's key, so it cannot be planted from another origin or session.
func (s *session) csrf() string {
	if s == nil {
		return ""
	}
	return mac(s.key, "csrf", s.nonce)
}

func mac(key []byte, purpose, msg string) string {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(purpose + "\x00" + msg))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

func randomToken() string {
	b := make([]byte, 24)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// newSession signs a session for tok.
func (a *app) newSession(ctx context.Context, tok probes.Token) (value string, s *session, err error) {
	_, key, err := a.store.TokenSessionKey(ctx, tok.ID)
	if err != nil {
		return "", nil, err
	}
	s = &session{tok: tok, nonce: randomToken(), key: key}
	payload := "v1." + strconv.FormatInt(tok.ID, 10) + "." + strconv.FormatInt(a.now().Add(sessionTTL).Unix(), 10) + "." + s.nonce
	return payload + "." + mac(key, "session", payload), s, nil
}

// errNoSession: no cookie, or one that is not (or no longer) valid.
var errNoSession = errors.New("no valid session")

// readSession verifies the session cookie and re-reads its token.
func (a *app) readSession(r *http.Request) (*session, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || len(c.Value) > 512 {
		return nil, errNoSession
	}
	parts := strings.Split(c.Value, ".")
	if len(parts) != 5 || parts[0] != "v1" {
		return nil, errNoSession
	}
	id, err1 := strconv.ParseInt(parts[1], 10, 64)
	exp, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || a.now().Unix() >= exp {
		return nil, errNoSession
	}
	tok, key, err := a.store.TokenSessionKey(r.Context(), id)
	if errors.Is(err, probes.ErrNotFound) {
		return nil, errNoSession
	}
	if err != nil {
		return nil, err
	}
	want := mac(key, "session", strings.Join(parts[:4], "."))
	if subtle.ConstantTimeCompare([]byte(want), []byte(parts[4])) != 1 || tok.RevokedAt != nil {
		return nil, errNoSession
	}
	return &session{tok: tok, nonce: parts[3], key: key}, nil
}

// secure: the cookie may only travel over TLS when the dashboard is served
// over TLS (directly, or behind a trusted proxy that says so).
func (a *app) secure(r *http.Request) bool {
	return r.TLS != nil || (a.cfg.TrustProxyHeads && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https"))
}

func (a *app) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true,
		Secure: a.secure(r), SameSite: http.SameSiteStrictMode})
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
// SameSite=Strict alone is not relied on.
func (a *app) checkCSRF(r *http.Request, s *session) error {
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

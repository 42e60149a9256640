package web

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/a-h/templ"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/web/ui"
)

// pageRefreshSeconds is how often the fleet and server pages refresh their
// live regions in place.
const pageRefreshSeconds = 30

// pages marks a route group as HTML pages (errors become HTML pages, not
// problem+json) and loads the signed-in session, if any.
func (a *app) pages(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := context.WithValue(r.Context(), keyHTML, true)
		s, err := a.readSession(r.WithContext(ctx))
		if err != nil && err != errNoSession {
			a.fail(w, r.WithContext(ctx), err)
			return
		}
		if s != nil {
			ctx = context.WithValue(ctx, keySession, s)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func sessionOf(r *http.Request) *session {
	s, _ := r.Context().Value(keySession).(*session)
	return s
}

// requirePageRead guards the read pages: open with --read-auth=none,
// otherwise a session of a read or admin token; a browser without one is
// sent to sign in and brought back.
func (a *app) requirePageRead(next http.Handler) http.Handler {
	if a.cfg.ReadAuth == ReadAuthNone {
		return next
	}
	return a.requirePageScope(probes.ScopeRead, next)
}

// requirePageAdmin guards token management: always an admin session, even
// when reading is open.
func (a *app) requirePageAdmin(next http.Handler) http.Handler {
	return a.requirePageScope(probes.ScopeAdmin, next)
}

func (a *app) requirePageScope(scope string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := sessionOf(r)
		switch {
		case s.allows(scope):
			next.ServeHTTP(w, r)
		case s == nil && r.Method == http.MethodGet:
			http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		case s == nil:
			a.fail(w, r, &httpError{status: http.StatusUnauthorized, detail: "your session has ended; sign in again"})
		default:
			a.fail(w, r, errStatus(http.StatusForbidden, "this page needs a sign-in with scope %s; you are signed in as %q (scope %s)", scope, s.User, s.Scope))
		}
	})
}

// layout is the frame every page shares; the one place templates get the
// hashed static URLs from.
func (a *app) layout(r *http.Request, title, active string) ui.Layout {
	l := ui.Layout{
		Title: title, Active: active, Version: a.cfg.Version,
		Assets: ui.Assets{CSS: a.assets.URL("app.css"), JS: a.assets.URL("app.js"), Icon: a.assets.URL("favicon.svg")},
		SignIn: true,
	}
	if s := sessionOf(r); s != nil {
		l.User, l.CSRF = &ui.User{Name: s.User, Scope: s.Scope}, s.csrf()
	}
	return l
}

// render renders a page into a buffer first, so a failed render is a clean
// error page and never half a page.
func (a *app) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) error {
	var buf bytes.Buffer
	if err := c.Render(r.Context(), &buf); err != nil {
		return fmt.Errorf("render %s: %w", r.URL.Path, err)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store") // live data, and token secrets once
	h.Set("Vary", "Cookie")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
	return nil
}

// wantsHTML: a page route, or a browser asking for a path we do not have.
func wantsHTML(r *http.Request) bool {
	if v, _ := r.Context().Value(keyHTML).(bool); v {
		return true
	}
	return !strings.HasPrefix(r.URL.Path, "/api/") && strings.Contains(r.Header.Get("Accept"), "text/html")
}

// failPage answers an error to a browser with an HTML page (see fail).
func (a *app) failPage(w http.ResponseWriter, r *http.Request, p Problem) {
	v := ui.ErrorView{
		Layout: a.layout(r, p.Title, ""), Status: p.Status, Heading: p.Title, Detail: p.Detail,
		RequestID: p.RequestID, Back: ui.Link{Label: "Back to the fleet", Href: "/"},
	}
	if p.Status == http.StatusUnauthorized || p.Status == http.StatusForbidden {
		v.SignIn = templ.SafeURL("/signin?next=" + url.QueryEscape(localPath(r.URL.RequestURI())))
	}
	var buf bytes.Buffer
	if err := ui.ErrorPage(v).Render(r.Context(), &buf); err != nil {
		a.log.Error("render error page", "err", err, "request_id", p.RequestID)
		writeProblem(w, p)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	w.Write(buf.Bytes())
}

// serverHref is the page of a server; the name is percent-encoded, "/" too.
func serverHref(name string) templ.SafeURL {
	return templ.SafeURL("/servers/" + url.PathEscape(name))
}

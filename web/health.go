package web

import (
	"context"
	"net/http"
	"time"
)

// healthz: the process is alive (for liveness probes and HEALTHCHECK).
func (a *app) healthz(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "version": a.cfg.Version})
}

// readyz: the database answers, is migrated and takes writes. Why not is
// logged, never answered: the error text can name the database's user, host
// or files, and anyone may ask.
func (a *app) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	if err := a.store.Check(ctx); err != nil {
		if a.store.Unavailable(err) {
			a.outage.begin(a, err, requestID(r.Context())) // logged once per outage
		} else {
			a.log.Warn("not ready", "err", err, "request_id", requestID(r.Context()))
		}
		return &httpError{status: http.StatusServiceUnavailable, detail: "not ready: the database is unavailable or not migrated (the server log says why)",
			header: map[string]string{"Retry-After": retryAfter(retryOutage)}}
	}
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

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

// readyz: the database answers and is migrated.
func (a *app) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	if err := a.store.Ready(ctx); err != nil {
		a.log.Warn("not ready", "err", err)
		return errStatus(http.StatusServiceUnavailable, "not ready: %v", err)
	}
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

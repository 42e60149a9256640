package web

import (
	"context"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/wsusfleet/wsusfleet/probes"
)

// AlertStore is what the alert API and pages need from persistence.
type AlertStore interface {
	Notifiers(ctx context.Context) ([]probes.Notifier, error)
	CreateNotifier(ctx context.Context, in probes.NotifierInput, by string) (int64, error)
	UpdateNotifier(ctx context.Context, id int64, in probes.NotifierInput) error
	DeleteNotifier(ctx context.Context, id int64) error
	AlertRoutes(ctx context.Context) ([]probes.AlertRoute, error)
	CreateAlertRoute(ctx context.Context, r probes.AlertRoute) (int64, error)
	UpdateAlertRoute(ctx context.Context, id int64, r probes.AlertRoute) error
	DeleteAlertRoute(ctx context.Context, id int64) error
	Silences(ctx context.Context) ([]probes.Silence, error)
	CreateSilence(ctx context.Context, s probes.Silence) (int64, error)
	UpdateSilence(ctx context.Context, id int64, s probes.Silence) error
	ExpireSilence(ctx context.Context, id int64) error
	MaintenanceWindows(ctx context.Context) ([]probes.MaintenanceWindow, error)
	CreateMaintenanceWindow(ctx context.Context, w probes.MaintenanceWindow) (int64, error)
	UpdateMaintenanceWindow(ctx context.Context, id int64, w probes.MaintenanceWindow) error
	DeleteMaintenanceWindow(ctx context.Context, id int64) error
	AlertSettings(ctx context.Context) (probes.AlertSettings, error)
	SaveAlertSettings(ctx context.Context, a probes.AlertSettings) error
	Alerts(ctx context.Context) ([]probes.Alert, error)
	AckAlert(ctx context.Context, id int64, by string) error
	Deliveries(ctx context.Context, q probes.DeliveryQuery) ([]probes.Delivery, error)
}

// Notify sends a channel's test message now (the notify dispatcher).
type Notify interface {
	Test(ctx context.Context, channel int64, by string) (probes.DeliveryResult, error)
}

// NotifierList is the answer of GET /api/v1/notifiers.
type NotifierList struct {
	Notifiers []probes.Notifier `json:"notifiers"`
}

// Created is the answer to a create: the new thing's id.
type Created struct {
	ID int64 `json:"id"`
}

// TestResult is the answer of a channel's test: what its receiver said.
type TestResult struct {
	OK     bool   `json:"ok"`
	Answer string `json:"answer"`
}

// who names the token that made a request (its name, for "set by").
func who(r *http.Request) string {
	if s := sessionOf(r); s != nil {
		return s.User
	}
	if tok, ok := r.Context().Value(keyToken).(probes.Token); ok {
		return tok.Name
	}
	return "anonymous"
}

func idParam(r *http.Request, what string) (int64, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errStatus(http.StatusNotFound, "no such %s", what)
	}
	return id, nil
}

func (a *app) listNotifiers(w http.ResponseWriter, r *http.Request) error {
	list, err := a.store.Notifiers(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, NotifierList{Notifiers: list})
}

// createNotifier adds a channel: 201 {"id": …}. Its secrets are never returned.
func (a *app) createNotifier(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(w, r, maxSmallBody)
	if err != nil {
		return err
	}
	in, err := probes.Decode[probes.NotifierInput](body, a.now())
	if err != nil {
		return err
	}
	id, err := a.store.CreateNotifier(r.Context(), *in, who(r))
	if err != nil {
		return err
	}
	a.log.Info("alert channel created", "channel", id, "kind", in.Kind, "by", who(r), "request_id", requestID(r.Context()))
	w.Header().Set("Location", "/api/v1/notifiers/"+strconv.FormatInt(id, 10))
	return writeJSON(w, http.StatusCreated, Created{ID: id})
}

// updateNotifier replaces a channel; secrets left out are kept.
func (a *app) updateNotifier(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r, "channel")
	if err != nil {
		return err
	}
	body, err := readBody(w, r, maxSmallBody)
	if err != nil {
		return err
	}
	in, err := probes.DecodeNotifierUpdate(body, a.now())
	if err != nil {
		return err
	}
	if err := a.store.UpdateNotifier(r.Context(), id, *in); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *app) deleteNotifier(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r, "channel")
	if err != nil {
		return err
	}
	if err := a.store.DeleteNotifier(r.Context(), id); err != nil {
		return err
	}
	a.log.Info("alert channel deleted", "channel", id, "by", who(r), "request_id", requestID(r.Context()))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// testNotifier sends a test message now and answers what the receiver said.
func (a *app) testNotifier(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r, "channel")
	if err != nil {
		return err
	}
	if a.cfg.Notify == nil {
		return errStatus(http.StatusServiceUnavailable, "notifications are not running in this process")
	}
	res, err := a.cfg.Notify.Test(r.Context(), id, who(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, TestResult{OK: res.OK, Answer: res.Answer})
}

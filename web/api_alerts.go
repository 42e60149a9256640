package web

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

// DeliveryList is the answer of GET /api/v1/alerts: delivery history, newest first.
type DeliveryList struct {
	Deliveries []probes.Delivery `json:"deliveries"`
	NextCursor string            `json:"next_cursor,omitempty"` // pass as before= for the next page
}

// AlertList is the answer of GET /api/v1/alerts/active.
type AlertList struct {
	Alerts []probes.Alert `json:"alerts"`
}

// RouteList, SilenceList and WindowList answer the lists of the alert settings.
type RouteList struct {
	Routes []probes.AlertRoute `json:"routes"`
}

type SilenceList struct {
	Silences []probes.Silence `json:"silences"`
}

type WindowList struct {
	Windows []probes.MaintenanceWindow `json:"windows"`
}

var deliveryStates = []string{probes.DeliveryPending, probes.DeliverySending, probes.DeliverySent, probes.DeliveryFailed}

func deliveryQuery(r *http.Request) (probes.DeliveryQuery, error) {
	q := probes.DeliveryQuery{State: r.URL.Query().Get("state"), Limit: 100}
	if q.State != "" && !slices.Contains(deliveryStates, q.State) {
		return q, probes.InvalidParam("state", "must be pending, sending, sent or failed; got %q", q.State)
	}
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return q, probes.InvalidParam("limit", "must be 1 to 1000")
		}
		q.Limit = n
	}
	if v := r.URL.Query().Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return q, probes.InvalidParam("before", "must be the next_cursor of the previous page")
		}
		q.Before = n
	}
	return q, nil
}

// listDeliveries answers the delivery history: sent, failed with the
// receiver's answer, pending with the next attempt.
func (a *app) listDeliveries(w http.ResponseWriter, r *http.Request) error {
	q, err := deliveryQuery(r)
	if err != nil {
		return err
	}
	list, err := a.store.Deliveries(r.Context(), q)
	if err != nil {
		return err
	}
	out := DeliveryList{Deliveries: list}
	if len(list) == q.Limit {
		out.NextCursor = strconv.FormatInt(list[len(list)-1].ID, 10)
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *app) listAlerts(w http.ResponseWriter, r *http.Request) error {
	list, err := a.store.Alerts(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, AlertList{Alerts: list})
}

// ackAlert stops the reminders of an open alert.
func (a *app) ackAlert(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r, "alert")
	if err != nil {
		return err
	}
	if err := a.store.AckAlert(r.Context(), id, who(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *app) listRoutes(w http.ResponseWriter, r *http.Request) error {
	list, err := a.store.AlertRoutes(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, RouteList{Routes: list})
}

func (a *app) createRoute(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(w, r, maxSmallBody)
	if err != nil {
		return err
	}
	rt, err := probes.Decode[probes.AlertRoute](body, a.now())
	if err != nil {
		return err
	}
	id, err := a.store.CreateAlertRoute(r.Context(), *rt)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, Created{ID: id})
}

// updateRoute replaces a route (PUT /api/v1/alerts/routes/{id}).
func (a *app) updateRoute(w http.ResponseWriter, r *http.Request) error {
	return a.updateByID(w, r, "route", func(ctx context.Context, id int64, body []byte) error {
		rt, err := probes.Decode[probes.AlertRoute](body, a.now())
		if err != nil {
			return err
		}
		return a.store.UpdateAlertRoute(ctx, id, *rt)
	})
}

// updateByID reads a PUT's id and body and answers 204 once update took them.
func (a *app) updateByID(w http.ResponseWriter, r *http.Request, what string, update func(ctx context.Context, id int64, body []byte) error) error {
	id, err := idParam(r, what)
	if err != nil {
		return err
	}
	body, err := readBody(w, r, maxSmallBody)
	if err != nil {
		return err
	}
	if err := update(r.Context(), id, body); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *app) deleteRoute(w http.ResponseWriter, r *http.Request) error {
	return a.deleteByID(w, r, "route", a.store.DeleteAlertRoute)
}

func (a *app) deleteByID(w http.ResponseWriter, r *http.Request, what string, del func(ctx context.Context, id int64) error) error {
	id, err := idParam(r, what)
	if err != nil {
		return err
	}
	if err := del(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *app) listSilences(w http.ResponseWriter, r *http.Request) error {
	list, err := a.store.Silences(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, SilenceList{Silences: list})
}

// createSilence holds back notifications about a server and/or rule until a time.
func (a *app) createSilence(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(w, r, maxSmallBody)
	if err != nil {
		return err
	}
	s, err := probes.Decode[probes.Silence](body, a.now())
	if err != nil {
		return err
	}
	s.CreatedBy = who(r)
	id, err := a.store.CreateSilence(r.Context(), *s)
	if err != nil {
		return err
	}
	a.log.Info("alerts silenced", "silence", id, "server", s.Server, "rule", s.Rule, "until", s.Until.Format(time.RFC3339), "by", s.CreatedBy)
	return writeJSON(w, http.StatusCreated, Created{ID: id})
}

// updateSilence replaces a silence's terms (PUT /api/v1/alerts/silences/{id}):
// the one who changes it is who set it.
func (a *app) updateSilence(w http.ResponseWriter, r *http.Request) error {
	return a.updateByID(w, r, "silence", func(ctx context.Context, id int64, body []byte) error {
		s, err := probes.Decode[probes.Silence](body, a.now())
		if err != nil {
			return err
		}
		s.CreatedBy = who(r)
		if err := a.store.UpdateSilence(ctx, id, *s); err != nil {
			return err
		}
		a.log.Info("silence changed", "silence", id, "server", s.Server, "rule", s.Rule, "until", s.Until.Format(time.RFC3339), "by", s.CreatedBy)
		return nil
	})
}

func (a *app) expireSilence(w http.ResponseWriter, r *http.Request) error {
	return a.deleteByID(w, r, "silence", a.store.ExpireSilence)
}

func (a *app) listWindows(w http.ResponseWriter, r *http.Request) error {
	list, err := a.store.MaintenanceWindows(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, WindowList{Windows: list})
}

func (a *app) createWindow(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(w, r, maxSmallBody)
	if err != nil {
		return err
	}
	win, err := probes.Decode[probes.MaintenanceWindow](body, a.now())
	if err != nil {
		return err
	}
	win.CreatedBy = who(r)
	id, err := a.store.CreateMaintenanceWindow(r.Context(), *win)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, Created{ID: id})
}

// updateWindow replaces a maintenance window's name and schedule
// (PUT /api/v1/alerts/windows/{id}).
func (a *app) updateWindow(w http.ResponseWriter, r *http.Request) error {
	return a.updateByID(w, r, "maintenance window", func(ctx context.Context, id int64, body []byte) error {
		win, err := probes.Decode[probes.MaintenanceWindow](body, a.now())
		if err != nil {
			return err
		}
		return a.store.UpdateMaintenanceWindow(ctx, id, *win)
	})
}

func (a *app) deleteWindow(w http.ResponseWriter, r *http.Request) error {
	return a.deleteByID(w, r, "maintenance window", a.store.DeleteMaintenanceWindow)
}

func (a *app) getAlertSettings(w http.ResponseWriter, r *http.Request) error {
	s, err := a.store.AlertSettings(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s)
}

// putAlertSettings replaces the noise-control settings; fields left out
// take their defaults.
func (a *app) putAlertSettings(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(w, r, maxSmallBody)
	if err != nil {
		return err
	}
	s, err := probes.DecodeAlertSettings(body, a.now())
	if err != nil {
		return err
	}
	if err := a.store.SaveAlertSettings(r.Context(), *s); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s)
}

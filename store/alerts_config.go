package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/wsusfleet/wsusfleet/probes"
)

// The alert configuration an admin keeps: channels, routes, silences,
// maintenance windows and the noise-control settings.

// CreateNotifier stores a validated channel (secrets included) and returns its id.
func (s *Store) CreateNotifier(ctx context.Context, in probes.NotifierInput, by string) (int64, error) {
	body, err := json.Marshal(in)
	if err != nil {
		return 0, err
	}
	var id int64
	err = s.write(ctx, func(ctx context.Context, t *wtx) error {
		var n int
		if err := t.QueryRowContext(ctx, `SELECT COUNT(*) FROM notifiers WHERE name = $1`, in.Name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("a channel named %q exists already: %w", in.Name, probes.ErrConflict)
		}
		return t.QueryRowContext(ctx, `INSERT INTO notifiers (name, kind, settings, created_at, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			in.Name, in.Kind, string(body), ms(t.now), by).Scan(&id)
	})
	if err != nil {
		return 0, fmt.Errorf("create channel: %w", err)
	}
	return id, nil
}

// UpdateNotifier replaces a channel's settings; secrets left empty keep
// the stored ones (they are never shown, so a form cannot send them back).
func (s *Store) UpdateNotifier(ctx context.Context, id int64, in probes.NotifierInput) error {
	return s.write(ctx, func(ctx context.Context, t *wtx) error {
		old, err := notifierConfig(ctx, t, id)
		if err != nil {
			return err
		}
		if old.Kind != in.Kind {
			return probes.Invalid("/kind", "a channel keeps its kind (%s); create a new one instead", old.Kind)
		}
		if in.Secret == "" {
			in.Secret = old.Secret
		}
		if in.URL == "" {
			in.URL = old.URL
		}
		if in.Email != nil && old.Email != nil && in.Email.Password == "" && in.Email.Username == old.Email.Username {
			in.Email.Password = old.Email.Password
		}
		body, err := json.Marshal(in)
		if err != nil {
			return err
		}
		var n int
		if err := t.QueryRowContext(ctx, `SELECT COUNT(*) FROM notifiers WHERE name = $1 AND id <> $2`, in.Name, id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("a channel named %q exists already: %w", in.Name, probes.ErrConflict)
		}
		_, err = t.ExecContext(ctx, `UPDATE notifiers SET name = $2, settings = $3 WHERE id = $1`, id, in.Name, string(body))
		return err
	})
}

// DeleteNotifier removes a channel, its routes and its undelivered messages.
func (s *Store) DeleteNotifier(ctx context.Context, id int64) error {
	return s.deleteRow(ctx, `DELETE FROM notifiers WHERE id = $1`, id, "channel")
}

func (s *Store) deleteRow(ctx context.Context, query string, id int64, what string) error {
	return s.write(ctx, func(ctx context.Context, t *wtx) error {
		res, err := t.ExecContext(ctx, query, id)
		if err != nil {
			return fmt.Errorf("delete %s: %w", what, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("no %s %d: %w", what, id, probes.ErrNotFound)
		}
		return nil
	})
}

// Notifiers lists the channels (without their secrets), by name.
func (s *Store) Notifiers(ctx context.Context) ([]probes.Notifier, error) {
	cfgs, err := notifierConfigs(ctx, s.db)
	if err != nil {
		return nil, err
	}
	out := make([]probes.Notifier, 0, len(cfgs))
	for _, c := range cfgs {
		out = append(out, c.view)
	}
	return out, nil
}

// NotifierConfig returns a channel with its secrets, for sending.
func (s *Store) NotifierConfig(ctx context.Context, id int64) (probes.NotifierConfig, error) {
	return notifierConfig(ctx, s.db, id)
}

type storedNotifier struct {
	cfg  probes.NotifierConfig
	view probes.Notifier
}

func notifierConfigs(ctx context.Context, q querier) ([]storedNotifier, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, settings, created_at, created_by FROM notifiers ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("read channels: %w", err)
	}
	defer rows.Close()
	var out []storedNotifier
	for rows.Next() {
		n, err := scanNotifier(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

func scanNotifier(sc interface{ Scan(...any) error }) (storedNotifier, error) {
	var n storedNotifier
	var body, by string
	var created int64
	if err := sc.Scan(&n.cfg.ID, &body, &created, &by); err != nil {
		return n, err
	}
	if err := json.Unmarshal([]byte(body), &n.cfg.NotifierInput); err != nil {
		return n, fmt.Errorf("decode channel %d: %w", n.cfg.ID, err)
	}
	n.view = n.cfg.View()
	n.view.CreatedAt, n.view.CreatedBy = fromMS(created), by
	return n, nil
}

func notifierConfig(ctx context.Context, q querier, id int64) (probes.NotifierConfig, error) {
	n, err := scanNotifier(q.QueryRowContext(ctx, `SELECT id, settings, created_at, created_by FROM notifiers WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return probes.NotifierConfig{}, fmt.Errorf("no channel %d: %w", id, probes.ErrNotFound)
	}
	return n.cfg, err
}

// CreateAlertRoute adds a route to a channel.
func (s *Store) CreateAlertRoute(ctx context.Context, r probes.AlertRoute) (int64, error) {
	var id int64
	err := s.write(ctx, func(ctx context.Context, t *wtx) error {
		if _, err := notifierConfig(ctx, t, r.Notifier); err != nil {
			return probes.Invalid("/notifier", "no channel has id %d", r.Notifier)
		}
		return t.QueryRowContext(ctx, `INSERT INTO alert_routes (notifier_id, min_severity, server, rule) VALUES ($1, $2, $3, $4) RETURNING id`,
			r.Notifier, r.MinSeverity, r.Server, r.Rule).Scan(&id)
	})
	return id, err
}

// DeleteAlertRoute removes a route.
func (s *Store) DeleteAlertRoute(ctx context.Context, id int64) error {
	return s.deleteRow(ctx, `DELETE FROM alert_routes WHERE id = $1`, id, "route")
}

// AlertRoutes lists every route.
func (s *Store) AlertRoutes(ctx context.Context) ([]probes.AlertRoute, error) {
	return alertRoutes(ctx, s.db)
}

func alertRoutes(ctx context.Context, q querier) ([]probes.AlertRoute, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, notifier_id, min_severity, server, rule FROM alert_routes ORDER BY notifier_id, id`)
	if err != nil {
		return nil, fmt.Errorf("read routes: %w", err)
	}
	defer rows.Close()
	out := []probes.AlertRoute{}
	for rows.Next() {
		var r probes.AlertRoute
		if err := rows.Scan(&r.ID, &r.Notifier, &r.MinSeverity, &r.Server, &r.Rule); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// CreateSilence stores a validated silence.
func (s *Store) CreateSilence(ctx context.Context, sl probes.Silence) (int64, error) {
	var id int64
	err := s.write(ctx, func(ctx context.Context, t *wtx) error {
		return t.QueryRowContext(ctx, `INSERT INTO alert_silences (server, rule, until_at, reason, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, sl.Server, sl.Rule, ms(sl.Until.Time), strings.TrimSpace(sl.Reason), sl.CreatedBy, ms(t.now)).Scan(&id)
	})
	return id, err
}

// ExpireSilence ends a silence now (it stays in the list as expired).
func (s *Store) ExpireSilence(ctx context.Context, id int64) error {
	return s.write(ctx, func(ctx context.Context, t *wtx) error {
		res, err := t.ExecContext(ctx, `UPDATE alert_silences SET until_at = $2 WHERE id = $1 AND until_at > $2`, id, ms(t.now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("no active silence %d: %w", id, probes.ErrNotFound)
		}
		return nil
	})
}

// Silences lists the silences still in force, and those that ended within
// the last week, newest first.
func (s *Store) Silences(ctx context.Context) ([]probes.Silence, error) {
	return silences(ctx, s.db, ms(s.now().AddDate(0, 0, -7)))
}

func silences(ctx context.Context, q querier, endedAfter int64) ([]probes.Silence, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, server, rule, until_at, reason, created_by, created_at FROM alert_silences
		WHERE until_at > $1 ORDER BY id DESC`, endedAfter)
	if err != nil {
		return nil, fmt.Errorf("read silences: %w", err)
	}
	defer rows.Close()
	out := []probes.Silence{}
	for rows.Next() {
		var sl probes.Silence
		var until, created int64
		if err := rows.Scan(&sl.ID, &sl.Server, &sl.Rule, &until, &sl.Reason, &sl.CreatedBy, &created); err != nil {
			return nil, err
		}
		sl.Until, sl.CreatedAt = probes.TimeOf(fromMS(until)), fromMS(created)
		out = append(out, sl)
	}
	return out, rows.Err()
}

// CreateMaintenanceWindow stores a validated window.
func (s *Store) CreateMaintenanceWindow(ctx context.Context, w probes.MaintenanceWindow) (int64, error) {
	w.ID, w.CreatedAt = 0, s.now()
	body, err := json.Marshal(w)
	if err != nil {
		return 0, err
	}
	var id int64
	err = s.write(ctx, func(ctx context.Context, t *wtx) error {
		return t.QueryRowContext(ctx, `INSERT INTO maintenance_windows (name, schedule, created_by, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
			w.Name, string(body), w.CreatedBy, ms(t.now)).Scan(&id)
	})
	return id, err
}

// DeleteMaintenanceWindow removes a window.
func (s *Store) DeleteMaintenanceWindow(ctx context.Context, id int64) error {
	return s.deleteRow(ctx, `DELETE FROM maintenance_windows WHERE id = $1`, id, "maintenance window")
}

// MaintenanceWindows lists the windows.
func (s *Store) MaintenanceWindows(ctx context.Context) ([]probes.MaintenanceWindow, error) {
	return maintenanceWindows(ctx, s.db)
}

func maintenanceWindows(ctx context.Context, q querier) ([]probes.MaintenanceWindow, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, schedule, created_at FROM maintenance_windows ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("read maintenance windows: %w", err)
	}
	defer rows.Close()
	out := []probes.MaintenanceWindow{}
	for rows.Next() {
		var w probes.MaintenanceWindow
		var body string
		var id, created int64
		if err := rows.Scan(&id, &body, &created); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(body), &w); err != nil {
			return nil, fmt.Errorf("decode maintenance window %d: %w", id, err)
		}
		w.ID, w.CreatedAt = id, fromMS(created)
		out = append(out, w)
	}
	return out, rows.Err()
}

// AlertSettings returns the fleet's noise-control settings (the defaults
// until an admin saves some).
func (s *Store) AlertSettings(ctx context.Context) (probes.AlertSettings, error) {
	return alertSettings(ctx, s.db)
}

func alertSettings(ctx context.Context, q querier) (probes.AlertSettings, error) {
	var body string
	err := q.QueryRowContext(ctx, `SELECT body FROM alert_settings WHERE id = 1`).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return probes.DefaultAlertSettings(), nil
	}
	if err != nil {
		return probes.AlertSettings{}, fmt.Errorf("read alert settings: %w", err)
	}
	out := probes.DefaultAlertSettings()
	out.GapThresholds = nil // decoding into the defaults' slice would mix old and new thresholds
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		return probes.AlertSettings{}, fmt.Errorf("decode alert settings: %w", err)
	}
	return out, nil
}

// SaveAlertSettings replaces the settings (validated by the caller). The
// gap thresholds are read by every server's judgement: each server's next
// report is diagnosed in full, not judged on its last diagnosis (rejudge).
func (s *Store) SaveAlertSettings(ctx context.Context, a probes.AlertSettings) error {
	body, err := json.Marshal(a)
	if err != nil {
		return err
	}
	return s.write(ctx, func(ctx context.Context, t *wtx) error {
		_, err := t.ExecContext(ctx, `INSERT INTO alert_settings (id, body) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET body = excluded.body`, string(body))
		if err == nil {
			_, err = t.ExecContext(ctx, `UPDATE servers SET inputs_digest = NULL WHERE inputs_digest IS NOT NULL`)
		}
		return err
	})
}

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

// Edits of the alert settings' rows (PUT /api/v1/alerts/{routes,silences,
// windows}/{id} and the settings page's edit forms). Each replaces the row's
// terms, validated by the caller; a missing row is ErrNotFound.

// UpdateAlertRoute replaces a route.
func (s *Store) UpdateAlertRoute(ctx context.Context, id int64, r probes.AlertRoute) error {
	return s.write(ctx, func(ctx context.Context, t *wtx) error {
		if _, err := notifierConfig(ctx, t, r.Notifier); err != nil {
			return probes.Invalid("/notifier", "no channel has id %d", r.Notifier)
		}
		res, err := t.ExecContext(ctx, `UPDATE alert_routes SET notifier_id = $2, min_severity = $3, server = $4, rule = $5 WHERE id = $1`,
			id, r.Notifier, r.MinSeverity, r.Server, r.Rule)
		return updated(res, err, "route", id)
	})
}

// UpdateSilence replaces a silence's terms: its server, rule, end and reason,
// and who set it (the one who changed it last). A silence that ended may be
// set again.
func (s *Store) UpdateSilence(ctx context.Context, id int64, sl probes.Silence) error {
	return s.write(ctx, func(ctx context.Context, t *wtx) error {
		res, err := t.ExecContext(ctx, `UPDATE alert_silences SET server = $2, rule = $3, until_at = $4, reason = $5, created_by = $6 WHERE id = $1`,
			id, sl.Server, sl.Rule, ms(sl.Until.Time), strings.TrimSpace(sl.Reason), sl.CreatedBy)
		return updated(res, err, "silence", id)
	})
}

// UpdateMaintenanceWindow replaces a window's name and schedule; who added
// it and when stay.
func (s *Store) UpdateMaintenanceWindow(ctx context.Context, id int64, w probes.MaintenanceWindow) error {
	return s.write(ctx, func(ctx context.Context, t *wtx) error {
		var by string
		var created int64
		if err := t.QueryRowContext(ctx, `SELECT created_by, created_at FROM maintenance_windows WHERE id = $1`, id).Scan(&by, &created); err != nil {
			return updated(nil, err, "maintenance window", id)
		}
		w.ID, w.CreatedBy, w.CreatedAt = 0, by, fromMS(created)
		body, err := json.Marshal(w)
		if err != nil {
			return err
		}
		res, err := t.ExecContext(ctx, `UPDATE maintenance_windows SET name = $2, schedule = $3 WHERE id = $1`, id, w.Name, string(body))
		return updated(res, err, "maintenance window", id)
	})
}

// updated turns an UPDATE's outcome into ErrNotFound when no row had the id.
func updated(res interface{ RowsAffected() (int64, error) }, err error, what string, id int64) error {
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("no %s %d: %w", what, id, probes.ErrNotFound)
		}
		return fmt.Errorf("update %s: %w", what, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("no %s %d: %w", what, id, probes.ErrNotFound)
	}
	return nil
}

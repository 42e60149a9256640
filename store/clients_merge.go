package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

// clientColumnList is the order of the rows bulk-loaded into clients.
var clientColumnList = []string{"server_id", "key", "target_id", "name", "ip", "os", "client_version", "groups",
	"requested_group", "last_sync", "last_sync_result", "last_report", "first_seen", "last_seen", "snapshot"}

// Indexes into a client row for the values the writer fills in.
const (
	colServerID  = 0
	colFirstSeen = 12
	colLastSeen  = 13
	colSnapshot  = 14
)

// upsertClientsSet merges a loaded row into an existing target: never a
// duplicate row, first_seen kept, a name change remembered (cloned images
// make one target's name flip), a removed target back on the list restored.
const upsertClientsSet = ` ON CONFLICT (server_id, key) DO UPDATE SET
	prev_name = CASE WHEN clients.name <> excluded.name THEN clients.name ELSE clients.prev_name END,
	renames = clients.renames + CASE WHEN clients.name <> excluded.name THEN 1 ELSE 0 END,
	target_id = excluded.target_id, name = excluded.name, ip = excluded.ip, os = excluded.os,
	client_version = excluded.client_version, groups = excluded.groups, requested_group = excluded.requested_group,
	last_sync = excluded.last_sync, last_sync_result = excluded.last_sync_result, last_report = excluded.last_report,
	last_seen = excluded.last_seen, removed_at = NULL, snapshot = excluded.snapshot`

// clientRows encodes a snapshot's items outside the writer.
func clientRows(items []probes.Client) ([][]any, error) {
	rows := make([][]any, len(items))
	for i, c := range items {
		groups := "[]"
		if len(c.Groups) > 0 {
			b, err := json.Marshal(c.Groups)
			if err != nil {
				return nil, err
			}
			groups = string(b)
		}
		rows[i] = []any{nil, c.Key(), c.ID, c.Name, c.IP, c.OS, c.ClientVersion, groups,
			c.RequestedGroup, msPtr(c.LastSync.Time), c.LastSyncResult, msPtr(c.LastReport.Time), nil, nil, nil}
	}
	return rows, nil
}

// mergeClients applies a client list: upsert every listed target and, for a
// complete list, mark the targets it no longer lists removed. A list older
// than the last one applied is ignored (late delivery must not roll back).
func (s *Store) mergeClients(ctx context.Context, t *wtx, serverID, collected int64, complete bool, rows [][]any) error {
	var seq int64
	var lastCollected sql.NullInt64
	if err := t.QueryRowContext(ctx, `SELECT clients_snapshot, clients_collected_at FROM servers WHERE id = $1`, serverID).
		Scan(&seq, &lastCollected); err != nil {
		return fmt.Errorf("read snapshot state: %w", err)
	}
	if lastCollected.Valid && collected < lastCollected.Int64 {
		s.opts.Logger.Info("older client list ignored", "server_id", serverID)
		return nil
	}
	if complete {
		seq++
	}
	if _, err := t.ExecContext(ctx, `UPDATE servers SET clients_snapshot = $2, clients_collected_at = $3 WHERE id = $1`,
		serverID, seq, collected); err != nil {
		return fmt.Errorf("advance snapshot: %w", err)
	}
	now := ms(t.now)
	for _, r := range rows {
		r[colServerID], r[colFirstSeen], r[colLastSeen], r[colSnapshot] = serverID, now, now, seq
	}
	if len(rows) > 0 {
		if err := s.d.bulkLoad(ctx, t, "clients", clientColumnList, rows, upsertClientsSet); err != nil {
			return fmt.Errorf("load clients: %w", err)
		}
	}
	if complete {
		if _, err := t.ExecContext(ctx, `UPDATE clients SET removed_at = $3
			WHERE server_id = $1 AND removed_at IS NULL AND snapshot < $2`, serverID, seq, now); err != nil {
			return fmt.Errorf("mark removed clients: %w", err)
		}
	}
	if err := s.recountClients(ctx, t, serverID); err != nil {
		return err
	}
	// The gap categories follow in their own write (Settle): the snapshot is
	// acknowledged as soon as it is merged, and the marker commits with it.
	_, err := t.ExecContext(ctx, `UPDATE servers SET gaps_due_at = $2 WHERE id = $1`, serverID, ms(t.now))
	return err
}

// recountClients refreshes the server's client summary (counts and the
// last-report age histogram) and records when it next changes because time
// passes: the soonest moment a client crosses the stale threshold or a
// histogram edge.
func (s *Store) recountClients(ctx context.Context, t *wtx, serverID int64) error {
	now := t.now
	edges := []time.Duration{s.opts.StaleAfter, probes.AgeBounds[0], probes.AgeBounds[1], probes.AgeBounds[2], probes.AgeBounds[3]}
	args := []any{serverID}
	for _, e := range edges {
		args = append(args, ms(now.Add(-e)))
	}
	var c probes.ClientCounts
	var a = &c.Ages
	next := make([]sql.NullInt64, len(edges)) // per edge: the oldest report still younger than it
	dest := []any{&c.Total, &c.Never, &c.Stale, &c.Removed, &a.Day, &a.Week, &a.Month, &a.Quarter, &a.Older}
	for i := range next {
		dest = append(dest, &next[i])
	}
	err := t.QueryRowContext(ctx, `SELECT
			COUNT(*) FILTER (WHERE removed_at IS NULL),
			COUNT(*) FILTER (WHERE removed_at IS NULL AND last_report IS NULL),
			COUNT(*) FILTER (WHERE removed_at IS NULL AND last_report < $2),
			COUNT(*) FILTER (WHERE removed_at IS NOT NULL),
			COUNT(*) FILTER (WHERE removed_at IS NULL AND last_report >= $3),
			COUNT(*) FILTER (WHERE removed_at IS NULL AND last_report < $3 AND last_report >= $4),
			COUNT(*) FILTER (WHERE removed_at IS NULL AND last_report < $4 AND last_report >= $5),
			COUNT(*) FILTER (WHERE removed_at IS NULL AND last_report < $5 AND last_report >= $6),
			COUNT(*) FILTER (WHERE removed_at IS NULL AND last_report < $6),
			MIN(last_report) FILTER (WHERE removed_at IS NULL AND last_report >= $2),
			MIN(last_report) FILTER (WHERE removed_at IS NULL AND last_report >= $3),
			MIN(last_report) FILTER (WHERE removed_at IS NULL AND last_report >= $4),
			MIN(last_report) FILTER (WHERE removed_at IS NULL AND last_report >= $5),
			MIN(last_report) FILTER (WHERE removed_at IS NULL AND last_report >= $6)
		FROM clients WHERE server_id = $1`, args...).Scan(dest...)
	if err != nil {
		return fmt.Errorf("count clients: %w", err)
	}
	a.Never = c.Never
	var recountAt any
	for i, n := range next {
		if n.Valid {
			at := n.Int64 + edges[i].Milliseconds()
			if r, ok := recountAt.(int64); !ok || at < r {
				recountAt = at
			}
		}
	}
	ages, _ := json.Marshal(c.Ages)
	_, err = t.ExecContext(ctx, `UPDATE servers SET clients_total = $2, clients_never = $3, clients_stale = $4,
		clients_removed = $5, clients_ages = $6, clients_recount_at = $7 WHERE id = $1`,
		serverID, c.Total, c.Never, c.Stale, c.Removed, string(ages), recountAt)
	if err != nil {
		return fmt.Errorf("store client counts: %w", err)
	}
	return nil
}

// RecountDue refreshes the client summaries that time has changed since they
// were computed (clients crossing the stale threshold or a histogram edge);
// serve runs it every minute. It returns how many servers it recounted.
func (s *Store) RecountDue(ctx context.Context) (int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM servers WHERE clients_recount_at <= $1`, ms(s.now()))
	if err != nil {
		return 0, fmt.Errorf("find due recounts: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		if err := s.write(ctx, func(ctx context.Context, t *wtx) error { return s.recountClients(ctx, t, id) }); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

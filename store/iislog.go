package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

var iislogHourColumns = []string{"server_id", "file", "hour", "vdir", "status", "substatus", "win32",
	"requests", "clients", "wua", "other_ua", "p50_ms", "p95_ms", "max_ms"}

// iislogUpload is one uploaded IIS log, or one chunk of one, on its way to
// the writer: its hours for the history and what the recent window keeps of
// it.
type iislogUpload struct {
	rows      [][]any // iislogHourColumns order; server_id filled in by the writer
	part      iislogPart
	reportID  string
	collected int64
}

func newIISLogUpload(r *probes.Report) *iislogUpload {
	d := r.IISLog
	return &iislogUpload{rows: iislogRows(d), reportID: r.ID, collected: ms(r.CollectedAt.Time),
		part: iislogPart{File: d.File, First: d.First, Last: d.Last, Lines: d.Lines, Skipped: d.Skipped, Other: d.Other,
			TopClients: d.TopClients}}
}

// iislogRows turns a digest's buckets into history rows (server_id filled in
// by the writer).
func iislogRows(d *probes.IISLogDigest) [][]any {
	rows := make([][]any, len(d.Buckets))
	for i, b := range d.Buckets {
		sub, win32 := int64(-1), int64(-1)
		if b.Substatus != nil {
			sub = int64(*b.Substatus)
		}
		if b.Win32Status != nil {
			win32 = *b.Win32Status
		}
		var p50, p95, mx any
		if b.TimeTaken != nil {
			p50, p95, mx = b.TimeTaken.P50, b.TimeTaken.P95, b.TimeTaken.Max
		}
		rows[i] = []any{nil, d.File, ms(b.Hour.Time), b.VDir, b.Status, sub, win32, b.Requests, b.Clients, b.WUA, b.OtherUA, p50, p95, mx}
	}
	return rows
}

// saveIISLogHours stores an upload's hours in the history, replacing what it
// supersedes (see supersedes), and rebuilds the server's iislog section
// from the recent window of the history.
func (s *Store) saveIISLogHours(ctx context.Context, t *wtx, serverID int64, file string, up *iislogUpload) error {
	if err := deleteSuperseded(ctx, t, serverID, file); err != nil {
		return err
	}
	for _, r := range up.rows {
		r[0] = serverID
	}
	if len(up.rows) > 0 {
		if err := s.d.bulkLoad(ctx, t, "iislog_hours", iislogHourColumns, slices.Values(up.rows), ""); err != nil {
			return fmt.Errorf("save iis log hours: %w", err)
		}
	}
	return saveIISLogWindow(ctx, t, serverID, up)
}

// deleteSuperseded removes from the history the hours of every stored part
// of the log that an upload of file supersedes.
func deleteSuperseded(ctx context.Context, t *wtx, serverID int64, file string) error {
	base, _ := splitLogPart(file)
	rows, err := t.QueryContext(ctx, `SELECT DISTINCT file FROM iislog_hours WHERE server_id = $1 AND (lower(file) = $2 OR lower(file) LIKE $3 ESCAPE '\')`,
		serverID, strings.ToLower(base), escapeLike(strings.ToLower(base)+"@")+"%")
	if err != nil {
		return fmt.Errorf("find superseded iis log hours: %w", err)
	}
	var stale []string
	for rows.Next() {
		var f string
		if err := rows.Scan(&f); err != nil {
			rows.Close()
			return err
		}
		if supersedes(file, f) {
			stale = append(stale, f)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, f := range stale {
		if _, err := t.ExecContext(ctx, `DELETE FROM iislog_hours WHERE server_id = $1 AND file = $2`, serverID, f); err != nil {
			return fmt.Errorf("replace iis log hours: %w", err)
		}
	}
	return nil
}

// readIISLogHours reads a server's hourly aggregates since a time, oldest
// first.
func readIISLogHours(ctx context.Context, q querier, serverID int64, since time.Time) ([]probes.IISLogHour, error) {
	rows, err := q.QueryContext(ctx, `SELECT file, hour, vdir, status, substatus, win32, requests, clients, wua, other_ua, p50_ms, p95_ms, max_ms
		FROM iislog_hours WHERE server_id = $1 AND hour >= $2 ORDER BY hour, vdir, status, substatus, win32, file LIMIT $3`, serverID, ms(since), maxHistory)
	if err != nil {
		return nil, fmt.Errorf("read iis log history: %w", err)
	}
	defer rows.Close()
	out := []probes.IISLogHour{}
	for rows.Next() {
		var h probes.IISLogHour
		var hour, sub, win32 int64
		var p50, p95, mx sql.NullInt64
		if err := rows.Scan(&h.File, &hour, &h.VDir, &h.Status, &sub, &win32, &h.Requests, &h.Clients, &h.WUA, &h.OtherUA, &p50, &p95, &mx); err != nil {
			return nil, err
		}
		h.Hour = probes.TimeOf(fromMS(hour))
		if sub >= 0 {
			v := int(sub)
			h.Substatus = &v
		}
		if win32 >= 0 {
			h.Win32Status = &win32
		}
		if mx.Valid {
			h.TimeTaken = &probes.IISLogLatency{P50: p50.Int64, P95: p95.Int64, Max: mx.Int64, N: h.Requests}
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// IISLogHistory returns a server's hourly IIS log aggregates since a time,
// oldest first, across every uploaded file.
func (s *Store) IISLogHistory(ctx context.Context, server string, since time.Time) ([]probes.IISLogHour, error) {
	var id int64
	if err := s.db.QueryRowContext(ctx, `SELECT id FROM servers WHERE name = $1`, probes.NormalizeName(server)).Scan(&id); err != nil {
		return nil, fmt.Errorf("server %q: %w", server, probes.ErrNotFound)
	}
	return readIISLogHours(ctx, s.db, id, since)
}

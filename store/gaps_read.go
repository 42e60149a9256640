package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/wsusfleet/wsusfleet/probes"
)

func zeroGaps() map[string]int64 {
	m := map[string]int64{}
	for _, c := range probes.GapCategories() {
		m[c] = 0
	}
	return m
}

// Gaps returns the fleet's client-reporting gaps by category and server,
// read from the counts kept at ingest.
func (s *Store) Gaps(ctx context.Context) (probes.FleetGaps, error) {
	if err := s.diagnosed(ctx); err != nil {
		return probes.FleetGaps{}, err
	}
	out := probes.FleetGaps{Categories: zeroGaps(), Servers: []probes.ServerGaps{}, Unassigned: zeroGaps()}
	rows, err := s.db.QueryContext(ctx, `SELECT g.server_key, COALESCE(s.name, ''), COALESCE(s.gap_cause, ''), COALESCE(s.gap_cause_title, ''), g.category, g.count
		FROM gap_counts g LEFT JOIN servers s ON s.id = g.server_key WHERE g.count <> 0 ORDER BY 2, 4`)
	if err != nil {
		return out, fmt.Errorf("read gaps: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var key, n int64
		var server, cause, title, cat string
		if err := rows.Scan(&key, &server, &cause, &title, &cat, &n); err != nil {
			return out, err
		}
		out.Categories[cat] += n
		if key == 0 {
			out.Unassigned[cat] += n
			continue
		}
		if len(out.Servers) == 0 || out.Servers[len(out.Servers)-1].Server != server {
			out.Servers = append(out.Servers, probes.ServerGaps{Server: server, Categories: zeroGaps(), Cause: cause, CauseTitle: title})
		}
		out.Servers[len(out.Servers)-1].Categories[cat] += n
	}
	return out, rows.Err()
}

// gapCursor is the position after a page: in the listed phase (clients on a
// server's list) or the unlisted one (fleet_gaps).
type gapCursor struct {
	Unlisted bool   `json:"u,omitempty"`
	Name     string `json:"n"`
	Server   int64  `json:"s,omitempty"`
	Key      string `json:"k,omitempty"`
}

func (c gapCursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// timeCaused are the categories a server-wide cause explains.
var timeCaused = []string{probes.GapNeverReported, probes.GapScanOKReportStale, probes.GapStaleReport}

// GapClients returns a page of the clients in one gap category, with the
// evidence: those on a server's list first, then those no server lists.
func (s *Store) GapClients(ctx context.Context, q probes.GapQuery) (probes.GapPage, error) {
	page := probes.GapPage{Clients: []probes.GapClient{}}
	if !slices.Contains(probes.GapCategories(), q.Category) {
		return page, fmt.Errorf("gap category %q: %w", q.Category, probes.ErrNotFound)
	}
	limit := q.Limit
	switch {
	case limit == 0:
		limit = defaultPageSize
	case limit < 1 || limit > maxPageSize:
		return page, probes.InvalidParam("limit", "must be between 1 and %d", maxPageSize)
	}
	var serverID int64
	if q.Server != "" {
		if err := s.db.QueryRowContext(ctx, `SELECT id FROM servers WHERE name = $1`, probes.NormalizeName(q.Server)).Scan(&serverID); err != nil {
			return page, fmt.Errorf("server %q: %w", q.Server, probes.ErrNotFound)
		}
	}
	var cur gapCursor
	if q.Cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(q.Cursor)
		if err != nil || json.Unmarshal(b, &cur) != nil || cur.Name == "" {
			return page, probes.InvalidParam("cursor", "is not a cursor from a previous page")
		}
	}
	totalQ := `SELECT COALESCE(SUM(count), 0) FROM gap_counts WHERE category = $1`
	args := []any{q.Category}
	if serverID != 0 {
		totalQ += ` AND server_key = $2`
		args = append(args, serverID)
	}
	if err := s.db.QueryRowContext(ctx, totalQ, args...).Scan(&page.Total); err != nil {
		return page, err
	}
	err := s.eachGapClient(ctx, q.Category, serverID, cur, limit+1, func(c probes.GapClient, at gapCursor) bool {
		if len(page.Clients) == limit {
			page.NextCursor = cur.encode()
			return false
		}
		page.Clients = append(page.Clients, c)
		cur = at
		return true
	})
	return page, err
}

// EachGapClient calls fn for every client of a category (for CSV exports).
func (s *Store) EachGapClient(ctx context.Context, q probes.GapQuery, fn func(probes.GapClient) error) error {
	if !slices.Contains(probes.GapCategories(), q.Category) {
		return fmt.Errorf("gap category %q: %w", q.Category, probes.ErrNotFound)
	}
	var serverID int64
	if q.Server != "" {
		if err := s.db.QueryRowContext(ctx, `SELECT id FROM servers WHERE name = $1`, probes.NormalizeName(q.Server)).Scan(&serverID); err != nil {
			return fmt.Errorf("server %q: %w", q.Server, probes.ErrNotFound)
		}
	}
	var ferr error
	err := s.eachGapClient(ctx, q.Category, serverID, gapCursor{}, 0, func(c probes.GapClient, _ gapCursor) bool {
		ferr = fn(c)
		return ferr == nil
	})
	if ferr != nil {
		return ferr
	}
	return err
}

// eachGapClient walks both phases from a cursor, at most limit rows (0: no
// limit), until fn returns false.
func (s *Store) eachGapClient(ctx context.Context, category string, serverID int64, from gapCursor, limit int, fn func(probes.GapClient, gapCursor) bool) error {
	if err := s.diagnosed(ctx); err != nil {
		return err
	}
	sqlLimit := func(n int) string {
		if limit == 0 {
			return ""
		}
		return fmt.Sprintf(" LIMIT %d", n)
	}
	left, more := limit, true
	if !from.Unlisted {
		where, args := []string{"c.gap = $1"}, []any{category}
		if serverID != 0 {
			args = append(args, serverID)
			where = append(where, fmt.Sprintf("c.server_id = $%d", len(args)))
		}
		if from.Name != "" {
			args = append(args, from.Name, from.Server, from.Key)
			where = append(where, fmt.Sprintf("(c.name, c.server_id, c.key) > ($%d, $%d, $%d)", len(args)-2, len(args)-1, len(args)))
		}
		rows, err := s.db.QueryContext(ctx, `SELECT c.name, s.name, c.gap, c.gap_detail, s.gap_cause, s.gap_cause_title, c.gap_since, c.last_report, c.last_sync, c.ip, c.os,
			c.server_id, c.key FROM clients c JOIN servers s ON s.id = c.server_id WHERE `+strings.Join(where, " AND ")+
			` ORDER BY c.name, c.server_id, c.key`+sqlLimit(left), args...)
		if err != nil {
			return fmt.Errorf("list gap clients: %w", err)
		}
		for more && rows.Next() {
			var c probes.GapClient
			var at gapCursor
			var cause, title string
			var since, report, sync sql.NullInt64
			if err := rows.Scan(&c.Name, &c.Server, &c.Category, &c.Detail, &cause, &title, &since, &report, &sync, &c.IP, &c.OS, &at.Server, &at.Key); err != nil {
				rows.Close()
				return err
			}
			if slices.Contains(timeCaused, c.Category) {
				c.Cause, c.CauseTitle = cause, title
			}
			c.Listed, c.Since, c.LastReport, c.LastSync, at.Name = true, fromNullMS(since), fromNullMS(report), fromNullMS(sync), c.Name
			more = fn(c, at)
			left--
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		from = gapCursor{Unlisted: true}
	}
	if !more || (limit > 0 && left <= 0) {
		return nil
	}
	where, args := []string{"f.category = $1"}, []any{category}
	if serverID != 0 {
		args = append(args, serverID)
		where = append(where, fmt.Sprintf("f.server_id = $%d", len(args)))
	}
	if from.Name != "" {
		args = append(args, from.Name)
		where = append(where, fmt.Sprintf("f.name > $%d", len(args)))
	}
	rows, err := s.db.QueryContext(ctx, `SELECT f.name, COALESCE(s.name, ''), f.category, f.detail, f.since FROM fleet_gaps f
		LEFT JOIN servers s ON s.id = f.server_id WHERE `+strings.Join(where, " AND ")+` ORDER BY f.name`+sqlLimit(left), args...)
	if err != nil {
		return fmt.Errorf("list gap computers: %w", err)
	}
	defer rows.Close()
	for more && rows.Next() {
		var c probes.GapClient
		var since int64
		if err := rows.Scan(&c.Name, &c.Server, &c.Category, &c.Detail, &since); err != nil {
			return err
		}
		t := fromMS(since)
		c.Since = &t
		more = fn(c, gapCursor{Unlisted: true, Name: c.Name})
	}
	return rows.Err()
}

// Findings lists open findings across the fleet, root cause first
// (probes.OrderServerFindings).
func (s *Store) Findings(ctx context.Context, q probes.FindingQuery) ([]probes.ServerFinding, error) {
	if err := s.diagnosed(ctx); err != nil {
		return nil, err
	}
	where, args := []string{"f.resolved_at IS NULL"}, []any{}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if q.Severity != "" {
		if probes.SeverityRank(q.Severity) == 0 {
			return nil, probes.InvalidParam("severity", "must be critical, warning or info; got %q", q.Severity)
		}
		add("f.severity = $%d", q.Severity)
	}
	if q.Rule != "" {
		add("f.rule = $%d", q.Rule)
	}
	if q.Server != "" {
		add("s.name = $%d", probes.NormalizeName(q.Server))
	}
	rows, err := s.db.QueryContext(ctx, `SELECT s.name, f.body, f.first_seen, f.last_seen FROM findings f JOIN servers s ON s.id = f.server_id
		WHERE `+strings.Join(where, " AND ")+` ORDER BY s.name, f.rule, f.subject`, args...)
	if err != nil {
		return nil, fmt.Errorf("list findings: %w", err)
	}
	defer rows.Close()
	out := []probes.ServerFinding{}
	for rows.Next() {
		var sf probes.ServerFinding
		var body string
		var first, last int64
		if err := rows.Scan(&sf.Server, &body, &first, &last); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(body), &sf.Finding); err != nil {
			return nil, fmt.Errorf("decode finding: %w", err)
		}
		sf.FirstSeen, sf.LastSeen = fromMS(first), fromMS(last)
		out = append(out, sf)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Root cause first, fleet-wide; a gap finding concerns its category's clients.
	counts := map[[2]string]int64{}
	crows, err := s.db.QueryContext(ctx, `SELECT s.name, g.category, g.count FROM gap_counts g JOIN servers s ON s.id = g.server_key WHERE g.count <> 0`)
	if err != nil {
		return nil, fmt.Errorf("read gap counts: %w", err)
	}
	defer crows.Close()
	for crows.Next() {
		var server, category string
		var n int64
		if err := crows.Scan(&server, &category, &n); err != nil {
			return nil, err
		}
		counts[[2]string{server, category}] = n
	}
	if err := crows.Err(); err != nil {
		return nil, err
	}
	probes.OrderServerFindings(out, func(f probes.ServerFinding) int64 { return counts[[2]string{f.Server, f.Rule}] })
	return out, nil
}

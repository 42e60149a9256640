package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

const (
	defaultPageSize = 100
	maxPageSize     = 1000
)

// clientFilter is a ClientQuery turned into SQL: a WHERE clause over clients
// of one server, and the keyset ordering.
type clientFilter struct {
	serverID int64
	listedAt sql.NullInt64 // the server's last complete list
	where    string
	args     []any
	sortExpr string // the leading sort key ("" for name)
	desc     bool

	listed, removed int64 // the server's kept counts (recountClients)
}

func (s *Store) clientFilter(ctx context.Context, q probes.ClientQuery) (clientFilter, error) {
	var f clientFilter
	err := s.db.QueryRowContext(ctx, `SELECT id, clients_listed_at, clients_total, clients_removed FROM servers WHERE name = $1`,
		probes.NormalizeName(q.Server)).Scan(&f.serverID, &f.listedAt, &f.listed, &f.removed)
	if err == sql.ErrNoRows {
		return f, fmt.Errorf("server %q: %w", q.Server, probes.ErrNotFound)
	}
	if err != nil {
		return f, fmt.Errorf("find server %q: %w", q.Server, err)
	}
	f.args = []any{f.serverID}
	cond := []string{"server_id = $1"}
	arg := func(v any) string {
		f.args = append(f.args, v)
		return fmt.Sprintf("$%d", len(f.args))
	}
	// stale_report and never_reported are the gap categories, the clients the
	// stale and never counts count; older_than narrows stale ones by age.
	switch q.Gap {
	case "", probes.GapAll:
	case probes.GapRemoved:
		cond = append(cond, "removed_at IS NOT NULL")
	case probes.GapNeverReported:
		cond = append(cond, "gap = "+arg(probes.GapNeverReported))
	case probes.GapStaleReport:
		cond = append(cond, "gap = "+arg(probes.GapStaleReport))
		if q.OlderThan > 0 {
			cond = append(cond, "last_report < "+arg(ms(s.now().Add(-q.OlderThan))))
		}
	default:
		return f, probes.InvalidParam("gap", "must be one of all, stale_report, never_reported, removed; got %q", q.Gap)
	}
	if q.Category != "" {
		if !slices.Contains(probes.GapCategories(), q.Category) {
			return f, probes.InvalidParam("category", "must be one of %s; got %q", strings.Join(probes.GapCategories(), ", "), q.Category)
		}
		cond = append(cond, "gap = "+arg(q.Category))
	}
	if q.Search != "" {
		cond = append(cond, `name LIKE `+arg("%"+escapeLike(probes.NormalizeName(q.Search))+"%")+` ESCAPE '\'`)
	}
	switch strings.TrimPrefix(q.Sort, "-") {
	case "", "name":
	case "last_report":
		f.sortExpr = "COALESCE(last_report, -1)" // never reported sorts as the oldest
	default:
		return f, probes.InvalidParam("sort", "must be name or last_report, optionally prefixed with -; got %q", q.Sort)
	}
	f.desc = strings.HasPrefix(q.Sort, "-")
	f.where = strings.Join(cond, " AND ")
	return f, nil
}

// clientTotal counts the clients matching q: from the counts kept at ingest
// where one covers the filter (every client, the removed ones, and the two
// categories only listed clients fall in: recountClients and the gap
// classification keep them in the transaction that changes the rows), by
// COUNT(*) for a search, an age bound or another category.
func (s *Store) clientTotal(ctx context.Context, f clientFilter, q probes.ClientQuery) (int64, error) {
	if q.Search == "" && q.Category == "" {
		switch q.Gap {
		case "", probes.GapAll:
			return f.listed + f.removed, nil
		case probes.GapRemoved:
			return f.removed, nil
		case probes.GapNeverReported, probes.GapStaleReport:
			if q.OlderThan > 0 {
				break
			}
			var n int64
			err := s.db.QueryRowContext(ctx, `SELECT COALESCE(SUM(count), 0) FROM gap_counts WHERE server_key = $1 AND category = $2`,
				f.serverID, q.Gap).Scan(&n)
			if err != nil {
				return 0, fmt.Errorf("count clients: %w", err)
			}
			return n, nil
		}
	}
	var n int64
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM clients WHERE `+f.where, f.args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count clients: %w", err)
	}
	return n, nil
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// cursor is the position after the last row of a page.
type cursor struct {
	Sort int64  `json:"s,omitempty"`
	Name string `json:"n"`
	Key  string `json:"k"`
}

func (c cursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (cursor, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil || c.Key == "" {
		return c, probes.InvalidParam("cursor", "is not a cursor from a previous page")
	}
	return c, nil
}

func (f clientFilter) keys() []string {
	if f.sortExpr == "" {
		return []string{"name", "key"}
	}
	return []string{f.sortExpr, "name", "key"}
}

func (f clientFilter) order() string {
	dir := ""
	if f.desc {
		dir = " DESC"
	}
	keys := f.keys()
	for i := range keys {
		keys[i] += dir
	}
	return " ORDER BY " + strings.Join(keys, ", ")
}

const clientSelect = `SELECT key, target_id, name, ip, os, client_version, groups, requested_group, last_sync,
	last_sync_result, last_report, first_seen, last_seen, removed_at, COALESCE(gap, ''), gap_detail, COALESCE(last_report, -1) FROM clients WHERE `

// Clients returns one page of a server's clients matching q, with the total.
func (s *Store) Clients(ctx context.Context, q probes.ClientQuery) (probes.ClientPage, error) {
	f, err := s.clientFilter(ctx, q)
	if err != nil {
		return probes.ClientPage{}, err
	}
	limit := q.Limit
	switch {
	case limit == 0:
		limit = defaultPageSize
	case limit < 1 || limit > maxPageSize:
		return probes.ClientPage{}, probes.InvalidParam("limit", "must be between 1 and %d", maxPageSize)
	}
	page := probes.ClientPage{Clients: []probes.ClientRecord{}}
	if page.Total, err = s.clientTotal(ctx, f, q); err != nil {
		return page, err
	}
	where, args := f.where, append([]any(nil), f.args...)
	if q.Cursor != "" {
		c, err := decodeCursor(q.Cursor)
		if err != nil {
			return page, err
		}
		vals := []any{c.Name, c.Key}
		if f.sortExpr != "" {
			vals = append([]any{c.Sort}, vals...)
		}
		ph := make([]string, len(vals))
		for i, v := range vals {
			args = append(args, v)
			ph[i] = fmt.Sprintf("$%d", len(args))
		}
		op := ">"
		if f.desc {
			op = "<"
		}
		where += fmt.Sprintf(" AND (%s) %s (%s)", strings.Join(f.keys(), ", "), op, strings.Join(ph, ", "))
	}
	args = append(args, limit+1)
	var last cursor
	err = s.eachClientRow(ctx, clientSelect+where+f.order()+fmt.Sprintf(" LIMIT $%d", len(args)), args, q.Server, f.listedAt,
		func(rec probes.ClientRecord, c cursor) error {
			if len(page.Clients) == limit {
				page.NextCursor = last.encode()
				return errStop
			}
			page.Clients = append(page.Clients, rec)
			last = c
			return nil
		})
	return page, err
}

// EachClient calls fn for every client matching q (ignoring cursor and
// limit), in order, streaming: for CSV exports of any size.
func (s *Store) EachClient(ctx context.Context, q probes.ClientQuery, fn func(probes.ClientRecord) error) error {
	f, err := s.clientFilter(ctx, q)
	if err != nil {
		return err
	}
	return s.eachClientRow(ctx, clientSelect+f.where+f.order(), f.args, q.Server, f.listedAt,
		func(rec probes.ClientRecord, _ cursor) error { return fn(rec) })
}

var errStop = fmt.Errorf("stop")

// eachClientRow reads client rows; a listed target was seen at least as
// recently as its server's last complete list (listedAt), which does not
// rewrite the rows of targets it lists unchanged.
func (s *Store) eachClientRow(ctx context.Context, query string, args []any, server string, listedAt sql.NullInt64, fn func(probes.ClientRecord, cursor) error) error {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("list clients: %w", err)
	}
	defer rows.Close()
	server = probes.NormalizeName(server)
	for rows.Next() {
		var rec probes.ClientRecord
		var c cursor
		var groups string
		var lastSync, lastReport, removed sql.NullInt64
		var first, seen int64
		if err := rows.Scan(&c.Key, &rec.ID, &rec.Name, &rec.IP, &rec.OS, &rec.ClientVersion, &groups, &rec.RequestedGroup,
			&lastSync, &rec.LastSyncResult, &lastReport, &first, &seen, &removed, &rec.Gap, &rec.GapDetail, &c.Sort); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(groups), &rec.Groups); err != nil {
			return fmt.Errorf("decode groups: %w", err)
		}
		rec.LastSync, rec.LastReport = nullTime(lastSync), nullTime(lastReport)
		if !removed.Valid && listedAt.Valid && listedAt.Int64 > seen {
			seen = listedAt.Int64
		}
		rec.FirstSeen, rec.LastSeen, rec.RemovedAt = fromMS(first), fromMS(seen), fromNullMS(removed)
		rec.Server, c.Name = server, rec.Name
		if err := fn(rec, c); err != nil {
			if err == errStop {
				return nil
			}
			return err
		}
	}
	return rows.Err()
}

func nullTime(v sql.NullInt64) probes.Time {
	if !v.Valid {
		return probes.Time{}
	}
	return probes.TimeOf(time.UnixMilli(v.Int64))
}

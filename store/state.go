package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

// serverRow is the servers columns the read models need.
type serverRow struct {
	id           int64
	name, url    string
	registered   bool
	severity     string
	lastReportAt sql.NullInt64
	counts       probes.ClientCounts
}

const serverRowColumns = `id, name, url, registered, severity, last_report_at,
	clients_total, clients_stale, clients_never, clients_removed, clients_ages`

func scanServerRow(sc interface{ Scan(...any) error }) (serverRow, error) {
	var r serverRow
	var ages string
	err := sc.Scan(&r.id, &r.name, &r.url, &r.registered, &r.severity, &r.lastReportAt,
		&r.counts.Total, &r.counts.Stale, &r.counts.Never, &r.counts.Removed, &ages)
	if err == nil {
		err = json.Unmarshal([]byte(ages), &r.counts.Ages)
	}
	return r, err
}

// status is the server's worst open finding, or unknown when nothing has
// been heard from it for UnknownAfter.
func (s *Store) status(r serverRow, now time.Time) string {
	if !r.lastReportAt.Valid || now.Sub(fromMS(r.lastReportAt.Int64)) > s.opts.UnknownAfter {
		return probes.StatusUnknown
	}
	switch r.severity {
	case probes.SeverityCritical:
		return probes.StatusCritical
	case probes.SeverityWarning:
		return probes.StatusWarning
	}
	return probes.StatusOK
}

// ServerState returns the latest value of every section of the named server
// and its open findings; probes.ErrNotFound when the server is unknown.
func (s *Store) ServerState(ctx context.Context, name string) (*probes.ServerState, error) {
	if err := s.diagnosed(ctx); err != nil {
		return nil, err
	}
	row, err := scanServerRow(s.db.QueryRowContext(ctx, `SELECT `+serverRowColumns+` FROM servers WHERE name = $1`, probes.NormalizeName(name)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("server %q: %w", name, probes.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read server %q: %w", name, err)
	}
	st, err := s.loadState(ctx, s.db, row)
	if err != nil {
		return nil, err
	}
	if st.Findings, err = openFindings(ctx, s.db, row.id); err != nil {
		return nil, err
	}
	return st, nil
}

// loadState reads what the rules judge: every section, the latest checks
// and the gap counts (not the findings they produce).
func (s *Store) loadState(ctx context.Context, q querier, row serverRow) (*probes.ServerState, error) {
	st := &probes.ServerState{
		Name: row.name, URL: row.url, Registered: row.registered, Status: s.status(row, s.now()),
		LastReportAt: fromNullMS(row.lastReportAt), ClientSummary: row.counts, Collected: map[string]time.Time{},
	}
	if err := loadSections(ctx, q, row.id, st); err != nil {
		return nil, err
	}
	checks, err := loadLatestChecks(ctx, q, row.id)
	if err != nil {
		return nil, err
	}
	st.VDirChecks = checks
	if len(checks) > 0 {
		st.Collected[probes.SectionVDirChecks] = slices.MaxFunc(checks, func(a, b probes.ObservedCheck) int { return a.CheckedAt.Compare(b.CheckedAt) }).CheckedAt
	}
	if st.Gaps, st.GapCause, err = serverGaps(ctx, q, row.id); err != nil {
		return nil, err
	}
	if st.ClientChecks, err = clientChecks(ctx, q, row.id); err != nil {
		return nil, err
	}
	return st, nil
}

// serverGaps reads a server's kept gap counts (every category) and cause.
func serverGaps(ctx context.Context, q querier, serverID int64) (map[string]int64, string, error) {
	out := zeroGaps()
	var cause string
	if err := q.QueryRowContext(ctx, `SELECT gap_cause FROM servers WHERE id = $1`, serverID).Scan(&cause); err != nil {
		return nil, "", fmt.Errorf("read gap cause: %w", err)
	}
	rows, err := q.QueryContext(ctx, `SELECT category, count FROM gap_counts WHERE server_key = $1`, serverID)
	if err != nil {
		return nil, "", fmt.Errorf("read gap counts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var cat string
		var n int64
		if err := rows.Scan(&cat, &n); err != nil {
			return nil, "", err
		}
		out[cat] = n
	}
	return out, cause, rows.Err()
}

func loadSections(ctx context.Context, q querier, serverID int64, st *probes.ServerState) error {
	rows, err := q.QueryContext(ctx, `SELECT name, collected_at, body FROM sections WHERE server_id = $1`, serverID)
	if err != nil {
		return fmt.Errorf("read sections: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, body string
		var at int64
		if err := rows.Scan(&name, &at, &body); err != nil {
			return err
		}
		dst := map[string]any{
			probes.SectionServer: &st.Server, probes.SectionVDirConfig: &st.VDirConfig, probes.SectionAppPool: &st.AppPool,
			probes.SectionServices: &st.Services, probes.SectionACLs: &st.ACLs, probes.SectionEvents: &st.Events,
			probes.SectionSync: &st.Sync, probes.SectionDenials: &st.Denials, probes.SectionIISLog: &st.IISLog,
			probes.SectionHTTPErr: &st.HTTPErr, probes.SectionSDLog: &st.SDLog,
		}[name]
		if dst == nil {
			continue // a section of a newer version: shown once the code knows it
		}
		if err := json.Unmarshal([]byte(body), dst); err != nil {
			return fmt.Errorf("decode section %s: %w", name, err)
		}
		st.Collected[name] = fromMS(at)
	}
	return rows.Err()
}

// loadLatestChecks returns the latest checks from each vantage and origin,
// ordered by vantage, origin, then the dashboard's vDir order.
func loadLatestChecks(ctx context.Context, q querier, serverID int64) ([]probes.ObservedCheck, error) {
	rows, err := q.QueryContext(ctx, `SELECT vantage, origin, checked_at, body FROM vdir_latest WHERE server_id = $1`, serverID)
	if err != nil {
		return nil, fmt.Errorf("read vdir checks: %w", err)
	}
	out, err := scanRuns(rows)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, compareObserved)
	return out, nil
}

// scanRuns flattens rows of (vantage, origin, checked_at, body) runs into
// observed checks, in row order.
func scanRuns(rows *sql.Rows) ([]probes.ObservedCheck, error) {
	defer rows.Close()
	out := []probes.ObservedCheck{}
	for rows.Next() {
		var vantage, origin, body string
		var at int64
		if err := rows.Scan(&vantage, &origin, &at, &body); err != nil {
			return nil, err
		}
		var checks []probes.VDirCheck
		if err := json.Unmarshal([]byte(body), &checks); err != nil {
			return nil, fmt.Errorf("decode vdir checks: %w", err)
		}
		for _, c := range checks {
			out = append(out, probes.ObservedCheck{VDirCheck: c, Vantage: vantage, Origin: origin, CheckedAt: fromMS(at)})
		}
	}
	return out, rows.Err()
}

func compareObserved(a, b probes.ObservedCheck) int {
	return cmp.Or(cmp.Compare(vantageOrder(a.Vantage), vantageOrder(b.Vantage)), cmp.Compare(a.Origin, b.Origin),
		cmp.Compare(vdirOrder(a.VDir), vdirOrder(b.VDir)), cmp.Compare(a.URL, b.URL))
}

func vantageOrder(v string) int {
	return slices.Index([]string{probes.VantageDashboard, probes.VantageServer, probes.VantageRemote, probes.VantageClient}, v)
}

func vdirOrder(v string) int { return slices.Index(probes.VDirNames(), v) }

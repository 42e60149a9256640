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
	counts       probes.ClientCounts // total, removed and the one-day count (Ages.Day); the rest from ageCounts
	rootCause    *probes.FindingHead
}

const serverRowColumns = `id, name, url, registered, severity, last_report_at, clients_total, clients_removed, clients_day, root_cause`

func scanServerRow(sc interface{ Scan(...any) error }) (serverRow, error) {
	var r serverRow
	var root string
	err := sc.Scan(&r.id, &r.name, &r.url, &r.registered, &r.severity, &r.lastReportAt, &r.counts.Total, &r.counts.Removed, &r.counts.Ages.Day, &root)
	if err == nil && root != "" {
		r.rootCause = &probes.FindingHead{}
		err = json.Unmarshal([]byte(root), r.rootCause)
	}
	return r, err
}

// ageCounts fills in the counts kept with the gap categories: the
// last-report histogram, and from it the stale and never counts, which are
// exactly the stale_report and never_reported categories (probes.AgeBucket).
// The clients in no category are the rest of the list: those of them that
// reported within a day (counted in Ages.Day by the row) and the others.
// serverID 0 reads every server's; counts must hold Total and Ages.Day.
func ageCounts(ctx context.Context, q querier, serverID int64, counts func(id int64) *probes.ClientCounts) error {
	query, args := `SELECT server_id, bucket, count FROM age_counts WHERE count <> 0`, []any{}
	if serverID != 0 {
		query, args = query+` AND server_id = $1`, []any{serverID}
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("read client ages: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, n int64
		var bucket string
		if err := rows.Scan(&id, &bucket, &n); err != nil {
			return err
		}
		c := counts(id)
		if c == nil {
			continue
		}
		a := &c.Ages
		switch bucket {
		case probes.AgeMonth:
			a.Month += n
		case probes.AgeQuarter:
			a.Quarter += n
		case probes.AgeOlder:
			a.Older += n
		case probes.AgeNever:
			a.Never += n
		case probes.AgeExplained:
			a.Explained += n
		}
	}
	return rows.Err()
}

// settleCounts derives what follows from the counts read: stale and never,
// and the reporting clients split into the day and the rest. A list merged
// but not yet classified counts its new clients as reporting until it is.
func settleCounts(c *probes.ClientCounts) {
	a := &c.Ages
	c.Stale, c.Never = a.Month+a.Quarter+a.Older, a.Never
	reporting := max(0, c.Total-a.Month-a.Quarter-a.Older-a.Never-a.Explained)
	a.Day = min(a.Day, reporting)
	a.Week = reporting - a.Day
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
	probes.OrderFindings(st.Findings, affectedBy(st.Gaps))
	return st, nil
}

// loadState reads what the rules judge: every section, the latest checks
// and the gap counts (not the findings they produce).
func (s *Store) loadState(ctx context.Context, q querier, row serverRow) (*probes.ServerState, error) {
	st := &probes.ServerState{
		Name: row.name, URL: row.url, Registered: row.registered, Status: s.status(row, s.now()),
		LastReportAt: fromNullMS(row.lastReportAt), ClientSummary: row.counts, Collected: map[string]time.Time{},
	}
	if err := ageCounts(ctx, q, row.id, func(int64) *probes.ClientCounts { return &st.ClientSummary }); err != nil {
		return nil, err
	}
	settleCounts(&st.ClientSummary)
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
	if st.Gaps, st.GapCause, st.GapCauseTitle, err = serverGaps(ctx, q, row.id); err != nil {
		return nil, err
	}
	if st.ClientChecks, err = clientChecks(ctx, q, row.id); err != nil {
		return nil, err
	}
	return st, nil
}

// serverGaps reads a server's kept gap counts (every category) and cause.
func serverGaps(ctx context.Context, q querier, serverID int64) (gaps map[string]int64, cause, title string, err error) {
	out := zeroGaps()
	if err := q.QueryRowContext(ctx, `SELECT gap_cause, gap_cause_title FROM servers WHERE id = $1`, serverID).Scan(&cause, &title); err != nil {
		return nil, "", "", fmt.Errorf("read gap cause: %w", err)
	}
	rows, err := q.QueryContext(ctx, `SELECT category, count FROM gap_counts WHERE server_key = $1`, serverID)
	if err != nil {
		return nil, "", "", fmt.Errorf("read gap counts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var cat string
		var n int64
		if err := rows.Scan(&cat, &n); err != nil {
			return nil, "", "", err
		}
		out[cat] = n
	}
	return out, cause, title, rows.Err()
}

// affectedBy says how many clients a finding concerns: a gap finding's
// category count (what a cause explains adds up in the ordering).
func affectedBy(gaps map[string]int64) func(probes.Finding) int64 {
	return func(f probes.Finding) int64 { return gaps[f.Rule] }
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
			probes.SectionHTTPErr: &st.HTTPErr, probes.SectionSDLog: &st.SDLog, probes.SectionCollector: &st.Collector,
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

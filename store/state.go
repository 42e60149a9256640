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
func ageCounts(ctx context.Context, r reader, serverID int64, counts func(id int64) *probes.ClientCounts) error {
	query, args := `SELECT server_id, bucket, count FROM age_counts WHERE count <> 0`, []any{}
	if serverID != 0 {
		query, args = query+` AND server_id = $1`, []any{serverID}
	}
	err := r.query(ctx, query, args, func(rows rowsScanner) error {
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
	})
	if err != nil {
		return fmt.Errorf("read client ages: %w", err)
	}
	return nil
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
	st := s.newState(row)
	if err := queueState(ctx, direct{q}, row.id, st); err != nil {
		return nil, err
	}
	settleState(st)
	return st, nil
}

// newState is a server's state before its reads (queueState) fill it in.
func (s *Store) newState(row serverRow) *probes.ServerState {
	st := &probes.ServerState{Collected: map[string]time.Time{}}
	s.fillState(st, row)
	return st
}

// fillState sets what st takes from the server's row. ClientSummary's ages
// are added to it by ageCounts, so the row goes first.
func (s *Store) fillState(st *probes.ServerState, row serverRow) {
	st.Name, st.URL, st.Registered, st.Status = row.name, row.url, row.registered, s.status(row, s.now())
	st.LastReportAt, st.ClientSummary = fromNullMS(row.lastReportAt), row.counts
}

// queueState reads what loadState reads into st, each read run or queued by
// r; once they ran, settleState derives what follows from them.
func queueState(ctx context.Context, r reader, serverID int64, st *probes.ServerState) error {
	if err := ageCounts(ctx, r, serverID, func(int64) *probes.ClientCounts { return &st.ClientSummary }); err != nil {
		return err
	}
	if err := loadSections(ctx, r, serverID, st); err != nil {
		return err
	}
	if err := r.query(ctx, `SELECT vantage, origin, checked_at, body FROM vdir_latest WHERE server_id = $1`, []any{serverID}, func(rows rowsScanner) (err error) {
		st.VDirChecks, err = scanRuns(rows)
		return err
	}); err != nil {
		return fmt.Errorf("read vdir checks: %w", err)
	}
	if err := serverGaps(ctx, r, serverID, st); err != nil {
		return err
	}
	return clientChecks(ctx, r, serverID, &st.ClientChecks)
}

// settleState derives from st's reads the client counts that follow from
// them and the order of the latest checks.
func settleState(st *probes.ServerState) {
	settleCounts(&st.ClientSummary)
	// The latest checks from each vantage and origin, by vantage, origin,
	// then the dashboard's vDir order.
	slices.SortFunc(st.VDirChecks, compareObserved)
	if len(st.VDirChecks) > 0 {
		st.Collected[probes.SectionVDirChecks] = slices.MaxFunc(st.VDirChecks, func(a, b probes.ObservedCheck) int { return a.CheckedAt.Compare(b.CheckedAt) }).CheckedAt
	}
}

// serverGaps reads a server's kept gap counts (every category) and cause
// into st.
func serverGaps(ctx context.Context, r reader, serverID int64, st *probes.ServerState) error {
	err := r.query(ctx, `SELECT gap_cause, gap_cause_title FROM servers WHERE id = $1`, []any{serverID}, func(rows rowsScanner) error {
		if !rows.Next() {
			return cmp.Or(rows.Err(), sql.ErrNoRows)
		}
		return rows.Scan(&st.GapCause, &st.GapCauseTitle)
	})
	if err != nil {
		return fmt.Errorf("read gap cause: %w", err)
	}
	err = r.query(ctx, `SELECT category, count FROM gap_counts WHERE server_key = $1`, []any{serverID}, func(rows rowsScanner) error {
		st.Gaps = zeroGaps()
		for rows.Next() {
			var cat string
			var n int64
			if err := rows.Scan(&cat, &n); err != nil {
				return err
			}
			st.Gaps[cat] = n
		}
		return rows.Err()
	})
	if err != nil {
		return fmt.Errorf("read gap counts: %w", err)
	}
	return nil
}

// affectedBy says how many clients a finding concerns: a gap finding's
// category count (what a cause explains adds up in the ordering).
func affectedBy(gaps map[string]int64) func(probes.Finding) int64 {
	return func(f probes.Finding) int64 { return gaps[f.Rule] }
}

func loadSections(ctx context.Context, r reader, serverID int64, st *probes.ServerState) error {
	err := r.query(ctx, `SELECT name, collected_at, body FROM sections WHERE server_id = $1`, []any{serverID}, func(rows rowsScanner) error {
		for rows.Next() {
			var name string
			var body []byte // bytea on PostgreSQL, which pgx's rows scan as bytes only
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
			if err := decodeRun(string(body), dst); err != nil {
				return fmt.Errorf("decode section %s: %w", name, err)
			}
			st.Collected[name] = fromMS(at)
		}
		return rows.Err()
	})
	if err != nil {
		return fmt.Errorf("read sections: %w", err)
	}
	return nil
}

// scanRuns flattens rows of (vantage, origin, checked_at, body) runs into
// observed checks, in row order.
func scanRuns(rows rowsScanner) ([]probes.ObservedCheck, error) {
	out := []probes.ObservedCheck{}
	for rows.Next() {
		var vantage, origin string
		var body []byte // bytea on PostgreSQL, which pgx scans into bytes only
		var at int64
		if err := rows.Scan(&vantage, &origin, &at, &body); err != nil {
			return nil, err
		}
		var checks []probes.VDirCheck
		if err := decodeRun(string(body), &checks); err != nil {
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

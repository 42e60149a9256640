package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

// WriteObserver is told about each commit of the writer (for metrics); the
// store itself knows nothing of how it is exported.
type WriteObserver interface {
	// Committed reports one transaction: how many writes it carried and how
	// long it took from begin to commit.
	Committed(writes int, took time.Duration, err error)
}

// WriteQueueDepth is how many writes wait for the SQLite writer (0 on
// PostgreSQL, where writes do not queue in the process).
func (s *Store) WriteQueueDepth() int {
	if s.w == nil {
		return 0
	}
	return len(s.w.jobs)
}

// MetricsSnapshot reads the state the Prometheus endpoint exports, from the
// counts kept at ingest and diagnosis: a handful of small queries whose
// cost grows with servers, never with clients. It does not settle first:
// how far behind derived state is is one of the things it reports.
func (s *Store) MetricsSnapshot(ctx context.Context) (probes.FleetMetrics, error) {
	now := s.now()
	out := probes.FleetMetrics{FleetGaps: zeroGaps(), FiringAlerts: map[string]int64{}}
	rows, err := s.db.QueryContext(ctx, `SELECT `+serverRowColumns+`,
		CASE WHEN judge_due IS NULL OR diagnose_due < judge_due THEN diagnose_due ELSE judge_due END, gaps_due_at FROM servers ORDER BY name`)
	if err != nil {
		return out, fmt.Errorf("metrics: servers: %w", err)
	}
	byID := map[int64]int{}
	var oldest time.Time
	for rows.Next() {
		var due, gapsDue sql.NullInt64
		r, err := scanServerRow(rowScanner(func(dest ...any) error { return rows.Scan(append(dest, &due, &gapsDue)...) }))
		if err != nil {
			rows.Close()
			return out, err
		}
		for _, d := range []sql.NullInt64{due, gapsDue} {
			if d.Valid && (oldest.IsZero() || fromMS(d.Int64).Before(oldest)) && !fromMS(d.Int64).After(now) {
				oldest = fromMS(d.Int64)
			}
		}
		byID[r.id] = len(out.Servers)
		out.Servers = append(out.Servers, probes.ServerMetrics{Name: r.name, Status: s.status(r, now), Clients: r.counts.Total, Gaps: zeroGaps()})
	}
	rows.Close()
	if !oldest.IsZero() {
		out.SettleLag = now.Sub(oldest)
	}
	err = s.eachRow(ctx, `SELECT server_id, rule, severity, COUNT(*) FROM findings WHERE resolved_at IS NULL GROUP BY server_id, rule, severity`, func(sc scanner) error {
		var id int64
		var f probes.FindingCount
		if err := sc.Scan(&id, &f.Rule, &f.Severity, &f.Count); err != nil {
			return err
		}
		if i, ok := byID[id]; ok {
			out.Servers[i].Findings = append(out.Servers[i].Findings, f)
		}
		return nil
	})
	if err != nil {
		return out, err
	}
	err = s.eachRow(ctx, `SELECT server_key, category, count FROM gap_counts`, func(sc scanner) error {
		var id, n int64
		var cat string
		if err := sc.Scan(&id, &cat, &n); err != nil {
			return err
		}
		out.FleetGaps[cat] += n
		if i, ok := byID[id]; ok {
			out.Servers[i].Gaps[cat] = n
		}
		return nil
	})
	if err != nil {
		return out, err
	}
	err = s.eachRow(ctx, `SELECT server_id, vantage, cells FROM vdir_latest`, func(sc scanner) error {
		var id int64
		var vantage, text string
		if err := sc.Scan(&id, &vantage, &text); err != nil {
			return err
		}
		i, ok := byID[id]
		if !ok {
			return nil
		}
		cells, err := s.strips.decode(text)
		if err != nil {
			return err
		}
		sm := &out.Servers[i]
	cell:
		for _, c := range cells {
			if c.Verdict == "" {
				continue
			}
			for k := range sm.VDirs {
				if v := &sm.VDirs[k]; v.VDir == c.VDir && v.Vantage == vantage && v.Verdict == c.Verdict {
					v.Count++
					continue cell
				}
			}
			sm.VDirs = append(sm.VDirs, probes.VerdictCount{VDir: c.VDir, Vantage: vantage, Verdict: c.Verdict, Count: 1})
		}
		return nil
	})
	if err != nil {
		return out, err
	}
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM notifications WHERE state IN ('pending', 'sending')`).Scan(&out.PendingDeliveries); err != nil {
		return out, fmt.Errorf("metrics: outbox: %w", err)
	}
	err = s.eachRow(ctx, `SELECT severity, COUNT(*) FROM alerts WHERE state = 'firing' GROUP BY severity`, func(sc scanner) error {
		var sev string
		var n int64
		if err := sc.Scan(&sev, &n); err != nil {
			return err
		}
		out.FiringAlerts[sev] = n
		return nil
	})
	return out, err
}

type scanner interface{ Scan(...any) error }

func (s *Store) eachRow(ctx context.Context, query string, fn func(scanner) error) error {
	rows, err := s.db.QueryContext(ctx, query)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// rowScanner adapts a function to what scanServerRow reads from, so a query
// may select columns after the server row's own.
type rowScanner func(dest ...any) error

func (f rowScanner) Scan(dest ...any) error { return f(dest...) }

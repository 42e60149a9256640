package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

// maxHistory bounds one history read (in runs: a run is one report's checks).
const maxHistory = 50000

// VDirHistory returns a server's vDir checks since the given time, oldest
// first (for the 24 h strip and GET /api/v1/servers/{name}/vdirs).
func (s *Store) VDirHistory(ctx context.Context, server string, since time.Time) ([]probes.ObservedCheck, error) {
	var id int64
	if err := s.db.QueryRowContext(ctx, `SELECT id FROM servers WHERE name = $1`, probes.NormalizeName(server)).Scan(&id); err != nil {
		return nil, fmt.Errorf("server %q: %w", server, probes.ErrNotFound)
	}
	var out []probes.ObservedCheck
	err := direct{s.db}.query(ctx, `SELECT vantage, origin, checked_at, body FROM vdir_runs
		WHERE server_id = $1 AND checked_at >= $2 ORDER BY checked_at, id LIMIT $3`, []any{id, ms(since), maxHistory}, func(rows rowsScanner) (err error) {
		out, err = scanRuns(rows)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read vdir history: %w", err)
	}
	return out, nil
}

// VDirVerdicts is VDirHistory reduced to what history strips draw: each
// check carries only its vdir, URL, status and verdict (VerdictOnly).
func (s *Store) VDirVerdicts(ctx context.Context, server string, since time.Time) ([]probes.ObservedCheck, error) {
	var id int64
	if err := s.db.QueryRowContext(ctx, `SELECT id FROM servers WHERE name = $1`, probes.NormalizeName(server)).Scan(&id); err != nil {
		return nil, fmt.Errorf("server %q: %w", server, probes.ErrNotFound)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT vantage, origin, checked_at, verdicts, body FROM vdir_runs
		WHERE server_id = $1 AND checked_at >= $2 ORDER BY checked_at, id LIMIT $3`, id, ms(since), maxHistory)
	if err != nil {
		return nil, fmt.Errorf("read vdir history: %w", err)
	}
	defer rows.Close()
	out := []probes.ObservedCheck{}
	for rows.Next() {
		var vantage, origin, body string
		var verdicts sql.NullString
		var at int64
		if err := rows.Scan(&vantage, &origin, &at, &verdicts, &body); err != nil {
			return nil, err
		}
		var checks []probes.VDirCheck
		if verdicts.Valid {
			checks, err = s.runs.decode(verdicts.String)
		} else { // stored before verdicts were kept
			err = decodeRun(body, &checks)
		}
		if err != nil {
			return nil, fmt.Errorf("decode vdir checks: %w", err)
		}
		for _, c := range checks {
			out = append(out, probes.ObservedCheck{VDirCheck: c.VerdictOnly(), Vantage: vantage, Origin: origin, CheckedAt: fromMS(at)})
		}
	}
	return out, rows.Err()
}

package store

import (
	"context"
	"time"

	"github.com/klauspost/compress/zstd"
)

// RunPackTag starts a run packed as SQLite stores it now.
const RunPackTag = s2Tag

// ZstdRun packs text as a zstd frame, as runs were packed on SQLite before
// S2 (phase 16).
func ZstdRun(text string) string {
	enc := must(zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest)))
	defer enc.Close()
	return string(enc.EncodeAll([]byte(text), nil))
}

// StoredRunBodies returns a server's vdir_runs bodies as stored, oldest
// first.
func StoredRunBodies(ctx context.Context, s *Store, server string) (out []string, err error) {
	err = direct{s.db}.query(ctx, `SELECT r.body FROM vdir_runs r JOIN servers s ON s.id = r.server_id
		WHERE s.name = $1 ORDER BY r.checked_at, r.id`, []any{server}, func(rows rowsScanner) error {
		for rows.Next() {
			var b string
			if err := rows.Scan(&b); err != nil {
				return err
			}
			out = append(out, b)
		}
		return rows.Err()
	})
	return out, err
}

// AddPlainRun stores a run for server with body and verdicts as given: as
// runs were stored before they were packed (JSON), or in an earlier packed
// form (ZstdRun). The bytes go as bytes: bytea on PostgreSQL, or text
// before migration 0015.
func AddPlainRun(ctx context.Context, s *Store, server string, at time.Time, body, verdicts string) error {
	return s.write(ctx, func(ctx context.Context, t *wtx) error {
		_, err := t.ExecContext(ctx, `INSERT INTO vdir_runs (server_id, report_id, checked_at, vantage, origin, faults, warnings, body, verdicts)
			SELECT id, 'before-packing', $2, 'remote', 'agent01', 1, 0, $3, $4 FROM servers WHERE name = $1`, server, ms(at), []byte(body), []byte(verdicts))
		return err
	})
}

// StoredLatest returns a server's latest checks and strip cells as stored.
func StoredLatest(ctx context.Context, s *Store, server string) (body, cells string, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT l.body, l.cells FROM vdir_latest l JOIN servers s ON s.id = l.server_id
		WHERE s.name = $1`, server).Scan(&body, &cells)
	return body, cells, err
}

// SetLatestPlain stores a server's latest checks and cells as they were
// stored before they were packed: JSON.
func SetLatestPlain(ctx context.Context, s *Store, server, body, cells string) error {
	return s.write(ctx, func(ctx context.Context, t *wtx) error {
		_, err := t.ExecContext(ctx, `UPDATE vdir_latest SET body = $2, cells = $3
			WHERE server_id = (SELECT id FROM servers WHERE name = $1)`, server, []byte(body), []byte(cells))
		return err
	})
}

// StoredClientBody returns a client's view (client_reports.body) as stored.
func StoredClientBody(ctx context.Context, s *Store, name string) (body string, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT body FROM client_reports WHERE name = $1`, name).Scan(&body)
	return body, err
}

// SetClientBodyPlain stores a client's view as it was stored before it was
// packed: JSON.
func SetClientBodyPlain(ctx context.Context, s *Store, name, body string) error {
	return s.write(ctx, func(ctx context.Context, t *wtx) error {
		_, err := t.ExecContext(ctx, `UPDATE client_reports SET body = $2 WHERE name = $1`, name, []byte(body))
		return err
	})
}

// StoredSection returns a server's section as stored.
func StoredSection(ctx context.Context, s *Store, server, name string) (body string, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT sec.body FROM sections sec JOIN servers s ON s.id = sec.server_id
		WHERE s.name = $1 AND sec.name = $2`, server, name).Scan(&body)
	return body, err
}

// SetSectionsPlain stores every section of a server as sections were stored
// before they were packed: JSON (each section's as read back).
func SetSectionsPlain(ctx context.Context, s *Store, server string) error {
	return s.write(ctx, func(ctx context.Context, t *wtx) error {
		var plain [][2]any
		err := direct{t}.query(ctx, `SELECT sec.name, sec.body FROM sections sec JOIN servers s ON s.id = sec.server_id WHERE s.name = $1`,
			[]any{server}, func(rows rowsScanner) error {
				for rows.Next() {
					var name, body string
					if err := rows.Scan(&name, &body); err != nil {
						return err
					}
					text, err := unpackRun(body)
					if err != nil {
						return err
					}
					plain = append(plain, [2]any{name, text})
				}
				return rows.Err()
			})
		if err != nil {
			return err
		}
		for _, p := range plain {
			if _, err := t.ExecContext(ctx, `UPDATE sections SET body = $3
				WHERE server_id = (SELECT id FROM servers WHERE name = $1) AND name = $2`, server, p[0], p[1]); err != nil {
				return err
			}
		}
		return nil
	})
}

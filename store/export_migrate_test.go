package store

import "context"

// RecordMigration records a migration as applied without running it: as a
// newer binary's migration would be.
func RecordMigration(ctx context.Context, s *Store, version int64, name string) error {
	return s.write(ctx, func(ctx context.Context, t *wtx) error {
		_, err := t.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, 0)`, version, name)
		return err
	})
}

// RewindPacked puts a PostgreSQL database back as it was before migrations
// 0015, 0016 and 0017: the checks' columns, the client views and the
// sections as text, none of them recorded. Its rows must hold JSON (text
// cannot hold a packed row).
func RewindPacked(ctx context.Context, s *Store) error {
	return s.write(ctx, func(ctx context.Context, t *wtx) error {
		for _, q := range []string{
			`ALTER TABLE vdir_runs ALTER COLUMN body TYPE text USING convert_from(body, 'UTF8'),
				ALTER COLUMN verdicts TYPE text USING convert_from(verdicts, 'UTF8')`,
			`ALTER TABLE vdir_latest ALTER COLUMN body TYPE text USING convert_from(body, 'UTF8'),
				ALTER COLUMN cells TYPE text USING convert_from(cells, 'UTF8')`,
			`ALTER TABLE client_reports ALTER COLUMN body TYPE text USING convert_from(body, 'UTF8')`,
			`ALTER TABLE sections ALTER COLUMN body TYPE text USING convert_from(body, 'UTF8')`,
			`DELETE FROM schema_migrations WHERE name LIKE '0015_%' OR name LIKE '0016_%' OR name LIKE '0017_%'`,
		} {
			if _, err := t.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
}

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

package store

import (
	"context"
	"database/sql"
)

// KeptClientCounts returns a server's kept client counts as stored:
// listed, removed, reported within the day, and when that next changes.
func KeptClientCounts(ctx context.Context, s *Store, server string) (total, removed, day int64, recountAt sql.NullInt64, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT clients_total, clients_removed, clients_day, clients_recount_at FROM servers WHERE name = $1`,
		server).Scan(&total, &removed, &day, &recountAt)
	return total, removed, day, recountAt, err
}

// RecountClients counts a server's clients again from their rows, as every
// list after the first does.
func RecountClients(ctx context.Context, s *Store, server string) error {
	return s.write(ctx, func(ctx context.Context, t *wtx) error {
		var id int64
		if err := t.QueryRowContext(ctx, `SELECT id FROM servers WHERE name = $1`, server).Scan(&id); err != nil {
			return err
		}
		return s.recountClients(ctx, t, id)
	})
}

package store

import (
	"context"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

// BareClientInsert is the baseline of BenchmarkSnapshot100k: the same rows
// into an empty table of the clients table's shape, with the database's
// plain fast path (a prepared insert loop on SQLite, CopyFrom on PostgreSQL)
// and none of the merge, counting or classification.
func BareClientInsert(ctx context.Context, s *Store, clients []probes.Client) (time.Duration, error) {
	rows, err := clientRows(clients)
	if err != nil {
		return 0, err
	}
	for _, r := range rows {
		r[colServerID], r[colFirstSeen], r[colLastSeen], r[colSnapshot] = 1, int64(1), int64(1), int64(1)
	}
	var took time.Duration
	err = s.write(ctx, func(ctx context.Context, t *wtx) error {
		if _, err := t.ExecContext(ctx, `DROP TABLE IF EXISTS bare_clients`); err != nil {
			return err
		}
		if err := createBareClients(ctx, t, s.d.name()); err != nil {
			return err
		}
		start := time.Now()
		if err := s.d.bulkLoad(ctx, t, "bare_clients", clientColumnList, rows, ""); err != nil {
			return err
		}
		took = time.Since(start)
		_, err := t.ExecContext(ctx, `DROP TABLE bare_clients`)
		return err
	})
	return took, err
}

// createBareClients makes a table shaped like clients: the same columns,
// primary key and indexes.
func createBareClients(ctx context.Context, t *wtx, dialect string) error {
	ddl := []string{`CREATE TABLE bare_clients AS SELECT * FROM clients WHERE 1 = 0`}
	if dialect == "postgres" {
		ddl = []string{`CREATE TABLE bare_clients (LIKE clients INCLUDING ALL)`}
	} else {
		ddl = append(ddl, // the clients table's own indexes
			`CREATE UNIQUE INDEX bare_pk ON bare_clients(server_id, key)`,
			`CREATE INDEX bare_server_name ON bare_clients(server_id, name)`,
			`CREATE INDEX bare_name ON bare_clients(name)`,
			`CREATE INDEX bare_gap ON bare_clients(server_id, gap, name) WHERE gap IS NOT NULL`,
			`CREATE INDEX bare_gap_fleet ON bare_clients(gap, name, server_id, key) WHERE gap IS NOT NULL`)
	}
	for _, q := range ddl {
		if _, err := t.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

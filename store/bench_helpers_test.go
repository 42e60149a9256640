package store

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

// BareClientInsert is the baseline of BenchmarkSnapshot100k: the same rows
// for the same server into an empty table of the clients table's shape
// (columns, keys, indexes, the reference to servers), with the database's
// plain fast path (a prepared insert loop on SQLite, CopyFrom on PostgreSQL)
// and none of the merge, counting or classification.
func BareClientInsert(ctx context.Context, s *Store, server string, clients []probes.Client) (time.Duration, error) {
	var id int64
	if err := s.db.QueryRowContext(ctx, `SELECT id FROM servers WHERE name = $1`, server).Scan(&id); err != nil {
		return 0, err
	}
	list := newClientList(&probes.ClientList{Items: clients})
	all := make([]int, len(clients))
	for i := range all {
		all[i] = i
	}
	var took time.Duration
	err := s.write(ctx, func(ctx context.Context, t *wtx) error {
		if _, err := t.ExecContext(ctx, `DROP TABLE IF EXISTS bare_clients`); err != nil {
			return err
		}
		if err := createBareClients(ctx, t, s.d.name()); err != nil {
			return err
		}
		start := time.Now()
		if err := s.d.bulkLoad(ctx, t, "bare_clients", clientColumnList, list.rows(all, id, 1), ""); err != nil {
			return err
		}
		took = time.Since(start)
		_, err := t.ExecContext(ctx, `DROP TABLE bare_clients`)
		return err
	})
	return took, err
}

// createBareClients makes a table shaped like clients: on SQLite from the
// clients table's own DDL (table and indexes), on PostgreSQL with LIKE plus
// the foreign key LIKE does not copy.
func createBareClients(ctx context.Context, t *wtx, dialect string) error {
	ddl := []string{`CREATE TABLE bare_clients (LIKE clients INCLUDING ALL)`,
		`ALTER TABLE bare_clients ADD FOREIGN KEY (server_id) REFERENCES servers(id) ON DELETE CASCADE`}
	if dialect == "sqlite" {
		ddl = nil
		rows, err := t.QueryContext(ctx, `SELECT sql FROM sqlite_master WHERE tbl_name = 'clients' AND sql IS NOT NULL ORDER BY type DESC`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var q string
			if err := rows.Scan(&q); err != nil {
				rows.Close()
				return err
			}
			q = regexp.MustCompile(`(?i)^(CREATE TABLE) "?clients"?`).ReplaceAllString(q, "$1 bare_clients")
			q = regexp.MustCompile(`(?i)^(CREATE (UNIQUE )?INDEX) (\w+) ON "?clients"?`).ReplaceAllString(q, "$1 bare_$3 ON bare_clients")
			ddl = append(ddl, q)
		}
		rows.Close()
		if len(ddl) < 2 {
			return fmt.Errorf("the clients table's DDL was not found: %q", ddl)
		}
	}
	for _, q := range ddl {
		if _, err := t.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

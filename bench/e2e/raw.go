//go:build linux

package main

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // the "sqlite" driver
)

// The raw-insert baseline of the 100,000-client report: the very rows the
// server stored, read back, then inserted again into an empty table of the
// clients table's shape (its DDL: columns, keys, indexes, the reference to
// servers) with the database's plain fast path, in one transaction,
// committed: a prepared insert loop on SQLite (the writer's pragmas:
// WAL, synchronous=FULL, foreign keys), CopyFrom on PostgreSQL. It is the
// approach of store.BareClientInsert (BenchmarkSnapshot100k), but outside the
// store: it depends on the schema only, not on the store's code.

// clientRows are the clients table's rows of one server.
type clientRows struct {
	cols []string
	rows [][]any
}

// sqliteRW opens the SQLite file with the pragmas of the store's writer.
func sqliteRW(path string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

func openDB(d *database) (*sql.DB, error) {
	if d.kind == "sqlite" {
		return sqliteRW(d.path)
	}
	return sql.Open("pgx", d.dsn)
}

// readClients reads back every clients row of server, and how many of them
// already carry a gap category (the classification that follows the
// acknowledgement may have run; those rows are a little wider).
func readClients(ctx context.Context, d *database, server string) (*clientRows, int, error) {
	db, err := openDB(d)
	if err != nil {
		return nil, 0, err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT * FROM clients WHERE server_id = (SELECT id FROM servers WHERE name = $1)`, server)
	if err != nil {
		return nil, 0, fmt.Errorf("read back clients: %w", err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, 0, err
	}
	gapCol := -1
	for i, c := range cols {
		if c == "gap" {
			gapCol = i
		}
	}
	out := &clientRows{cols: cols}
	classified := 0
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, 0, err
		}
		if gapCol >= 0 && vals[gapCol] != nil {
			classified++
		}
		out.rows = append(out.rows, vals)
	}
	return out, classified, rows.Err()
}

// rawInsert times the insert of rows into a fresh table shaped like clients,
// commit included; the table is dropped afterwards.
func rawInsert(ctx context.Context, d *database, cr *clientRows) (time.Duration, error) {
	db, err := openDB(d)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	conn.ExecContext(ctx, `DROP TABLE IF EXISTS bare_clients`)
	if err := createBare(ctx, conn, d.kind); err != nil {
		return 0, err
	}
	defer conn.ExecContext(context.Background(), `DROP TABLE IF EXISTS bare_clients`)

	start := time.Now()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	if d.kind == "sqlite" {
		ph := make([]string, len(cr.cols))
		for i := range ph {
			ph[i] = fmt.Sprintf("$%d", i+1)
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO bare_clients (`+strings.Join(quoted(cr.cols), ", ")+`) VALUES (`+strings.Join(ph, ", ")+`)`)
		if err != nil {
			return 0, err
		}
		for _, r := range cr.rows {
			if _, err := stmt.ExecContext(ctx, r...); err != nil {
				return 0, fmt.Errorf("insert: %w", err)
			}
		}
		stmt.Close()
	} else {
		err := conn.Raw(func(dc any) error {
			_, err := dc.(*stdlib.Conn).Conn().CopyFrom(ctx, pgx.Identifier{"bare_clients"}, cr.cols, pgx.CopyFromRows(cr.rows))
			return err
		})
		if err != nil {
			return 0, fmt.Errorf("copy: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

func quoted(cols []string) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = `"` + c + `"`
	}
	return out
}

var (
	reTable = regexp.MustCompile(`(?i)^(CREATE TABLE) "?clients"?`)
	reIndex = regexp.MustCompile(`(?i)^(CREATE (UNIQUE )?INDEX) (\w+) ON "?clients"?`)
)

// createBare makes bare_clients: on SQLite from the clients table's own DDL
// (table and indexes), on PostgreSQL with LIKE (storage parameters such as
// fillfactor included) plus the foreign key LIKE does not copy.
func createBare(ctx context.Context, conn *sql.Conn, kind string) error {
	var ddl []string
	if kind == "sqlite" {
		rows, err := conn.QueryContext(ctx, `SELECT sql FROM sqlite_master WHERE tbl_name = 'clients' AND sql IS NOT NULL ORDER BY type DESC`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var q string
			if err := rows.Scan(&q); err != nil {
				rows.Close()
				return err
			}
			q = reTable.ReplaceAllString(q, "$1 bare_clients")
			q = reIndex.ReplaceAllString(q, "$1 bare_$3 ON bare_clients")
			ddl = append(ddl, q)
		}
		rows.Close()
		if len(ddl) < 2 {
			return fmt.Errorf("the clients table's DDL was not found: %q", ddl)
		}
	} else {
		var opts sql.NullString
		conn.QueryRowContext(ctx, `SELECT array_to_string(reloptions, ', ') FROM pg_class WHERE oid = 'clients'::regclass`).Scan(&opts)
		with := ""
		if opts.Valid && opts.String != "" {
			with = " WITH (" + opts.String + ")"
		}
		ddl = []string{`CREATE TABLE bare_clients (LIKE clients INCLUDING ALL)` + with,
			`ALTER TABLE bare_clients ADD FOREIGN KEY (server_id) REFERENCES servers(id) ON DELETE CASCADE`}
	}
	for _, q := range ddl {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

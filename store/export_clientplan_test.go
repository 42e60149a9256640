package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/wsusfleet/wsusfleet/probes"
)

// ClientPagePlan explains the query of the first page of q (Clients), as
// the database would run it on a large table: on PostgreSQL with
// sequential scans off, which a handful of test rows would otherwise make
// the cheapest plan.
func ClientPagePlan(ctx context.Context, s *Store, q probes.ClientQuery) (string, error) {
	f, err := s.clientFilter(ctx, q)
	if err != nil {
		return "", err
	}
	query := clientSelect + f.where + f.order() + fmt.Sprintf(" LIMIT %d", defaultPageSize+1)
	var rows *sql.Rows
	col := 0
	if s.w != nil { // SQLite
		col = 3 // id, parent, notused, detail
		rows, err = s.db.QueryContext(ctx, "EXPLAIN QUERY PLAN "+query, f.args...)
	} else {
		var tx *sql.Tx
		if tx, err = s.db.BeginTx(ctx, nil); err != nil {
			return "", err
		}
		defer tx.Rollback()
		if _, err = tx.ExecContext(ctx, "SET LOCAL enable_seqscan = off"); err != nil {
			return "", err
		}
		rows, err = tx.QueryContext(ctx, "EXPLAIN "+query, f.args...)
	}
	if err != nil {
		return "", err
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var plan []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return "", err
		}
		plan = append(plan, fmt.Sprint(vals[col]))
	}
	return strings.Join(plan, "\n"), rows.Err()
}

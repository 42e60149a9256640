package store

import (
	"context"
	"fmt"
	"time"
)

// pruneBatch bounds each delete so the SQLite writer is never held for long.
const pruneBatch = 5000

// Prune deletes history older than keep: vDir checks, document records
// (after which a replayed id would be stored again), status transitions and
// resolved findings, IIS log hours. Current state is never pruned. It returns the rows deleted.
func (s *Store) Prune(ctx context.Context, before time.Time) (int64, error) {
	stmts := []string{
		// vdir_runs: through its (server_id, checked_at) index, one server at a time
		`DELETE FROM vdir_runs WHERE id IN (SELECT c.id FROM servers s JOIN vdir_runs c ON c.server_id = s.id
			AND c.checked_at < $1 LIMIT ` + fmt.Sprint(pruneBatch) + `)`,
		`DELETE FROM reports WHERE id IN (SELECT id FROM reports WHERE received_at < $1 LIMIT ` + fmt.Sprint(pruneBatch) + `)`,
		`DELETE FROM findings WHERE id IN (SELECT id FROM findings WHERE resolved_at < $1 LIMIT ` + fmt.Sprint(pruneBatch) + `)`,
		`DELETE FROM status_history WHERE at < $1`,
		// client_evidence: all but the newest of each kind per client
		`DELETE FROM client_evidence WHERE id IN (SELECT e.id FROM client_evidence e WHERE e.received_at < $1 AND EXISTS (
			SELECT 1 FROM client_evidence n WHERE n.name = e.name AND n.kind = e.kind AND n.received_at > e.received_at) LIMIT ` + fmt.Sprint(pruneBatch) + `)`,
		// iislog_hours: through its (server_id, hour) index, one server at a time
		`DELETE FROM iislog_hours WHERE (server_id, file, hour, vdir, status, substatus, win32) IN (
			SELECT h.server_id, h.file, h.hour, h.vdir, h.status, h.substatus, h.win32 FROM servers s
			JOIN iislog_hours h ON h.server_id = s.id AND h.hour < $1 LIMIT ` + fmt.Sprint(pruneBatch) + `)`,
	}
	var total int64
	for _, q := range stmts {
		for {
			var n int64
			err := s.write(ctx, func(ctx context.Context, t *wtx) error {
				res, err := t.ExecContext(ctx, q, ms(before))
				if err != nil {
					return err
				}
				n, _ = res.RowsAffected()
				return nil
			})
			if err != nil {
				return total, fmt.Errorf("prune: %w", err)
			}
			total += n
			if n < pruneBatch {
				break
			}
		}
	}
	return total, nil
}

package store

import (
	"context"
	"fmt"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

// ListServers returns every server with its status and client summary, by
// name. It reads the summaries kept at ingest: cost grows with servers, not
// with clients.
func (s *Store) ListServers(ctx context.Context) ([]probes.ServerSummary, error) {
	if err := s.diagnosed(ctx); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+serverRowColumns+` FROM servers ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list servers: %w", err)
	}
	defer rows.Close()
	now := s.now()
	out := []probes.ServerSummary{}
	index := map[int64]int{}
	for rows.Next() {
		r, err := scanServerRow(rows)
		if err != nil {
			return nil, err
		}
		index[r.id] = len(out)
		out = append(out, probes.ServerSummary{Name: r.name, URL: r.url, Registered: r.registered,
			Status: s.status(r, now), LastReportAt: fromNullMS(r.lastReportAt), Clients: r.counts, RootCause: r.rootCause})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	err = ageCounts(ctx, direct{s.db}, 0, func(id int64) *probes.ClientCounts {
		if i, ok := index[id]; ok {
			return &out[i].Clients
		}
		return nil
	})
	for i := range out {
		settleCounts(&out[i].Clients)
	}
	return out, err
}

// serverIDs runs a query for server ids (those due for some derived work).
func (s *Store) serverIDs(ctx context.Context, query string, args ...any) ([]int64, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// StaleAfter is the stale threshold every count and category uses.
func (s *Store) StaleAfter() time.Duration { return s.opts.StaleAfter }

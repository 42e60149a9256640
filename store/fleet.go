package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync"

	"github.com/wsusfleet/wsusfleet/probes"
)

// Fleet returns every server with its latest vDir verdicts and sync, in
// three queries over summaries kept at ingest (never over clients).
func (s *Store) Fleet(ctx context.Context) ([]probes.FleetRow, error) {
	summaries, err := s.ListServers(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]probes.FleetRow, len(summaries))
	byName := map[string]int{}
	for i, sm := range summaries {
		byName[sm.Name] = i
		out[i] = probes.FleetRow{ServerSummary: sm, VDirs: probes.Cells(nil), Identity: &probes.ServerIdentity{}}
	}
	ids := map[int64]int{}
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, http_port, https_port, ssl FROM servers`)
	if err != nil {
		return nil, fmt.Errorf("fleet: %w", err)
	}
	for rows.Next() {
		var id int64
		var name string
		var httpPort, httpsPort sql.NullInt64
		var ssl sql.NullBool
		if err := rows.Scan(&id, &name, &httpPort, &httpsPort, &ssl); err != nil {
			rows.Close()
			return nil, err
		}
		i, ok := byName[name]
		if !ok {
			continue // created since the list was read
		}
		ids[id] = i
		p := &out[i].Identity.Ports
		p.HTTP, p.HTTPS = int(httpPort.Int64), int(httpsPort.Int64)
		if ssl.Valid {
			p.SSL = &ssl.Bool
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := s.fleetNames(ctx, ids, out); err != nil {
		return nil, err
	}
	if err := s.fleetCells(ctx, ids, out); err != nil {
		return nil, err
	}
	if err := s.fleetGaps(ctx, ids, out); err != nil {
		return nil, err
	}
	return out, s.fleetSync(ctx, ids, out)
}

// fleetNames fills each server's names, for the hierarchy's upstreams.
func (s *Store) fleetNames(ctx context.Context, ids map[int64]int, out []probes.FleetRow) error {
	rows, err := s.db.QueryContext(ctx, `SELECT server_id, name, kind FROM server_names`)
	if err != nil {
		return fmt.Errorf("fleet names: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var n probes.KnownName
		if err := rows.Scan(&id, &n.Name, &n.Kind); err != nil {
			return err
		}
		if i, ok := ids[id]; ok {
			out[i].Identity.Names = append(out[i].Identity.Names, n)
		}
	}
	return rows.Err()
}

// fleetGaps fills each server's gap counts from the counts kept at ingest.
func (s *Store) fleetGaps(ctx context.Context, ids map[int64]int, out []probes.FleetRow) error {
	for i := range out {
		out[i].Gaps = map[string]int64{}
	}
	rows, err := s.db.QueryContext(ctx, `SELECT server_key, category, count FROM gap_counts WHERE count <> 0`)
	if err != nil {
		return fmt.Errorf("fleet gaps: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, n int64
		var cat string
		if err := rows.Scan(&id, &cat, &n); err != nil {
			return err
		}
		if i, ok := ids[id]; ok {
			out[i].Gaps[cat] = n
		}
	}
	return rows.Err()
}

// fleetCells fills each strip from the latest run of the most direct
// vantage: the dashboard's own probe, else the server's, else a remote agent's.
func (s *Store) fleetCells(ctx context.Context, ids map[int64]int, out []probes.FleetRow) error {
	rows, err := s.db.QueryContext(ctx, `SELECT server_id, vantage, checked_at, cells FROM vdir_latest`)
	if err != nil {
		return fmt.Errorf("fleet strips: %w", err)
	}
	defer rows.Close()
	best := map[int]int{} // row index -> rank of the vantage its strip came from
	for rows.Next() {
		var id, at int64
		var vantage, cells string
		if err := rows.Scan(&id, &vantage, &at, &cells); err != nil {
			return err
		}
		i, ok := ids[id]
		rank := len(vantageRank) - slices.Index(vantageRank, vantage)
		if !ok || rank <= best[i] {
			continue
		}
		strip, err := s.strips.decode(cells)
		if err != nil {
			return fmt.Errorf("decode strip: %w", err)
		}
		for j := range strip {
			strip[j].Vantage, strip[j].CheckedAt = vantage, fromMS(at)
		}
		best[i], out[i].VDirs = rank, strip
	}
	return rows.Err()
}

// memo remembers decoded JSON by its stored text, for texts that repeat:
// most servers' fleet strips read the same (all healthy, or the same
// fault), as do most runs of a day's vDir history. Decoding each of them on
// every page was most of the page's time.
type memo[T any] struct {
	mu      sync.Mutex
	decoded map[string][]T
}

// maxMemo bounds a memo; past it, it starts over.
const maxMemo = 4096

// decode returns a fresh copy of what text decodes to (a shallow one: what
// its elements point to is shared, and read-only).
func (m *memo[T]) decode(text string) ([]T, error) {
	m.mu.Lock()
	v, ok := m.decoded[text]
	m.mu.Unlock()
	if !ok {
		if err := decodeRun(text, &v); err != nil { // packed verdicts or cells, or JSON stored before
			return nil, err
		}
		m.mu.Lock()
		if m.decoded == nil || len(m.decoded) >= maxMemo {
			m.decoded = map[string][]T{}
		}
		m.decoded[text] = v
		m.mu.Unlock()
	}
	return slices.Clone(v), nil
}

// vantageRank: which vantage's checks stand for a server on the fleet page.
var vantageRank = []string{probes.VantageDashboard, probes.VantageServer, probes.VantageRemote}

func (s *Store) fleetSync(ctx context.Context, ids map[int64]int, out []probes.FleetRow) error {
	rows, err := s.db.QueryContext(ctx, `SELECT server_id, body FROM sections WHERE name = $1`, probes.SectionSync)
	if err != nil {
		return fmt.Errorf("fleet sync: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var body string
		if err := rows.Scan(&id, &body); err != nil {
			return err
		}
		if i, ok := ids[id]; ok {
			out[i].Sync = &probes.Sync{}
			if err := decodeRun(body, out[i].Sync); err != nil {
				return fmt.Errorf("decode sync: %w", err)
			}
		}
	}
	return rows.Err()
}

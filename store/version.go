package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// versionPoll is how often Version asks the database whether another
// process (a second serve on the same PostgreSQL, a CLI on the same SQLite
// file) committed something. Writes through this Store change the version at
// once; another instance's are seen within this time. It is the age after
// which the web's read models are rebuilt anyway (readModelMaxAge): polling
// more often sees another instance's write sooner, but PostgreSQL's marker
// also moves with other databases' writes on a shared cluster and with
// checkpoints, and each move rebuilt every read model and page, four times
// a second (docs/PERFORMANCE.md, phase 27).
const versionPoll = time.Second

// storeVersion is what Version is made of: a counter of this Store's writes
// and, polled at most every versionPoll, the database's own change marker.
type storeVersion struct {
	local atomic.Uint64

	mu      sync.Mutex
	db      string
	checked time.Time
	vdb     *sql.DB // SQLite: one connection of its own, so PRAGMA data_version sees every other connection's commits
}

// wrote is called after every write transaction ends (after its commit, so a
// reader that sees the new version reads what it committed).
func (v *storeVersion) wrote() { v.local.Add(1) }

// Version names the state of the database as far as this Store can tell
// without reading it: equal versions mean nothing was committed in between
// (by this Store; by another process up to versionPoll ago). Read models
// built from the database are kept under it and rebuilt when it changes.
func (s *Store) Version(ctx context.Context) (string, error) {
	local := s.ver.local.Load()
	v := &s.ver
	v.mu.Lock()
	defer v.mu.Unlock()
	if time.Since(v.checked) >= versionPoll || v.db == "" {
		db, err := s.dbVersion(ctx)
		if err != nil {
			return "", fmt.Errorf("store version: %w", err)
		}
		v.db, v.checked = db, time.Now()
	}
	return strconv.FormatUint(local, 10) + "/" + v.db, nil
}

// dbVersion is a marker that moves with every commit to the database by
// anyone: PostgreSQL's WAL position (it also moves with other databases'
// and maintenance's writes, which only costs a rebuild), SQLite's
// data_version on a connection that never writes.
func (s *Store) dbVersion(ctx context.Context) (string, error) {
	var out string
	switch s.d.name() {
	case "postgres":
		err := s.db.QueryRowContext(ctx, `SELECT pg_current_wal_lsn()::text`).Scan(&out)
		return out, err
	default:
		if s.ver.vdb == nil {
			return "", fmt.Errorf("no version connection")
		}
		var n int64
		err := s.ver.vdb.QueryRowContext(ctx, `PRAGMA data_version`).Scan(&n)
		return "d" + strconv.FormatInt(n, 10), err
	}
}

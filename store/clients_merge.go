package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"iter"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

// clientColumnList is the order of the rows bulk-loaded into clients.
var clientColumnList = []string{"server_id", "key", "target_id", "name", "ip", "os", "client_version", "groups",
	"requested_group", "last_sync", "last_sync_result", "last_report", "first_seen", "last_seen", "digest"}

// Indexes into a client row for the values the writer fills in or compares.
const (
	colServerID  = 0
	colKey       = 1
	colName      = 3
	colFirstSeen = 12
	colLastSeen  = 13
	colDigest    = 14
)

// upsertClientsSet updates a listed target whose facts changed, or brings a
// removed one back. It leaves the name alone: SQLite rewrites the entries of
// every index over a column an UPDATE assigns, even to the same value.
// Renamed targets go through renameClientsSet.
const upsertClientsSet = ` ON CONFLICT (server_id, key) DO UPDATE SET
	target_id = excluded.target_id, ip = excluded.ip, os = excluded.os,
	client_version = excluded.client_version, groups = excluded.groups, requested_group = excluded.requested_group,
	last_sync = excluded.last_sync, last_sync_result = excluded.last_sync_result, last_report = excluded.last_report,
	last_seen = excluded.last_seen, removed_at = NULL, digest = excluded.digest`

// renameClientsSet is upsertClientsSet for targets listed under a new name:
// the change is remembered (cloned images make one target's name flip).
const renameClientsSet = upsertClientsSet + `,
	prev_name = clients.name, renames = clients.renames + 1, name = excluded.name`

// clientList is a snapshot's items ready to load: each with its key, its
// groups as stored and the digest of its facts (computed outside the writer),
// its row built only as it is loaded, so 100,000 rows never sit in memory at
// once. A streamed list (probes.DecodeReportStreamed) is prepared chunk by
// chunk as its items arrive, and the load follows: items [0, upTo) are ready.
type clientList struct {
	items   []probes.Client
	keys    []string
	groups  []string
	digests []int64

	mu   sync.Mutex
	cond sync.Cond // upTo or done changed
	upTo int
	done bool
	err  error // the streamed list was refused (probes.ErrItemsRefused)
}

func newClientList(cl *probes.ClientList) *clientList {
	n := len(cl.Items)
	l := &clientList{items: cl.Items, keys: make([]string, n), groups: make([]string, n), digests: make([]int64, n)}
	l.cond.L = &l.mu
	if !cl.Streamed() {
		l.prepare(0, n)
		l.upTo, l.done = n, true
		return l
	}
	go func() {
		for lo, hi := range cl.Arrived() {
			l.prepare(lo, hi)
			l.mu.Lock()
			l.upTo = hi
			l.mu.Unlock()
			l.cond.Broadcast()
		}
		err := cl.Wait()
		l.mu.Lock()
		l.done, l.err = true, err
		l.mu.Unlock()
		l.cond.Broadcast()
	}()
	return l
}

// prepare computes the keys, groups and digests of items [lo, hi): a long
// range by one goroutine per CPU, each item's values depending on that item
// alone.
func (l *clientList) prepare(lo, hi int) {
	n := hi - lo
	workers := min(runtime.GOMAXPROCS(0), 1+n/2048)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// The groups encoded last: most targets share theirs with
			// the one before.
			var prev []string
			var prevJSON string
			for i := lo + w*n/workers; i < lo+(w+1)*n/workers; i++ {
				c := &l.items[i]
				l.keys[i], l.groups[i] = c.Key(), "[]"
				switch {
				case len(c.Groups) == 0:
				case prev != nil && slices.Equal(c.Groups, prev):
					l.groups[i] = prevJSON
				default:
					b, _ := json.Marshal(c.Groups) // strings always encode
					enc := string(b)
					l.groups[i], prev, prevJSON = enc, c.Groups, enc
				}
				l.digests[i] = digestClient(c, l.groups[i])
			}
		}()
	}
	wg.Wait()
}

// each calls fn with the ranges of items as they are ready, in order, then
// says whether a streamed list was refused; it can be called again (a
// retried transaction).
func (l *clientList) each(fn func(lo, hi int) error) error {
	for lo := 0; ; {
		l.mu.Lock()
		for l.upTo == lo && !l.done {
			l.cond.Wait()
		}
		hi, err := l.upTo, l.err
		l.mu.Unlock()
		if hi == lo {
			return err // done
		}
		if err := fn(lo, hi); err != nil {
			return err
		}
		lo = hi
	}
}

// row fills buf with item i in clientColumnList order; the writer fills in
// server_id, first_seen and last_seen.
func (l *clientList) row(i int, buf []any) []any {
	c := &l.items[i]
	buf[colKey], buf[2], buf[colName], buf[4], buf[5], buf[6], buf[7] = l.keys[i], c.ID, c.Name, c.IP, c.OS, c.ClientVersion, l.groups[i]
	buf[8], buf[9], buf[10], buf[11] = c.RequestedGroup, msPtr(c.LastSync.Time), c.LastSyncResult, msPtr(c.LastReport.Time)
	buf[colDigest] = l.digests[i]
	return buf
}

// rows yields the rows of the items at idx for server, seen at now.
func (l *clientList) rows(idx []int, server, now int64) iter.Seq[[]any] {
	return func(yield func([]any) bool) {
		buf := make([]any, len(clientColumnList))
		for _, i := range idx {
			l.row(i, buf)
			buf[colServerID], buf[colFirstSeen], buf[colLastSeen] = server, now, now
			if !yield(buf) {
				return
			}
		}
	}
}

// digestClient hashes a target's facts (its row's values from target_id to
// last_report, clientColumnList) as FNV-1a over a marker and the bytes of
// each value, the digests stored since they were first kept (the test's
// digestRow hashes the row itself), without building the row: boxing its
// values allocated eight times a target.
func digestClient(c *probes.Client, groups string) int64 {
	h := fnv64a(14695981039346656037)
	h.str(c.ID)
	h.str(c.Name)
	h.str(c.IP)
	h.str(c.OS)
	h.str(c.ClientVersion)
	h.str(groups)
	h.str(c.RequestedGroup)
	h.time(c.LastSync.Time)
	h.str(c.LastSyncResult)
	h.time(c.LastReport.Time)
	return int64(h)
}

// fnv64a is hash/fnv's FNV-1a, fed as the test's digestRow feeds it.
type fnv64a uint64

func (h *fnv64a) byte(b byte) { *h = (*h ^ fnv64a(b)) * 1099511628211 }

func (h *fnv64a) str(s string) {
	h.byte('s')
	for i := range len(s) {
		h.byte(s[i])
	}
	h.byte(0)
}

// time is msPtr's value: NULL when zero, else Unix milliseconds.
func (h *fnv64a) time(t time.Time) {
	if t.IsZero() {
		h.byte('n')
		return
	}
	h.byte('i')
	for v, i := uint64(t.UnixMilli()), 0; i < 8; i++ {
		h.byte(byte(v >> (8 * i)))
	}
}

// listed is what the merge compares a target against.
type listed struct {
	name    string
	digest  int64
	removed bool
}

// mergeClients applies a client list: new targets are inserted, changed or
// renamed ones updated, unchanged ones left as they are (a collector sends
// the same list every run), and for a complete list the targets it no
// longer lists are marked removed. A list older than the last one applied
// is ignored (late delivery must not roll back).
func (s *Store) mergeClients(ctx context.Context, t *wtx, serverID, collected int64, complete bool, list *clientList) error {
	var lastCollected, listedAt sql.NullInt64
	if err := t.QueryRowContext(ctx, `SELECT clients_collected_at, clients_listed_at FROM servers WHERE id = $1`, serverID).
		Scan(&lastCollected, &listedAt); err != nil {
		return fmt.Errorf("read snapshot state: %w", err)
	}
	if lastCollected.Valid && collected < lastCollected.Int64 {
		s.opts.Logger.Info("older client list ignored", "server_id", serverID)
		return list.each(func(int, int) error { return nil }) // nothing stored of a refused list either
	}
	now := ms(t.now)
	// A complete list vouches for every target it lists (their last_seen is
	// read as at least this); a partial one only for the rows it writes.
	listedNow := listedAt
	if complete {
		listedNow = sql.NullInt64{Int64: now, Valid: true}
	}
	if _, err := t.ExecContext(ctx, `UPDATE servers SET clients_collected_at = $2, clients_listed_at = $3 WHERE id = $1`,
		serverID, collected, listedNow); err != nil {
		return fmt.Errorf("advance snapshot: %w", err)
	}
	known, err := listedClients(ctx, t, serverID)
	if err != nil {
		return err
	}
	// The server's first list: every row is a fresh one, and its counts are
	// counted here as they load rather than read back from 100,000 rows.
	firstList := len(known) == 0
	counts := clientCounts{dayAgo: ms(t.now.Add(-24 * time.Hour))}
	// New targets are loaded as their items arrive (while a streamed list
	// is still being decoded); changed and renamed ones once all have.
	var changed, renamed []int
	fresh, classified := 0, 0
	var refused error
	freshRows := func(yield func([]any) bool) {
		buf := make([]any, len(clientColumnList))
		refused = list.each(func(lo, hi int) error {
			for i := lo; i < hi; i++ {
				k, name := list.keys[i], list.items[i].Name
				old, ok := known[k]
				delete(known, k)
				switch {
				case !ok:
					fresh++
					if firstList {
						counts.add(&list.items[i])
					}
					list.row(i, buf)
					buf[colServerID], buf[colFirstSeen], buf[colLastSeen] = serverID, now, now
					if !yield(buf) {
						return errStop
					}
				case old.name != name:
					renamed = append(renamed, i)
				case old.digest != list.digests[i] || old.removed || !complete:
					changed = append(changed, i)
				}
			}
			classified = hi
			return nil
		})
	}
	if err := s.d.bulkLoad(ctx, t, "clients", clientColumnList, freshRows, ""); err != nil {
		return fmt.Errorf("load clients: %w", err)
	}
	if refused != nil || classified != len(list.items) {
		return fmt.Errorf("load clients: %w", cmp.Or(refused, errStop))
	}
	var gone [][]any
	if complete {
		for key, old := range known {
			if !old.removed {
				gone = append(gone, []any{key})
			}
		}
	}
	for _, load := range []struct {
		idx []int
		set string
	}{{changed, upsertClientsSet}, {renamed, renameClientsSet}} {
		if len(load.idx) == 0 {
			continue
		}
		if err := s.d.bulkLoad(ctx, t, "clients", clientColumnList, list.rows(load.idx, serverID, now), load.set); err != nil {
			return fmt.Errorf("load clients: %w", err)
		}
	}
	if err := s.markRemoved(ctx, t, serverID, gone, listedAt); err != nil {
		return err
	}
	if fresh+len(changed)+len(renamed)+len(gone) == 0 {
		return nil // the same list again: counts and categories stand
	}
	if firstList {
		err = storeClientCounts(ctx, t, serverID, counts)
	} else {
		err = s.recountClients(ctx, t, serverID)
	}
	if err != nil {
		return err
	}
	// The gap categories follow in their own write (Settle): the snapshot is
	// acknowledged as soon as it is merged, and the marker commits with it.
	_, err = t.ExecContext(ctx, `UPDATE servers SET gaps_due_at = $2 WHERE id = $1`, serverID, now)
	return err
}

// listedClients reads what the merge compares against: every target the
// server has listed, by key.
func listedClients(ctx context.Context, t *wtx, serverID int64) (map[string]listed, error) {
	rows, err := t.QueryContext(ctx, `SELECT key, name, digest, removed_at IS NOT NULL FROM clients WHERE server_id = $1`, serverID)
	if err != nil {
		return nil, fmt.Errorf("read listed clients: %w", err)
	}
	defer rows.Close()
	out := map[string]listed{}
	for rows.Next() {
		var key string
		var l listed
		if err := rows.Scan(&key, &l.name, &l.digest, &l.removed); err != nil {
			return nil, err
		}
		out[key] = l
	}
	return out, rows.Err()
}

// markRemoved marks the targets a complete list no longer names removed;
// they were last seen in the previous complete list (listedAt) at the latest.
func (s *Store) markRemoved(ctx context.Context, t *wtx, serverID int64, keys [][]any, listedAt sql.NullInt64) error {
	if len(keys) == 0 {
		return nil
	}
	if _, err := t.ExecContext(ctx, `CREATE TEMP TABLE IF NOT EXISTS removed_keys (key TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("removed keys table: %w", err)
	}
	if err := s.d.bulkLoad(ctx, t, "removed_keys", []string{"key"}, slices.Values(keys), ""); err != nil {
		return fmt.Errorf("load removed keys: %w", err)
	}
	if _, err := t.ExecContext(ctx, `UPDATE clients SET removed_at = $2,
			last_seen = CASE WHEN last_seen < $3 THEN $3 ELSE last_seen END
		WHERE server_id = $1 AND removed_at IS NULL AND key IN (SELECT key FROM removed_keys)`, serverID, ms(t.now), listedAt); err != nil {
		return fmt.Errorf("mark removed clients: %w", err)
	}
	return s.emptyScratch(ctx, t, "removed_keys")
}

// recountClients refreshes how many targets the server lists, how many it
// dropped, and how many of those in no gap category reported within a day
// (the histogram's first bar), and when that next changes as time passes.
// The stale and never counts, and the rest of the histogram, are kept with
// the gap categories (ageCounts) at the moment they are classified.
func (s *Store) recountClients(ctx context.Context, t *wtx, serverID int64) error {
	c := clientCounts{dayAgo: ms(t.now.Add(-24 * time.Hour))}
	var oldest sql.NullInt64
	err := t.QueryRowContext(ctx, `SELECT
			COUNT(*) FILTER (WHERE removed_at IS NULL),
			COUNT(*) FILTER (WHERE removed_at IS NOT NULL),
			COUNT(*) FILTER (WHERE removed_at IS NULL AND gap IS NULL AND last_report >= $2),
			MIN(last_report) FILTER (WHERE removed_at IS NULL AND gap IS NULL AND last_report >= $2)
		FROM clients WHERE server_id = $1`, serverID, c.dayAgo).Scan(&c.total, &c.removed, &c.day, &oldest)
	if err != nil {
		return fmt.Errorf("count clients: %w", err)
	}
	c.oldest = oldest.Int64
	return storeClientCounts(ctx, t, serverID, c)
}

// clientCounts are a server's kept client counts (recountClients): the
// listed and removed targets, and those that reported within the day
// (dayAgo) and are in no gap category, with the oldest of their reports (0:
// none), when the day count next changes as time passes.
type clientCounts struct {
	dayAgo              int64
	total, removed, day int64
	oldest              int64
}

// add counts a target loaded for the first time: listed, not removed, in no
// gap category yet (the classification follows the load).
func (c *clientCounts) add(item *probes.Client) {
	c.total++
	if item.LastReport.IsZero() {
		return
	}
	if at := ms(item.LastReport.Time); at >= c.dayAgo {
		c.day++
		if c.oldest == 0 || at < c.oldest {
			c.oldest = at
		}
	}
}

func storeClientCounts(ctx context.Context, t *wtx, serverID int64, c clientCounts) error {
	var recountAt any
	if c.day > 0 {
		recountAt = c.oldest + (24 * time.Hour).Milliseconds()
	}
	_, err := t.ExecContext(ctx, `UPDATE servers SET clients_total = $2, clients_removed = $3, clients_day = $4, clients_recount_at = $5 WHERE id = $1`,
		serverID, c.total, c.removed, c.day, recountAt)
	if err != nil {
		return fmt.Errorf("store client counts: %w", err)
	}
	return nil
}

// recountDue recounts the servers whose clients crossed the one-day edge.
func (s *Store) recountDue(ctx context.Context) error {
	ids, err := s.serverIDs(ctx, `SELECT id FROM servers WHERE clients_recount_at <= $1`, ms(s.now()))
	if err != nil {
		return fmt.Errorf("find due recounts: %w", err)
	}
	for _, id := range ids {
		if err := s.write(ctx, func(ctx context.Context, t *wtx) error { return s.recountClients(ctx, t, id) }); err != nil {
			return err
		}
	}
	return nil
}

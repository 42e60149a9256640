package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

// gapDueMin bounds how often time alone re-classifies a server's clients:
// categories that follow the clock may lag this much.
const gapDueMin = 10 * time.Minute

// gapKey is a (server, category) count; server 0 is "no server".
type gapKey struct {
	server   int64
	category string
}

// gapDeltas accumulates count changes and applies them once per write: of
// the gap categories (gap_counts) and, keyed "age:"+bucket, of the
// last-report histogram (age_counts), which moves with them.
type gapDeltas map[gapKey]int64

const agePrefix = "age:"

// age moves a listed client between histogram buckets.
func (d gapDeltas) age(server int64, from, to string) {
	if from == to {
		return
	}
	if from != "" {
		d[gapKey{server, agePrefix + from}]--
	}
	if to != "" {
		d[gapKey{server, agePrefix + to}]++
	}
}

func (d gapDeltas) move(server int64, from, to string) {
	if from == to {
		return
	}
	if from != "" {
		d[gapKey{server, from}]--
	}
	if to != "" {
		d[gapKey{server, to}]++
	}
}

// servers lists the servers whose counts changed.
func (d gapDeltas) servers() []int64 {
	seen := map[int64]bool{}
	var out []int64
	for k, v := range d {
		if v != 0 && k.server != 0 && !seen[k.server] {
			seen[k.server] = true
			out = append(out, k.server)
		}
	}
	return out
}

// applyGapDeltas queues the counts' changes into w, in one order: the rows'
// lock order does not depend on the map's.
func applyGapDeltas(ctx context.Context, w *pipe, d gapDeltas) error {
	keys := slices.SortedFunc(maps.Keys(d), func(a, b gapKey) int {
		return cmp.Or(cmp.Compare(a.server, b.server), strings.Compare(a.category, b.category))
	})
	for _, k := range keys {
		v := d[k]
		if v == 0 {
			continue
		}
		if bucket, ok := strings.CutPrefix(k.category, agePrefix); ok {
			if err := w.exec(ctx, stmt{`INSERT INTO age_counts (server_id, bucket, count) VALUES ($1, $2, $3)
				ON CONFLICT (server_id, bucket) DO UPDATE SET count = age_counts.count + excluded.count`, []any{k.server, bucket, v}}); err != nil {
				return fmt.Errorf("count client ages: %w", err)
			}
			continue
		}
		if err := w.exec(ctx, stmt{`INSERT INTO gap_counts (server_key, category, count) VALUES ($1, $2, $3)
			ON CONFLICT (server_key, category) DO UPDATE SET count = gap_counts.count + excluded.count`, []any{k.server, k.category, v}}); err != nil {
			return fmt.Errorf("count gaps: %w", err)
		}
	}
	return nil
}

// nameSet restricts a classification to some names (or a read to some
// SusClientIds): an SQL subquery or a list; the zero value means all.
type nameSet struct {
	subquery string // yields one column of names; $1 is arg
	arg      any
	names    []string
}

// sqlIn renders "col IN (...)" for the set, numbering parameters from next.
func (n nameSet) sqlIn(col string, next int) (string, []any) {
	switch {
	case n.subquery != "":
		return col + " IN (" + strings.ReplaceAll(n.subquery, "$1", fmt.Sprintf("$%d", next)) + ")", []any{n.arg}
	case n.names != nil:
		if len(n.names) == 0 {
			return "FALSE", nil
		}
		args := make([]any, len(n.names))
		ph := make([]string, len(n.names))
		for i, name := range n.names {
			args[i], ph[i] = name, fmt.Sprintf("$%d", next+i)
		}
		return col + " IN (" + strings.Join(ph, ", ") + ")", args
	}
	return "TRUE", nil
}

// entryRow is a listed client with the facts its category depends on.
type entryRow struct {
	serverID                    int64
	server, key, name, prevName string
	lastReport, lastSync        sql.NullInt64
	removed, reported           bool
	renames                     int
	gap, detail, bucket         string
	policy, policyDetail, scope string
	policyServer, susID         string
}

const entrySelect = `SELECT c.server_id, s.name, c.key, c.name, COALESCE(c.prev_name, ''), c.last_report, c.last_sync,
	c.removed_at IS NOT NULL, r.name IS NOT NULL, c.renames, COALESCE(c.gap, ''), c.gap_detail, COALESCE(c.age_bucket, ''),
	COALESCE(r.policy_gap, ''), COALESCE(r.policy_detail, ''), COALESCE(r.policy_scope, ''), COALESCE(rs.name, ''), COALESCE(r.sus_client_id, '')
	FROM clients c JOIN servers s ON s.id = c.server_id
	LEFT JOIN client_reports r ON r.name = c.name LEFT JOIN servers rs ON rs.id = r.server_id WHERE `

func loadEntries(ctx context.Context, t *wtx, where string, args ...any) ([]entryRow, error) {
	var out []entryRow
	if err := (direct{t}).query(ctx, entrySelect+where, args, scanEntries(&out)); err != nil {
		return nil, fmt.Errorf("load clients to classify: %w", err)
	}
	return out, nil
}

// scanEntries appends the rows of entrySelect to dst.
func scanEntries(dst *[]entryRow) func(rowsScanner) error {
	return func(rows rowsScanner) error {
		for rows.Next() {
			var e entryRow
			if err := rows.Scan(&e.serverID, &e.server, &e.key, &e.name, &e.prevName, &e.lastReport, &e.lastSync, &e.removed, &e.reported,
				&e.renames, &e.gap, &e.detail, &e.bucket, &e.policy, &e.policyDetail, &e.scope, &e.policyServer, &e.susID); err != nil {
				return err
			}
			*dst = append(*dst, e)
		}
		return rows.Err()
	}
}

// elsewhere is a name's current entry on some server.
type elsewhere struct {
	serverID int64
	server   string
	lastSync sql.NullInt64
}

// listedIn maps names to their current entries among rows.
func listedIn(rows []entryRow) map[string][]elsewhere {
	out := map[string][]elsewhere{}
	for _, r := range rows {
		if !r.removed {
			out[r.name] = append(out[r.name], elsewhere{serverID: r.serverID, server: r.server, lastSync: r.lastSync})
		}
	}
	return out
}

// duplicateIDs maps each SusClientId of ids that two or more names report
// to them. ids is a set of SusClientIds (through the id index), or every id
// (the zero nameSet). A server's classification passes the ids of its own
// names: reading every client's report for each server classified cost
// PostgreSQL ~8 ms a server at 40,000 reports (docs/PERFORMANCE.md, phase 19).
func duplicateIDs(ctx context.Context, t *wtx, ids nameSet) (map[string][]string, error) {
	query := `SELECT sus_client_id, name FROM client_reports WHERE sus_client_id IN (
		SELECT sus_client_id FROM client_reports WHERE sus_client_id <> '' GROUP BY sus_client_id HAVING COUNT(*) > 1) ORDER BY name`
	var args []any
	if ids.names != nil && len(ids.names) == 0 {
		return map[string][]string{}, nil
	}
	if ids.subquery != "" || ids.names != nil {
		var in string
		in, args = ids.sqlIn("sus_client_id", 1)
		query = `SELECT sus_client_id, name FROM client_reports WHERE sus_client_id <> '' AND ` + in + ` ORDER BY name`
	}
	rows, err := t.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("find duplicate SusClientIds: %w", err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		out[id] = append(out[id], name)
	}
	for id, names := range out {
		if len(names) < 2 {
			delete(out, id)
		}
	}
	return out, rows.Err()
}

func others(all []string, self string) []string {
	var out []string
	for _, n := range all {
		if n != self {
			out = append(out, n)
		}
	}
	return out
}

func nullTimePtr(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMS(v.Int64)
	return &t
}

// classifyEntries sets each listed client's category, writing only what
// changed (queued into w: writeGaps), and returns when the soonest of them
// changes as time passes.
// listed holds every current entry of the rows' names (on any server), dups
// the names sharing each of their SusClientIds.
func (s *Store) classifyEntries(ctx context.Context, t *wtx, w *pipe, rows []entryRow, listed map[string][]elsewhere, dups map[string][]string, d gapDeltas) (due time.Time, err error) {
	if len(rows) == 0 {
		return due, nil
	}
	now, staleAfter := t.now, s.opts.StaleAfter
	var changed []gapChange
	for i, r := range rows {
		f := probes.EntryFacts{LastReport: nullTimePtr(r.lastReport), LastSync: nullTimePtr(r.lastSync), Removed: r.removed,
			Renames: r.renames, PrevName: r.prevName, Reported: r.reported, Policy: r.policy, PolicyDetail: r.policyDetail,
			PolicyScope: r.scope, PolicyServer: r.policyServer, Duplicates: others(dups[r.susID], r.name)}
		for _, o := range listed[r.name] {
			if o.serverID == r.serverID {
				continue
			}
			f.ListedElsewhere = o.server
			if o.lastSync.Valid && (!r.lastSync.Valid || o.lastSync.Int64 > r.lastSync.Int64) {
				f.FresherElsewhere = true
				break
			}
		}
		gap, detail := probes.ClassifyEntry(r.server, f, now, staleAfter)
		bucket := probes.AgeBucket(gap, f, now, staleAfter)
		due = earliest(due, entryDue(f, now, staleAfter))
		rows[i].gap, rows[i].detail, rows[i].bucket = gap, detail, bucket // the rows are left as stored
		if gap == r.gap && detail == r.detail && bucket == r.bucket {
			continue
		}
		changed = append(changed, gapChange{r.serverID, r.key, gap, detail, bucket, gap != r.gap})
		d.move(r.serverID, r.gap, gap)
		d.age(r.serverID, r.bucket, bucket)
	}
	return due, s.writeGaps(ctx, t, w, changed)
}

// gapChange is a client whose category (or its reason) changed.
type gapChange struct {
	serverID                 int64
	key, gap, detail, bucket string
	categoryChanged          bool
}

// bulkGapChanges: past this many changes, one set-based UPDATE beats many.
const bulkGapChanges = 200

// writeGaps stores changed categories: one UPDATE per client for a few,
// queued into w; a temporary table and one UPDATE ... FROM for many (a first
// snapshot classifies every client at once), after what w holds.
func (s *Store) writeGaps(ctx context.Context, t *wtx, w *pipe, changes []gapChange) error {
	now := ms(t.now)
	if len(changes) < bulkGapChanges {
		for _, c := range changes {
			if err := w.exec(ctx, stmt{`UPDATE clients SET gap = NULLIF($3, ''), gap_detail = $4,
				gap_since = CASE WHEN $5 THEN $6 ELSE gap_since END, age_bucket = NULLIF($7, '') WHERE server_id = $1 AND key = $2`,
				[]any{c.serverID, c.key, c.gap, c.detail, c.categoryChanged, now, c.bucket}}); err != nil {
				return fmt.Errorf("store client gap: %w", err)
			}
		}
		return nil
	}
	if err := w.run(ctx, "store client gaps"); err != nil {
		return err
	}
	if _, err := t.ExecContext(ctx, `CREATE TEMP TABLE IF NOT EXISTS gap_changes (server_id BIGINT NOT NULL, key TEXT NOT NULL,
		gap TEXT, gap_detail TEXT NOT NULL, gap_since BIGINT, age_bucket TEXT)`); err != nil {
		return fmt.Errorf("gap changes table: %w", err)
	}
	rows := make([][]any, len(changes))
	for i, c := range changes {
		var gap, since, bucket any
		if c.gap != "" {
			gap = c.gap
		}
		if c.categoryChanged {
			since = now
		}
		if c.bucket != "" {
			bucket = c.bucket
		}
		rows[i] = []any{c.serverID, c.key, gap, c.detail, since, bucket}
	}
	if err := s.d.bulkLoad(ctx, t, "gap_changes", []string{"server_id", "key", "gap", "gap_detail", "gap_since", "age_bucket"}, slices.Values(rows), ""); err != nil {
		return fmt.Errorf("load gap changes: %w", err)
	}
	if _, err := t.ExecContext(ctx, `UPDATE clients SET gap = g.gap, gap_detail = g.gap_detail, gap_since = COALESCE(g.gap_since, clients.gap_since),
		age_bucket = g.age_bucket FROM gap_changes g WHERE clients.server_id = g.server_id AND clients.key = g.key`); err != nil {
		return fmt.Errorf("store client gaps: %w", err)
	}
	return s.emptyScratch(ctx, t, "gap_changes")
}

// entryDue: when a client's category or histogram bucket next changes with
// time alone.
func entryDue(f probes.EntryFacts, now time.Time, staleAfter time.Duration) time.Time {
	var due time.Time
	if f.LastReport != nil {
		for _, edge := range probes.AgeEdges(staleAfter)[1:] { // the one-day edge is a recount's (recountClients)
			due = earliest(due, after(f.LastReport.Add(edge), now))
		}
	}
	if f.LastSync != nil {
		due = earliest(due, after(f.LastSync.Add(probes.FreshScan), now))
	}
	return due
}

func after(t, now time.Time) time.Time {
	if t.After(now) {
		return t
	}
	return time.Time{}
}

func earliest(a, b time.Time) time.Time {
	switch {
	case a.IsZero():
		return b
	case b.IsZero() || a.Before(b):
		return a
	}
	return b
}

// unlistedRow is a computer known from the inventory or its own report.
type unlistedRow struct {
	name              string
	facts             probes.UnlistedFacts
	susID             string
	reportServer      sql.NullInt64 // the server its policy names
	listed            bool          // some server lists it: its entries carry its category
	oldGap, oldDetail string
	oldServer         sql.NullInt64
}

// classifyUnlisted sets the gap of each computer of the set that no server
// lists (from the directory inventory and the clients' own reports), and
// drops the gaps of those that are listed now.
// Its writes are queued into w; out, when not nil, receives each
// computer's gap as it is once w ran.
func (s *Store) classifyUnlisted(ctx context.Context, t *wtx, w *pipe, set nameSet, dups map[string][]string, d gapDeltas, out map[string]nameGap) error {
	// The set filters each branch of the union: the index finds the names.
	in := func(table string) string { c, _ := set.sqlIn(table+".name", 1); return c }
	_, args := set.sqlIn("", 1)
	var list []unlistedRow
	err := t.read(ctx, "load computers to classify", `SELECT n.name,
			i.name IS NOT NULL, COALESCE(i.enabled, FALSE), i.last_logon,
			r.name IS NOT NULL, COALESCE(r.policy_gap, ''), COALESCE(r.policy_detail, ''), COALESCE(r.policy_scope, ''), r.server_id, COALESCE(rs.name, ''),
			COALESCE(r.sus_client_id, ''),
			COALESCE(f.category, ''), COALESCE(f.detail, ''), f.server_id, EXISTS (SELECT 1 FROM clients c WHERE c.name = n.name)
		FROM (SELECT name FROM inventory WHERE `+in("inventory")+` UNION SELECT name FROM client_reports WHERE `+in("client_reports")+`
			UNION SELECT name FROM fleet_gaps WHERE `+in("fleet_gaps")+`) n
		LEFT JOIN inventory i ON i.name = n.name
		LEFT JOIN client_reports r ON r.name = n.name LEFT JOIN servers rs ON rs.id = r.server_id
		LEFT JOIN fleet_gaps f ON f.name = n.name`, args, func(rows rowsScanner) error {
		for rows.Next() {
			var u unlistedRow
			var lastLogon sql.NullInt64
			if err := rows.Scan(&u.name, &u.facts.InInventory, &u.facts.Enabled, &lastLogon, &u.facts.Reported, &u.facts.Policy, &u.facts.PolicyDetail,
				&u.facts.PolicyScope, &u.reportServer, &u.facts.PolicyServer, &u.susID, &u.oldGap, &u.oldDetail, &u.oldServer, &u.listed); err != nil {
				return err
			}
			u.facts.LastLogon = nullTimePtr(lastLogon)
			list = append(list, u)
		}
		return rows.Err()
	})
	if err != nil {
		return fmt.Errorf("load computers to classify: %w", err)
	}
	if dups == nil && len(list) > 0 {
		ids := nameSet{} // every name's: all of them
		switch {
		case set.names != nil:
			ids.names = []string{}
			for _, u := range list {
				if u.susID != "" && !slices.Contains(ids.names, u.susID) {
					ids.names = append(ids.names, u.susID)
				}
			}
		case set.subquery != "":
			ids = nameSet{subquery: `SELECT sus_client_id FROM client_reports WHERE name IN (` + set.subquery + `)`, arg: set.arg}
		}
		if dups, err = duplicateIDs(ctx, t, ids); err != nil {
			return err
		}
	}
	for _, u := range list {
		var gap, detail string
		if !u.listed {
			u.facts.Duplicates = others(dups[u.susID], u.name)
			gap, detail = probes.ClassifyUnlisted(u.facts, t.now)
		}
		if out != nil && gap != "" {
			out[u.name] = nameGap{gap, detail}
		}
		server := u.reportServer
		if gap == u.oldGap && detail == u.oldDetail && server == u.oldServer {
			continue
		}
		if gap == "" {
			err = w.exec(ctx, stmt{`DELETE FROM fleet_gaps WHERE name = $1`, []any{u.name}})
		} else {
			err = w.exec(ctx, stmt{`INSERT INTO fleet_gaps (name, category, detail, server_id, since) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (name) DO UPDATE SET category = excluded.category, detail = excluded.detail, server_id = excluded.server_id,
					since = CASE WHEN fleet_gaps.category = excluded.category THEN fleet_gaps.since ELSE excluded.since END`,
				[]any{u.name, gap, detail, server, ms(t.now)}})
		}
		if err != nil {
			return fmt.Errorf("store computer gap: %w", err)
		}
		d.move(u.oldServer.Int64, u.oldGap, "")
		d.move(server.Int64, "", gap)
	}
	return nil
}

// classifyServer re-classifies every client of a server (after its list
// changed, or as time moves its clients across thresholds), the entries
// other servers have of the same names, and the computers it now lists.
func (s *Store) classifyServer(ctx context.Context, t *wtx, serverID int64) error {
	d := gapDeltas{}
	own, err := loadEntries(ctx, t, `c.server_id = $1`, serverID)
	if err != nil {
		return err
	}
	// Other servers' entries of the same names (their "elsewhere" changed).
	others, err := loadEntries(ctx, t, `c.server_id <> $1 AND c.name IN (SELECT name FROM clients WHERE server_id = $1)`, serverID)
	if err != nil {
		return err
	}
	listed := listedIn(slices.Concat(own, others)) // every entry of the server's names
	dups, err := duplicateIDs(ctx, t, nameSet{subquery: `SELECT r.sus_client_id FROM client_reports r JOIN clients c ON c.name = r.name
		WHERE c.server_id = $1`, arg: serverID})
	if err != nil {
		return err
	}
	w := t.pipe()
	due, err := s.classifyEntries(ctx, t, w, own, listed, dups, d)
	if err != nil {
		return err
	}
	if _, err := s.classifyEntries(ctx, t, w, others, listed, dups, d); err != nil {
		return err
	}
	// Its read is of names and listings, none of which w's writes change.
	nowListed := nameSet{subquery: `SELECT f.name FROM fleet_gaps f JOIN clients c ON c.name = f.name WHERE c.server_id = $1`, arg: serverID}
	if err := s.classifyUnlisted(ctx, t, w, nowListed, nil, d, nil); err != nil {
		return err
	}
	if err := w.run(ctx, "store client gaps"); err != nil {
		return err
	}
	// Those in no category now: how many reported within a day, as of now.
	if err := s.recountClients(ctx, t, serverID); err != nil {
		return err
	}
	if !due.IsZero() && due.Before(t.now.Add(gapDueMin)) {
		due = t.now.Add(gapDueMin)
	}
	var dueAt any
	if !due.IsZero() {
		dueAt = ms(due)
	}
	if err := w.exec(ctx, stmt{`UPDATE servers SET gaps_due_at = $2, diagnose_due = COALESCE(diagnose_due, $3) WHERE id = $1`, []any{serverID, dueAt, ms(t.now)}}); err != nil {
		return err
	}
	if err := s.settleGaps(ctx, t, w, d); err != nil {
		return err
	}
	return w.run(ctx, "count gaps")
}

// nameGap is the category a name is in after its classification, and why
// (what a client report's receipt tells); the zero value: in none.
type nameGap struct{ gap, detail string }

// nameReads is what classifyRead reads before it classifies: the names'
// entries, and the fleet-wide gaps dropped of those a server lists.
type nameReads struct {
	rows    []entryRow
	dropped []gapKey // (server, category) of each fleet-wide gap dropped
}

// queueNameReads queues classifyRead's reads of names into p. A listed
// name's category lives on its entries: it loses the fleet-wide gap it may
// have had while no server listed it (the DELETE's EXISTS is loadEntries's
// "listed": a clients row of the name). Queued together, on PostgreSQL
// they cost one round trip, or none more when queued with a write's
// others (writeClientReport); each name's are shared with the other
// writes of a group (sharedQuery).
func queueNameReads(ctx context.Context, p *pipe, names []string, nr *nameReads) error {
	dropped := func(rows rowsScanner) error {
		for rows.Next() {
			var category string
			var server sql.NullInt64
			if err := rows.Scan(&category, &server); err != nil {
				return err
			}
			nr.dropped = append(nr.dropped, gapKey{server.Int64, category})
		}
		return rows.Err()
	}
	for _, name := range names {
		if err := p.shared(ctx, entriesOfNameQuery, []string{name}, scanEntries(&nr.rows)); err != nil {
			return fmt.Errorf("load clients to classify: %w", err)
		}
	}
	for _, name := range names {
		if err := p.shared(ctx, dropListedGapQuery, []string{name}, dropped); err != nil {
			return fmt.Errorf("drop computer gaps: %w", err)
		}
	}
	return nil
}

// entriesOfNameQuery and dropListedGapQuery are queueNameReads's
// statements for a name. PostgreSQL starts each statement anew, and the
// entries' four-table join was the dearest to start of a client report's
// own (docs/PERFORMANCE.md, phase 25).
var (
	entriesOfNameQuery = &sharedQuery{
		one: entrySelect + `c.name = $1`,
		many: `SELECT i.ord, e.* FROM unnest($1::text[]) WITH ORDINALITY AS i(name, ord)
		CROSS JOIN LATERAL (` + entrySelect + `c.name = i.name OFFSET 0) e ORDER BY i.ord`,
	}
	dropListedGapQuery = &sharedQuery{
		one: `DELETE FROM fleet_gaps WHERE name = $1 AND EXISTS (SELECT 1 FROM clients c WHERE c.name = fleet_gaps.name)
		RETURNING category, server_id`,
		many: `WITH d AS (DELETE FROM fleet_gaps f USING unnest($1::text[]) WITH ORDINALITY AS i(name, ord)
			WHERE f.name = i.name AND EXISTS (SELECT 1 FROM clients c WHERE c.name = f.name)
			RETURNING i.ord, f.category, f.server_id)
		SELECT ord, category, server_id FROM d ORDER BY ord`,
	}
)

// classifyRead re-classifies everything known of some names (after a
// client's own report) once their reads (queueNameReads) ran, queueing its
// writes into w; dups holds the names sharing each SusClientId the names
// report (the caller has just read them). It returns the names' categories
// as they are once w ran.
func (s *Store) classifyRead(ctx context.Context, t *wtx, w *pipe, names []string, dups map[string][]string, nr *nameReads) (map[string]nameGap, error) {
	d := gapDeltas{}
	for _, k := range nr.dropped {
		d.move(k.server, k.category, "")
	}
	if _, err := s.classifyEntries(ctx, t, w, nr.rows, listedIn(nr.rows), dups, d); err != nil {
		return nil, err
	}
	out := map[string]nameGap{}
	listed := map[string]bool{}
	for _, r := range nr.rows {
		listed[r.name] = true
		if _, ok := out[r.name]; !ok && r.gap != "" {
			out[r.name] = nameGap{r.gap, r.detail}
		}
	}
	if unlisted := slices.DeleteFunc(slices.Clone(names), func(n string) bool { return listed[n] }); len(unlisted) > 0 {
		if err := s.classifyUnlisted(ctx, t, w, nameSet{names: unlisted}, dups, d, out); err != nil {
			return nil, err
		}
	}
	return out, s.settleGaps(ctx, t, w, d)
}

// settleGaps queues into w the counts' changes and asks for the affected
// servers to be re-diagnosed (their gap findings name counts and examples).
func (s *Store) settleGaps(ctx context.Context, t *wtx, w *pipe, d gapDeltas) error {
	if err := applyGapDeltas(ctx, w, d); err != nil {
		return err
	}
	servers := d.servers()
	slices.Sort(servers)
	for _, id := range servers {
		if err := w.exec(ctx, stmt{`UPDATE servers SET diagnose_due = $2 WHERE id = $1 AND diagnose_due IS NULL`, []any{id, ms(t.now)}}); err != nil {
			return err
		}
	}
	return nil
}

// Settle brings derived state up to date: the gap categories of servers whose
// client lists changed or whose clients crossed a threshold in time, the
// histogram's one-day count where a client crossed that edge, then the
// findings of servers whose gaps changed. serve runs it every few seconds;
// it returns how many servers it classified and diagnosed.
func (s *Store) Settle(ctx context.Context) (classified, diagnosed int, err error) {
	ids, err := s.serverIDs(ctx, `SELECT id FROM servers WHERE gaps_due_at <= $1`, ms(s.now()))
	if err != nil {
		return 0, 0, fmt.Errorf("find servers to classify: %w", err)
	}
	// At every settle, and again every second of a long run of
	// classifications: a load's row counts reach the statistics views
	// seconds after it commits.
	if err := s.analyzeStale(ctx); err != nil {
		return 0, 0, err
	}
	analyzed := time.Now()
	for _, id := range ids {
		if time.Since(analyzed) >= time.Second {
			if err := s.analyzeStale(ctx); err != nil {
				return classified, 0, err
			}
			analyzed = time.Now()
		}
		if err := s.write(ctx, func(ctx context.Context, t *wtx) error { return s.classifyServer(ctx, t, id) }); err != nil {
			return classified, 0, err
		}
		classified++
	}
	if err := s.recountDue(ctx); err != nil {
		return classified, 0, err
	}
	diagnosed, err = s.RediagnoseDue(ctx)
	return classified, diagnosed, err
}

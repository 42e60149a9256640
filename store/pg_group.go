package store

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// pgGroups commits small server reports (writeGrouped) on PostgreSQL in
// groups, as the SQLite writer does: a committer takes every write waiting,
// sends the group's BEGIN and the writes' reports (in statements of many
// rows each, groupBatch) as one pipelined batch, runs what each write does
// with its results (wtx.after), and commits. A
// group costs two round trips and one WAL flush where its writes alone cost
// two round trips and a flush each: per transaction and per round trip costs
// (the COMMIT's fdatasync, socket wake-ups, the VM's context switches) were
// most of PostgreSQL's CPU on a small report (docs/PERFORMANCE.md).
//
// A group that fails in any way (a replay or conflicting id, whose claim
// found its document stored; a bad statement; a row another transaction
// holds past pgGroupLockTimeout) is rolled back and each of its writes runs
// again alone (writePostgresLazy), so each gets the answer it gets alone.
//
// Lock order: a server is in one group at a time (busy), so groups never
// wait on each other's row locks, and a server's writes commit in the order
// they arrived; a group locks its servers in ascending id (as RediagnoseDue
// does, so the two cannot deadlock), those not yet known last, by name.
type pgGroups struct {
	committers
	s      *Store
	queue  []*pgJob          // waiting, in arrival order
	busy   map[string]uint64 // servers being written: by group (serial), or alone (0)
	serial uint64            // numbers the groups, from 1
	ids    map[string]int64  // servers' ids as their last write here stored them
	// digests: the inputs each server's last write here stored; predict:
	// a write whose inputs differ runs alone (submit); tests turn it off.
	digests map[string]string
	predict bool
	// turn: one committer at a time forms a group and runs its statements;
	// it hands the turn on before its COMMIT, so commits overlap the next
	// group. Groups side by side split the queue into smaller groups and
	// cost PostgreSQL more per report (docs/PERFORMANCE.md, phase 15).
	turn chan struct{}
}

// committers is what the groups of pushes (pgGroups) and of client reports
// (pgSteps) share: a queue's lock and wake-ups, and the goroutines that
// commit its groups.
type committers struct {
	mu     sync.Mutex
	wake   sync.Cond // a write was queued, a group ended, or the groups close
	shut   bool
	paused bool // tests: committers take nothing while set (HoldGroups)
	done   sync.WaitGroup
	// fellBack counts groups rolled back whose writes ran again alone.
	fellBack atomic.Int64
}

// start runs n committers, each calling loop until it returns.
func (c *committers) start(n int, loop func()) {
	c.wake.L = &c.mu
	c.done.Add(n)
	for range n {
		go func() {
			defer c.done.Done()
			loop()
		}()
	}
}

// close stops taking writes and waits for the queued ones.
func (c *committers) close() {
	c.mu.Lock()
	c.shut = true
	c.mu.Unlock()
	c.wake.Broadcast()
	c.done.Wait()
}

const (
	// pgCommitters: one group runs its statements (turn) while the
	// other's COMMIT is flushed.
	pgCommitters = 2
	pgMaxGroup   = 64      // writes in one group
	pgMaxIDs     = 1 << 16 // servers whose ids and inputs are remembered
)

// pgGroupLockTimeout: a group waits this long at most for a row another
// transaction holds (RediagnoseDue's chunk of servers, a client report),
// then is rolled back and runs alone: a group waiting holds up all its
// writes, where alone only the one for that server waits.
const pgGroupLockTimeout = "set local lock_timeout = '50ms'"

type pgJob struct {
	server string
	fn     writeFunc
	id     int64 // the server's id when known (ids): the lock order
	t      *wtx
	err    error
	done   chan struct{}
}

// errGroupUnsent fails a grouped write that runs a statement of its own
// before its group's batch, which holds the transaction's BEGIN, was sent:
// that statement would run outside the transaction.
var errGroupUnsent = errors.New("store: a grouped write ran a statement before its group's batch")

func newPGGroups(s *Store) *pgGroups {
	g := &pgGroups{s: s, busy: map[string]uint64{}, ids: map[string]int64{}, digests: map[string]string{}, predict: true, turn: make(chan struct{}, 1)}
	g.start(pgCommitters, g.loop)
	return g
}

// submit queues fn, a write to server, and waits until it is committed or
// failed. Like writePostgresLazy, the write does not depend on the caller's
// context: once queued it runs even if the caller goes away.
//
// A write whose inputs (preparedReport.inputs) are not those its server's
// last write here stored is expected to be no repeat, and runs alone at
// once: one that is no repeat brings the server's names in line
// (syncIdentity), several statements one after another, which in a group
// would run one server after another while the group holds every server's
// row lock. Alone it runs beside the groups, as every write did before
// them, and waits only for its own server's row. A write for a server that
// a group, another write alone or a queued write has goes in a group after
// it (its steps, should it be no repeat, then run in the group): a server's
// writes never wait for each other's locks.
func (g *pgGroups) submit(server, inputs string, fn writeFunc) error {
	j := &pgJob{server: server, fn: fn, done: make(chan struct{})}
	g.mu.Lock()
	if g.shut {
		g.mu.Unlock()
		return errClosed
	}
	_, busy := g.busy[server]
	busy = busy || slices.ContainsFunc(g.queue, func(q *pgJob) bool { return q.server == server })
	if g.predict && !busy && (inputs == "" || g.digests[server] != inputs) {
		g.busy[server] = 0 // alone: no group takes the server meanwhile
		g.mu.Unlock()
		j.err = g.s.retryPostgres(func() error { return g.s.writePostgresLazy(context.Background(), j.record(fn)) })
		g.mu.Lock()
		delete(g.busy, server)
		g.mu.Unlock()
		g.wake.Broadcast()
	} else {
		g.queue = append(g.queue, j)
		g.mu.Unlock()
		g.wake.Signal()
		<-j.done
	}
	g.mu.Lock()
	if len(g.ids) >= pgMaxIDs {
		clear(g.ids)
		clear(g.digests)
	}
	if j.t != nil && j.t.serverID != 0 {
		g.ids[server] = j.t.serverID
	}
	if j.err == nil {
		g.digests[server] = inputs
	} else {
		delete(g.digests, server)
	}
	g.mu.Unlock()
	return j.err
}

// record is fn keeping the write's wtx, whose serverID orders the next
// groups' locks.
func (j *pgJob) record(fn writeFunc) writeFunc {
	return func(ctx context.Context, t *wtx) error {
		j.t = t
		return fn(ctx, t)
	}
}

func (g *pgGroups) loop() {
	for {
		g.turn <- struct{}{}
		endTurn := sync.OnceFunc(func() { <-g.turn })
		group, serial := g.take()
		if group == nil {
			endTurn()
			return
		}
		g.run(group, endTurn)
		g.mu.Lock()
		for _, j := range group {
			if g.busy[j.server] == serial {
				delete(g.busy, j.server)
			}
		}
		g.mu.Unlock()
		g.wake.Broadcast() // writes left waiting for these servers may go
	}
}

// take waits for writes and takes those whose servers are in no other
// group, up to pgMaxGroup, in arrival order; nil once closed and drained.
func (g *pgGroups) take() ([]*pgJob, uint64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for {
		if !g.paused && len(g.queue) > 0 {
			g.serial++
			var group []*pgJob
			rest := g.queue[:0]
			for _, j := range g.queue {
				owner, busy := g.busy[j.server]
				if len(group) == pgMaxGroup || (busy && owner != g.serial) {
					rest = append(rest, j) // keeps its place: the next group takes it first
					continue
				}
				g.busy[j.server] = g.serial
				j.id = g.ids[j.server]
				group = append(group, j)
			}
			clear(g.queue[len(rest):])
			g.queue = rest
			if len(group) > 0 {
				return group, g.serial
			}
		}
		if g.shut && len(g.queue) == 0 {
			return nil, 0
		}
		g.wake.Wait()
	}
}

// run commits group, or when that fails runs each of its writes alone, and
// answers each write. It ends the committer's turn (endTurn) at the latest
// once the group committed or failed: writes run alone take no turn.
func (g *pgGroups) run(group []*pgJob, endTurn func()) {
	// Stable: a server's writes stay in the order they arrived.
	slices.SortStableFunc(group, func(a, b *pgJob) int {
		if (a.id == 0) != (b.id == 0) {
			return cmp.Compare(b.id, a.id) // the known first
		}
		return cmp.Or(cmp.Compare(a.id, b.id), cmp.Compare(a.server, b.server))
	})
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	err := g.commit(ctx, group, endTurn)
	endTurn()
	if err == nil {
		for _, j := range group {
			close(j.done)
		}
		return
	}
	g.fellBack.Add(1)
	g.s.opts.Logger.Debug("store: group rolled back, its writes run alone", "writes", len(group), "err", err)
	// Each server's writes one after another, the servers side by side, as
	// they ran before groups: one waiting for a row lock holds up no other.
	var wg sync.WaitGroup
	for i := 0; i < len(group); {
		n := 1
		for i+n < len(group) && group[i+n].server == group[i].server {
			n++
		}
		writes := group[i : i+n]
		wg.Go(func() {
			for _, j := range writes {
				j.err = g.s.retryPostgres(func() error { return g.s.writePostgresLazy(ctx, j.record(j.fn)) })
				close(j.done)
			}
		})
		i += n
	}
	wg.Wait()
}

// commit runs group in one transaction: BEGIN and the writes' reports as
// one batch (groupBatch), then each write's steps after it, then COMMIT. On
// an error nothing of the group stays. The turn ends before the COMMIT.
func (g *pgGroups) commit(ctx context.Context, group []*pgJob, endTurn func()) error {
	s := g.s
	conn, release, err := s.writeConn(ctx)
	if err != nil {
		return err
	}
	defer release()
	start := time.Now()
	gb := &groupBatch{b: &pgx.Batch{}}
	gb.b.Queue("begin")
	gb.b.Queue(pgGroupLockTimeout)
	for _, j := range group {
		j.t = &wtx{conn: conn, now: s.now(), lazy: true, begun: true, beginErr: errGroupUnsent, group: gb}
		if err := runJob(ctx, j.fn, j.t); err != nil {
			return err // nothing was sent
		}
	}
	gb.queueReports()
	err = conn.Raw(func(dc any) error {
		return dc.(*stdlib.Conn).Conn().SendBatch(ctx, gb.b).Close()
	})
	// A server twice in the group has its first write's steps (syncIdentity)
	// run after its second write's statement: they leave what they would
	// have left run in between, since a repeat changes none of what they
	// read, and a write that is no repeat runs its own steps after them.
	for _, j := range group {
		if err != nil {
			break
		}
		j.t.group, j.t.beginErr = nil, nil
		if after := j.t.after; after != nil {
			err = runJob(ctx, func(context.Context, *wtx) error { return after() }, j.t)
		}
	}
	if err == nil {
		endTurn()
	}
	return s.endLazyWrites(ctx, conn, len(group), start, err)
}

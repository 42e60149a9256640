package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/wsusfleet/wsusfleet/probes"
)

// pgSteps commits client reports on PostgreSQL in groups. A client report
// is four dependent batches (its prior; its row and the classification's
// reads; the counts, gaps and claim; COMMIT), each a round trip. Alone,
// every report paid four round trips and a WAL flush, and the profile of a
// PostgreSQL client report was mostly that: the kernel's sends and
// wake-ups, BEGIN and COMMIT (docs/PERFORMANCE.md, phase 12). In a group,
// each write runs on a goroutine of its own; when it runs a batch
// (pipe.run) it hands it to the committer and waits; once every write of
// the group has handed one over or finished, the committer sends them as
// one batch, in one transaction, and lets them go on. A group costs its
// longest write's round trips and one COMMIT. The reads every write makes
// in its first step, and its classification's in the second, go as one
// statement for the group (pg_shared.go).
//
// What a write reads in one step it may not see of another write's step
// sent with it, so a group never holds two writes for one client name or
// SusClientId (busy): each write's prior and the names sharing its id are
// then its own. A write that runs a statement outside its pipes (a late
// report's receipt, a replay's stored answer), a statement that fails, or
// a row held past pgGroupLockTimeout rolls the group back, and each of its
// writes runs again alone (writePostgresLazy), getting the answer it gets
// alone. Each step sends the writes in ascending server id (known after
// the first), so groups side by side update the servers' count rows in
// one order.
type pgSteps struct {
	committers
	s     *Store
	queue []*stepJob
	busy  map[string]bool // the keys of the writes in a group
}

const (
	// pgStepCommitters: groups run at once; PostgreSQL runs each group's
	// statements on one backend, so two keep its two cores busy.
	pgStepCommitters = 2
	pgMaxSteps       = 32 // writes in one group
)

// pgStepsGenericPlans: a client-report group's statements are lookups by
// key, prepared once a connection. PostgreSQL plans a prepared statement
// for its arguments five times, then keeps a generic plan unless that looks
// dearer; after an ANALYZE of a growing table (planstats.go) the lookup of
// a client's entries by name could look so, and was planned again at
// every call: a third of a run's calls, ~2.3 s of PostgreSQL's CPU in an
// 8 s run, half its rate (docs/PERFORMANCE.md, phase 19).
const pgStepsGenericPlans = "set local plan_cache_mode = force_generic_plan"

type stepJob struct {
	keys []string // the client's name and SusClientId
	fn   writeFunc
	err  error
	done chan struct{}
}

// stepper is a grouped write's line to its committer.
type stepper struct {
	out chan stepMsg // to the committer: a batch to send, or the write's end
	in  chan error   // from it: how the batch went
}

type stepMsg struct {
	b   *pgx.Batch // nil: the write returned err
	sh  []sharedEntry
	err error
}

// errStepDirect fails a grouped write that runs a statement of its own:
// the group's connection is the committer's.
var errStepDirect = errors.New("store: a grouped client report ran a statement outside its batches")

// errStepAborted answers the batches of a group being rolled back.
var errStepAborted = errors.New("store: the group was rolled back")

func newPGSteps(s *Store) *pgSteps {
	g := &pgSteps{s: s, busy: map[string]bool{}}
	g.start(pgStepCommitters, g.loop)
	return g
}

// run hands b and the shared queries sh to the committer and waits until
// they were sent.
func (st *stepper) run(b *pgx.Batch, sh []sharedEntry) error {
	st.out <- stepMsg{b: b, sh: sh}
	return <-st.in
}

// writeClient runs a client report's write: in a group on PostgreSQL
// (pgSteps), in the SQLite writer's batch otherwise.
func (s *Store) writeClient(ctx context.Context, cr *probes.ClientReport, fn writeFunc) error {
	if s.steps == nil {
		return s.writeBatched(ctx, fn, false)
	}
	defer s.ver.wrote()
	keys := []string{"name\x00" + strings.ToLower(cr.Client.Name)}
	if sus := clientSusID(cr); sus != "" {
		keys = append(keys, "sus\x00"+sus)
	}
	return s.steps.submit(keys, fn)
}

// submit queues fn and waits until it is committed or failed. Like
// writePostgresLazy, the write does not depend on the caller's context:
// once queued it runs even if the caller goes away.
func (g *pgSteps) submit(keys []string, fn writeFunc) error {
	j := &stepJob{keys: keys, fn: fn, done: make(chan struct{})}
	g.mu.Lock()
	if g.shut {
		g.mu.Unlock()
		return errClosed
	}
	g.queue = append(g.queue, j)
	g.mu.Unlock()
	g.wake.Signal()
	<-j.done
	return j.err
}

func (g *pgSteps) loop() {
	for {
		group := g.take()
		if group == nil {
			return
		}
		g.run(group)
		g.mu.Lock()
		for _, j := range group {
			for _, k := range j.keys {
				delete(g.busy, k)
			}
		}
		g.mu.Unlock()
		g.wake.Broadcast() // writes left waiting for these keys may go
	}
}

// take waits for writes and takes those whose keys are in no group, up to
// pgMaxSteps, in arrival order (one left waiting keeps its place); nil once
// closed and drained.
func (g *pgSteps) take() []*stepJob {
	g.mu.Lock()
	defer g.mu.Unlock()
	for {
		var group []*stepJob
		rest := g.queue[:0]
		for _, j := range g.queue {
			if g.paused {
				rest = append(rest, j)
				continue
			}
			if len(group) == pgMaxSteps || slices.ContainsFunc(j.keys, func(k string) bool { return g.busy[k] }) {
				rest = append(rest, j)
				continue
			}
			for _, k := range j.keys {
				g.busy[k] = true
			}
			group = append(group, j)
		}
		clear(g.queue[len(rest):])
		g.queue = rest
		if len(group) > 0 {
			return group
		}
		if g.shut && len(g.queue) == 0 {
			return nil
		}
		g.wake.Wait()
	}
}

// run commits group, or when that fails (or the group is one write) runs
// each write alone, side by side, and answers each.
func (g *pgSteps) run(group []*stepJob) {
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	if len(group) > 1 {
		err := g.commit(ctx, group)
		if err == nil {
			for _, j := range group {
				close(j.done)
			}
			return
		}
		g.fellBack.Add(1)
		g.s.opts.Logger.Debug("store: client report group rolled back, its writes run alone", "writes", len(group), "err", err)
	}
	var wg sync.WaitGroup
	for _, j := range group {
		wg.Go(func() {
			// runJob: a write that panics fails alone, on this goroutine
			// as on the request's before groups.
			alone := func(ctx context.Context, t *wtx) error { return runJob(ctx, j.fn, t) }
			j.err = g.s.retryPostgres(func() error { return g.s.writePostgresLazy(ctx, alone) })
			close(j.done)
		})
	}
	wg.Wait()
}

// stepWrite is one write of a group being committed.
type stepWrite struct {
	t  *wtx
	st stepper
	b  *pgx.Batch    // the batch it handed over in this step
	sh []sharedEntry // and its shared queries
}

// commit runs group in one transaction, step by step (pgSteps), then
// commits. On an error nothing of the group stays.
func (g *pgSteps) commit(ctx context.Context, group []*stepJob) error {
	s := g.s
	conn, release, err := s.writeConn(ctx)
	if err != nil {
		return err
	}
	defer release()
	start := time.Now()
	live := make([]*stepWrite, len(group))
	for i, j := range group {
		w := &stepWrite{st: stepper{out: make(chan stepMsg), in: make(chan error)}}
		w.t = &wtx{conn: conn, now: s.now(), lazy: true, begun: true, step: &w.st}
		live[i] = w
		go func() {
			err := runJob(ctx, j.fn, w.t)
			w.st.out <- stepMsg{err: err}
		}()
	}
	sent := false
	var failed error
	for len(live) > 0 {
		var parked []*stepWrite
		for _, w := range live {
			msg := <-w.st.out
			if msg.b == nil {
				if msg.err != nil && failed == nil {
					failed = msg.err
				}
				continue
			}
			w.b, w.sh = msg.b, msg.sh
			parked = append(parked, w)
		}
		if len(parked) == 0 {
			break
		}
		if failed == nil {
			// Ascending server ids: groups side by side lock the count rows
			// of their servers in one order (0, not yet known, first).
			slices.SortStableFunc(parked, func(a, b *stepWrite) int { return cmp.Compare(a.t.serverID, b.t.serverID) })
			b := &pgx.Batch{}
			if !sent {
				b.Queue("begin")
				b.Queue(pgGroupLockTimeout)
				b.Queue(pgStepsGenericPlans)
				sent = true
			}
			mergeSteps(b, parked)
			failed = sendSteps(ctx, conn, b)
		}
		answer := failed
		if answer != nil {
			answer = fmt.Errorf("%w: %w", errStepAborted, failed)
		}
		for _, w := range parked {
			w.st.in <- answer
		}
		live = parked
	}
	if !sent {
		return failed // nothing was sent
	}
	return s.endLazyWrites(ctx, conn, len(group), start, failed)
}

// sendSteps sends a step's batch. The writes' scan functions run here, on
// the committer's goroutine: one that panics fails the group (and the
// connection is discarded) instead of the process, as runJob does alone.
func sendSteps(ctx context.Context, conn *sql.Conn, b *pgx.Batch) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("store: a grouped write panicked: %v", r)
		}
	}()
	return conn.Raw(func(dc any) error {
		return dc.(*stdlib.Conn).Conn().SendBatch(ctx, b).Close()
	})
}

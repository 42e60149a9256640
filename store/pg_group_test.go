package store_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/rules"
	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
)

// commits records how many writes each commit carried (store.WriteObserver).
type commits struct {
	mu    sync.Mutex
	sizes []int
}

func (c *commits) Committed(n int, _ time.Duration, err error) {
	if err == nil {
		c.mu.Lock()
		c.sizes = append(c.sizes, n)
		c.mu.Unlock()
	}
}

func (c *commits) largest() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := 0
	for _, n := range c.sizes {
		m = max(m, n)
	}
	return m
}

type saved struct {
	receipt probes.Receipt
	replay  bool
	err     error
}

// sendHeld runs send(0) … send(n-1) while the store holds its writes, each
// on a goroutine of its own and queued before the next starts, then lets
// them go and waits for all: they are committed as one group (or batch),
// in this order, as if they had all been waiting.
func sendHeld(t *testing.T, s *store.Store, n int, send func(i int)) {
	t.Helper()
	var wg sync.WaitGroup
	release := store.HoldGroups(s)
	for i := range n {
		wg.Go(func() { send(i) })
		storetest.WaitFor(t, fmt.Sprintf("write %d queued", i), time.Minute, func() bool { return store.QueuedWrites(s) == i+1 })
	}
	release()
	wg.Wait()
}

// saveHeld sends reports as one group (sendHeld).
func saveHeld(t *testing.T, s *store.Store, reports []*probes.Report) []saved {
	t.Helper()
	out := make([]saved, len(reports))
	store.GroupEveryWrite(s)
	sendHeld(t, s, len(reports), func(i int) {
		out[i].receipt, out[i].replay, out[i].err = s.SaveReport(context.Background(), reports[i], "")
	})
	return out
}

// sameReport is storetest.Report collected sec seconds after T0: within one
// interval of the inputs digest, so a server's such reports repeat.
func sameReport(id, server string, sec int) *probes.Report {
	return storetest.Report(id, server, storetest.T0.Add(time.Duration(sec)*time.Second))
}

// Small reports for overlapping servers, arriving together in any order,
// are committed together and stored exactly once each, as if one after
// another: the newest checks stay the latest, and each server counts its
// repeated inputs once per report after its first.
func TestGroupedReportsStoredOnce(t *testing.T) {
	for name, open := range storetest.Dialects(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			obs := &commits{}
			s := open(t, store.Options{Observer: obs})
			ctx := context.Background()
			const servers, each = 6, 8
			var reports []*probes.Report
			for i := range servers * each {
				reports = append(reports, sameReport(fmt.Sprintf("g%02d", i), fmt.Sprintf("wsus%d", i%servers), i/servers))
			}
			rand.Shuffle(len(reports), func(i, j int) { reports[i], reports[j] = reports[j], reports[i] })
			for i, got := range saveHeld(t, s, reports) {
				if got.err != nil || got.replay || got.receipt.ID != reports[i].ID {
					t.Fatalf("report %s: %+v, want it stored", reports[i].ID, got)
				}
			}
			if n := obs.largest(); n != servers*each {
				t.Errorf("the largest commit carried %d writes, want all %d in one", n, servers*each)
			}
			for i := range servers {
				server := fmt.Sprintf("wsus%d", i)
				st, err := s.ServerState(ctx, server)
				if err != nil {
					t.Fatal(err)
				}
				newest := storetest.T0.Add(time.Duration(each-1) * time.Second)
				if !st.LastReportAt.Equal(newest) || len(st.VDirChecks) != 9 || !st.VDirChecks[0].CheckedAt.Equal(newest) {
					t.Errorf("%s: last report %v, %d checks, the first checked %v; want all at %v", server, st.LastReportAt, len(st.VDirChecks), st.VDirChecks[0].CheckedAt, newest)
				}
				if n, err := store.InputsRepeats(ctx, s, server); err != nil || n != each-1 {
					t.Errorf("%s: inputs_repeats %d (%v), want %d", server, n, err, each-1)
				}
			}
			for i, got := range saveHeld(t, s, reports) {
				if got.err != nil || !got.replay || got.receipt.ID != reports[i].ID {
					t.Errorf("report %s sent again: %+v, want a replay", reports[i].ID, got)
				}
			}
			if n, err := store.InputsRepeats(ctx, s, "wsus0"); err != nil || n != each-1 {
				t.Errorf("replays counted as reports: inputs_repeats %d (%v), want %d", n, err, each-1)
			}
		})
	}
}

// A replay and a reused id in a group get the answers they get alone (the
// stored answer; a conflict) and the group's other reports are stored.
func TestGroupedReportReplayAndConflict(t *testing.T) {
	for name, open := range storetest.Dialects(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := open(t, store.Options{})
			ctx := context.Background()
			for _, r := range []*probes.Report{sameReport("r1", "a", 0), sameReport("r2", "b", 0)} {
				if _, _, err := s.SaveReport(ctx, r, ""); err != nil {
					t.Fatal(err)
				}
			}
			reused := sameReport("r2", "c", 1) // r2's id, other content
			got := saveHeld(t, s, []*probes.Report{sameReport("r3", "a", 2), sameReport("r1", "a", 0), reused, sameReport("r4", "b", 3)})
			if g := got[1]; g.err != nil || !g.replay || g.receipt != (probes.Receipt{ID: "r1", Server: "a"}) {
				t.Errorf("the replay: %+v, want r1's stored answer", g)
			}
			if g := got[2]; !errors.Is(g.err, probes.ErrConflict) {
				t.Errorf("the reused id: %+v, want a conflict", g)
			}
			for _, i := range []int{0, 3} {
				if g := got[i]; g.err != nil || g.replay {
					t.Errorf("report %d: %+v, want it stored", i, g)
				}
			}
			if _, err := s.ServerState(ctx, "c"); !errors.Is(err, probes.ErrNotFound) {
				t.Errorf("the conflicting report left its server: %v", err)
			}
			for server, sec := range map[string]int{"a": 2, "b": 3} {
				st, err := s.ServerState(ctx, server)
				if err != nil || !st.LastReportAt.Equal(storetest.T0.Add(time.Duration(sec)*time.Second)) {
					t.Errorf("%s: %v, want its group's report stored", server, err)
				}
				if n, err := store.InputsRepeats(ctx, s, server); err != nil || n != 1 {
					t.Errorf("%s: inputs_repeats %d (%v), want 1: the replay is no report", server, n, err)
				}
			}
			if name == "postgres" && store.GroupsFellBack(s) == 0 {
				t.Error("the group with a replay was committed: it must roll back and run its reports alone")
			}
		})
	}
}

// Two reports of one group that reuse one id for two servers get what they
// get one after the other: the first is stored, the second is a conflict
// and leaves nothing, not even its server.
func TestGroupedReportsReusingOneID(t *testing.T) {
	for name, open := range storetest.Dialects(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := open(t, store.Options{})
			ctx := context.Background()
			reports := []*probes.Report{sameReport("same", "a", 0), sameReport("other", "b", 0), sameReport("same", "c", 1)}
			got := saveHeld(t, s, reports)
			stored, conflicts := 0, 0
			for i, g := range got {
				_, err := s.ServerState(ctx, reports[i].Server.Name)
				switch {
				case g.err == nil && !g.replay && err == nil:
					stored++
				case errors.Is(g.err, probes.ErrConflict) && errors.Is(err, probes.ErrNotFound):
					conflicts++
				default:
					t.Errorf("report %d: %+v, its server %v; want it stored, or a conflict that left nothing", i, g, err)
				}
			}
			if stored != 2 || conflicts != 1 {
				t.Errorf("%d stored and %d conflicts, want 2 and 1", stored, conflicts)
			}
		})
	}
}

// A group with two reports for one server applies them in the order they
// arrived: a newer section replaces an older one, an older one does not
// replace a newer, and a new URL renames the server's names.
func TestGroupedReportsForOneServerApplyInOrder(t *testing.T) {
	pool := func(id, server, identity string, sec int) *probes.Report {
		r := sameReport(id, server, sec)
		r.AppPool = &probes.AppPool{Name: "WsusPool", State: "Started", Identity: identity}
		return r
	}
	for name, open := range storetest.Dialects(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			// Each dialect gets its own reports: SaveReport normalises the
			// report it is given, and the subtests run in parallel.
			moved := sameReport("c2", "c", 2)
			moved.Server.URL = "http://c-new.corp.example:8530"
			unchecked := pool("e1", "e", "one", 1) // a section, no checks
			unchecked.VDirChecks = nil
			s := open(t, store.Options{})
			ctx := context.Background()
			got := saveHeld(t, s, []*probes.Report{
				pool("a1", "a", "one", 1), pool("a2", "a", "two", 2), // in order
				pool("b2", "b", "two", 2), pool("b1", "b", "one", 1), // the older after
				sameReport("c1", "c", 1), moved,
				sameReport("d1", "d", 1), sameReport("d2", "d", 2),
				unchecked,
			})
			for i, g := range got {
				if g.err != nil || g.replay {
					t.Fatalf("report %d: %+v", i, g)
				}
			}
			for _, server := range []string{"a", "b"} {
				st, err := s.ServerState(ctx, server)
				if err != nil || st.AppPool == nil || st.AppPool.Identity != "two" {
					t.Errorf("%s: app pool %+v (%v), want the newer report's", server, st.AppPool, err)
				}
			}
			if st, err := s.ServerState(ctx, "c"); err != nil || st.URL != moved.Server.URL {
				t.Errorf("c: %v, want the second report's URL", err)
			}
			if m, err := s.ResolveServer(ctx, moved.Server.URL); err != nil || m.Server != "c" {
				t.Errorf("c's new name matches %+v (%v), want server c", m, err)
			}
			for server, want := range map[string]int64{"a": 0, "b": 0, "c": 0, "d": 1} {
				if n, err := store.InputsRepeats(ctx, s, server); err != nil || n != want {
					t.Errorf("%s: inputs_repeats %d (%v), want %d", server, n, err, want)
				}
			}
			if st, err := s.ServerState(ctx, "e"); err != nil || st.AppPool == nil || len(st.VDirChecks) != 0 {
				t.Errorf("e: %+v, %d checks (%v); want its app pool and no checks", st.AppPool, len(st.VDirChecks), err)
			}
			if name == "postgres" && store.GroupsFellBack(s) != 0 {
				t.Error("the group was rolled back and its reports ran alone: it must commit as one")
			}
		})
	}
}

// Concurrent reports for shared servers in shuffled order, with the
// diagnoses the maintenance loop runs beside them (RediagnoseDue locks
// servers in id order), never deadlock: every report is stored, and no
// PostgreSQL group had to be rolled back.
func TestGroupedReportsConcurrentNoDeadlock(t *testing.T) {
	for name, open := range storetest.Dialects(t) {
		for _, diagnosing := range []bool{false, true} {
			t.Run(fmt.Sprint(name, "/diagnosing=", diagnosing), func(t *testing.T) {
				t.Parallel()
				concurrentReports(t, open, diagnosing)
			})
		}
	}
}

func concurrentReports(t *testing.T, open storetest.Opener, diagnosing bool) {
	s := open(t, store.Options{Diagnose: rules.Diagnose})
	ctx := context.Background()
	const senders, each, servers = 16, 30, 24
	var wg sync.WaitGroup
	errs := make(chan error, senders*each+1)
	stop := make(chan struct{})
	diagnosed := make(chan struct{})
	go func() {
		defer close(diagnosed)
		for diagnosing {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := s.RediagnoseDue(ctx); err != nil {
				errs <- fmt.Errorf("diagnose: %w", err)
				return
			}
		}
	}()
	for w := range senders {
		wg.Go(func() {
			for i, n := range rand.Perm(each) {
				server := fmt.Sprintf("wsus%02d", (w*each+n)%servers)
				if _, replay, err := s.SaveReport(ctx, sameReport(fmt.Sprintf("s%d-%d", w, i), server, 0), ""); err != nil || replay {
					errs <- fmt.Errorf("sender %d report %d: replay %v, %v", w, i, replay, err)
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	<-diagnosed
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var total int64
	for i := range servers {
		n, err := store.InputsRepeats(ctx, s, fmt.Sprintf("wsus%02d", i))
		if err != nil {
			t.Fatal(err)
		}
		total += n + 1
	}
	if total != senders*each {
		t.Errorf("the servers counted %d reports, want %d", total, senders*each)
	}
	// Groups never wait on each other's rows (a server is in one
	// group at a time), so none hits its lock timeout; one may wait
	// for a diagnosis and then run its reports alone.
	if n := store.GroupsFellBack(s); n != 0 && !diagnosing {
		t.Errorf("%d groups rolled back (lock waits between groups)", n)
	}
}

// A group that meets a server's row held by another transaction gives up
// after its lock timeout and runs its reports alone, side by side: the
// reports for other servers are stored while that row is still held.
func TestGroupedReportWaitsNotForOthersLock(t *testing.T) {
	s := storetest.OpenPostgres(t, store.Options{})
	ctx := context.Background()
	for _, r := range []*probes.Report{sameReport("l1", "a", 0), sameReport("l2", "b", 0)} {
		if _, _, err := s.SaveReport(ctx, r, ""); err != nil {
			t.Fatal(err)
		}
	}
	unlock, err := store.LockServer(ctx, s, "a")
	if err != nil {
		t.Fatal(err)
	}
	release := store.HoldGroups(s)
	results := make(chan string, 2)
	for _, r := range []*probes.Report{sameReport("l3", "a", 1), sameReport("l4", "b", 1)} {
		go func() {
			if _, replay, err := s.SaveReport(ctx, r, ""); err != nil || replay {
				t.Errorf("%s: replay %v, %v", r.ID, replay, err)
			}
			results <- r.Server.Name
		}()
	}
	storetest.WaitFor(t, "both reports queued", time.Minute, func() bool { return store.QueuedWrites(s) == 2 })
	release()
	if first := <-results; first != "b" {
		t.Errorf("the report for %s was stored first, want b's while a's row is held", first)
	}
	unlock()
	<-results
	if store.GroupsFellBack(s) != 1 {
		t.Errorf("%d groups ran alone, want the one that met the lock", store.GroupsFellBack(s))
	}
}

// On PostgreSQL a report that is expected to be no repeat (its inputs are
// not its server's last) runs alone at once, beside the groups; one that
// repeats its server's last inputs waits for a group.
func TestGroupedReportNoRepeatRunsAlone(t *testing.T) {
	s := storetest.OpenPostgres(t, store.Options{})
	ctx := context.Background()
	release := store.HoldGroups(s)
	if _, replay, err := s.SaveReport(ctx, sameReport("n1", "a", 0), ""); err != nil || replay {
		t.Fatalf("a new server's first report: replay %v, %v; want it stored alone while the groups are held", replay, err)
	}
	changed := sameReport("n2", "a", 1)
	changed.Server.URL = "http://a.corp.example:8530"
	if _, replay, err := s.SaveReport(ctx, changed, ""); err != nil || replay {
		t.Fatalf("a report with other inputs: replay %v, %v; want it stored alone", replay, err)
	}
	again := sameReport("n3", "a", 2)
	again.Server.URL = changed.Server.URL
	done := make(chan error, 1)
	go func() {
		_, _, err := s.SaveReport(ctx, again, "")
		done <- err
	}()
	storetest.WaitFor(t, "the repeating report queued for a group", time.Minute, func() bool { return store.QueuedWrites(s) == 1 })
	release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n, err := store.InputsRepeats(ctx, s, "a"); err != nil || n != 1 {
		t.Errorf("inputs_repeats %d (%v), want 1: the third report repeats the second", n, err)
	}
}

// A group hands its committer's turn on before its COMMIT: while one
// group's COMMIT waits, the next group forms, runs and commits. A deferred
// trigger holds the COMMIT of the document "hold" until the test opens a
// gate; reaching it bumps a sequence, which other transactions see at once.
func TestGroupCommitDoesNotHoldUpTheNext(t *testing.T) {
	s := storetest.OpenPostgres(t, store.Options{})
	ctx := context.Background()
	db := store.SQLDB(s)
	for _, q := range []string{
		`CREATE TABLE commit_gate (opened boolean)`,
		`CREATE SEQUENCE commit_waits`,
		`CREATE FUNCTION wait_at_gate() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			PERFORM nextval('commit_waits');
			WHILE NOT EXISTS (SELECT 1 FROM commit_gate) LOOP
				PERFORM pg_sleep(0.01);
			END LOOP;
			RETURN NULL;
		END $$`,
		`CREATE CONSTRAINT TRIGGER hold_commit AFTER INSERT ON reports DEFERRABLE INITIALLY DEFERRED
			FOR EACH ROW WHEN (NEW.id = 'hold') EXECUTE FUNCTION wait_at_gate()`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	open := sync.OnceFunc(func() {
		if _, err := db.ExecContext(ctx, `INSERT INTO commit_gate VALUES (true)`); err != nil {
			t.Error(err)
		}
	})
	t.Cleanup(open) // before the store closes: it waits for the held group
	store.GroupEveryWrite(s)

	held := make(chan error, 1)
	go func() {
		_, _, err := s.SaveReport(ctx, sameReport("hold", "a", 0), "")
		held <- err
	}()
	storetest.WaitFor(t, "the first group's COMMIT at the gate", time.Minute, func() bool {
		var called bool
		err := db.QueryRowContext(ctx, `SELECT is_called FROM commit_waits`).Scan(&called)
		return err == nil && called
	})
	next := make(chan error, 1)
	go func() {
		_, _, err := s.SaveReport(ctx, sameReport("next", "b", 0), "")
		next <- err
	}()
	select {
	case err := <-next:
		if err != nil {
			t.Fatal(err)
		}
	case err := <-held:
		t.Fatalf("the held COMMIT ended (%v) before the gate opened", err)
	case <-time.After(time.Minute):
		t.Fatal("the next group's report was not stored while the first group's COMMIT waited")
	}
	select {
	case err := <-held:
		t.Fatalf("the held COMMIT ended (%v) before the gate opened", err)
	default:
	}
	open()
	if err := <-held; err != nil {
		t.Fatal(err)
	}
}

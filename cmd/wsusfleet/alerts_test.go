package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/notify"
	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/store/storetest"
)

// hookReceiver is a webhook receiver on loopback: it checks each body's
// signature and answers 500 while failing is set.
type hookReceiver struct {
	*httptest.Server
	mu      sync.Mutex
	bodies  []probes.Notification
	answers []int
	failing bool
	badSig  int
}

func newHookReceiver(t *testing.T, secret string) *hookReceiver {
	h := &hookReceiver{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var n probes.Notification
		json.Unmarshal(raw, &n)
		h.mu.Lock()
		defer h.mu.Unlock()
		if r.Header.Get(notify.SignatureHeader) != notify.Sign(secret, raw) {
			h.badSig++
		}
		status := http.StatusOK
		if h.failing {
			status = http.StatusInternalServerError
		}
		h.bodies, h.answers = append(h.bodies, n), append(h.answers, status)
		w.WriteHeader(status)
	}))
	t.Cleanup(h.Close)
	return h
}

// delivered lists the notifications the receiver accepted (answered 200).
func (h *hookReceiver) delivered() []probes.Notification {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []probes.Notification
	for i, n := range h.bodies {
		if h.answers[i] == http.StatusOK {
			out = append(out, n)
		}
	}
	return out
}

func (h *hookReceiver) attempts() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.bodies)
}

func doJSON(t testing.TB, method, url, token string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, out
}

// judged posts a report and reads the server back, which settles: one
// judgement per call.
func judged(t testing.TB, base, token string, r *probes.Report) {
	t.Helper()
	r.CollectedAt = probes.TimeOf(time.Now())
	if status, body := doJSON(t, http.MethodPost, base+"/api/v1/reports", token, r); status != http.StatusCreated {
		t.Fatalf("post report %s: %d %s", r.ID, status, body)
	}
	if status, body := doJSON(t, http.MethodGet, base+"/api/v1/servers/"+r.Server.Name, token, nil); status != http.StatusOK {
		t.Fatalf("read %s: %d %s", r.Server.Name, status, body)
	}
}

func createHook(t testing.TB, base, token, url, secret string) {
	t.Helper()
	status, body := doJSON(t, http.MethodPost, base+"/api/v1/notifiers", token, map[string]string{"name": "ops", "kind": "webhook", "url": url, "secret": secret})
	var created map[string]any
	json.Unmarshal(body, &created)
	if status != http.StatusCreated || len(created) != 1 || created["id"] == nil {
		t.Fatalf("create notifier: %d %s; want 201 {\"id\": …}", status, body)
	}
}

func deliveryHistory(t testing.TB, base, token string) []probes.Delivery {
	t.Helper()
	var list struct{ Deliveries []probes.Delivery }
	status, body := doJSON(t, http.MethodGet, base+"/api/v1/alerts", token, nil)
	if status != http.StatusOK || json.Unmarshal(body, &list) != nil {
		t.Fatalf("GET /api/v1/alerts: %d %s", status, body)
	}
	return list.Deliveries
}

const (
	westPrimary = "wsus-west.corp.example"
	westReplica = "wsus-west-replica.corp.example"
)

// TestAlertScenario: the pool stops on a server with a replica and 3,000
// clients → exactly one notification (the stopped pool, naming what it
// explains); the pool starts again → one resolution.
func TestAlertScenario(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end")
	}
	db := "sqlite:" + filepath.Join(t.TempDir(), "alerts.db")
	admin := lastLine(runCmd(t, "token", "create", "--name", "ops", "--scope", "admin", "--db", db))
	srv := startRun(t, "listening on ", "serve", "--db", db, "--addr", "127.0.0.1:0", "--log-level", "warn", "--public-url", "https://wsusfleet.corp.example")
	hook := newHookReceiver(t, "s3cret")
	createHook(t, srv.url, admin, hook.URL+"/hook", "s3cret")

	now := time.Now()
	clients := storetest.Clients(3000, now, func(i int) time.Duration { return time.Duration(8+i%20) * 24 * time.Hour })
	judged(t, srv.url, admin, storetest.PoolStoppedReport("p1", westPrimary, now, true, clients))
	storetest.WaitFor(t, "the clients classified stale", 30*time.Second, func() bool {
		var st probes.ServerState
		_, body := doJSON(t, http.MethodGet, srv.url+"/api/v1/servers/"+westPrimary, admin, nil)
		return json.Unmarshal(body, &st) == nil && st.Gaps[probes.GapStaleReport] == 3000
	})
	judged(t, srv.url, admin, storetest.ReplicaReport("r1", westReplica, westPrimary, now, true))
	judged(t, srv.url, admin, storetest.PoolStoppedReport("p2", westPrimary, now, true, nil))
	judged(t, srv.url, admin, storetest.ReplicaReport("r2", westReplica, westPrimary, now, true))
	judged(t, srv.url, admin, storetest.ReplicaReport("r3", westReplica, westPrimary, now, true))
	storetest.WaitFor(t, "the firing notification", 30*time.Second, func() bool { return len(hook.delivered()) >= 1 })
	judged(t, srv.url, admin, storetest.PoolStoppedReport("p3", westPrimary, now, true, nil))
	judged(t, srv.url, admin, storetest.ReplicaReport("r4", westReplica, westPrimary, now, true))

	// The pool starts again.
	judged(t, srv.url, admin, storetest.PoolStoppedReport("p4", westPrimary, now, false, nil))
	judged(t, srv.url, admin, storetest.PoolStoppedReport("p5", westPrimary, now, false, nil))
	storetest.WaitFor(t, "the resolution", 30*time.Second, func() bool { return len(hook.delivered()) >= 2 })
	judged(t, srv.url, admin, storetest.ReplicaReport("r5", westReplica, westPrimary, now, true))
	judged(t, srv.url, admin, storetest.ReplicaReport("r6", westReplica, westPrimary, now, false))
	judged(t, srv.url, admin, storetest.PoolStoppedReport("p6", westPrimary, now, false, nil))
	storetest.WaitFor(t, "an empty outbox", 30*time.Second, func() bool {
		for _, d := range deliveryHistory(t, srv.url, admin) {
			if d.State != probes.DeliverySent {
				return false
			}
		}
		return true
	})

	got := hook.delivered()
	if len(got) != 2 || hook.attempts() != 2 || hook.badSig != 0 {
		t.Fatalf("want exactly 2 signed notifications (firing, resolved), got %d of %d attempts, %d bad signatures: %+v", len(got), hook.attempts(), hook.badSig, got)
	}
	fired, resolved := got[0], got[1]
	if fired.Event != probes.EventFiring || fired.Server != westPrimary || fired.Rule != "wsuspool_stopped" || fired.Severity != probes.SeverityCritical ||
		fired.URL != "https://wsusfleet.corp.example/servers/"+westPrimary || fired.Fix.Text == "" || len(fired.Evidence) == 0 {
		t.Errorf("firing: %+v", fired)
	}
	if !strings.Contains(fired.Explains.Summary, "3,000 stale clients") || fired.Explains.Clients[probes.GapStaleReport] != 3000 {
		t.Errorf("the firing names the clients it explains: %+v", fired.Explains)
	}
	if resolved.Event != probes.EventResolved || resolved.Alert != fired.Alert || resolved.Rule != "wsuspool_stopped" ||
		!strings.Contains(resolved.Explains.Summary, "3,000 stale clients, sync of "+westReplica) {
		t.Errorf("resolved: %+v", resolved)
	}
}

// TestNotificationSurvivesKill9: the state change is committed, the receiver
// is down (answers 500), the process is killed; after a restart the
// notification is delivered, once.
func TestNotificationSurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the real server twice")
	}
	dbs := map[string]string{"sqlite": "sqlite:" + filepath.Join(t.TempDir(), "outbox.db")}
	if storetest.PostgresURL(t) != "" {
		dbs["postgres"] = storetest.PostgresSchemaURL(t)
	}
	for name, db := range dbs {
		t.Run(name, func(t *testing.T) { outboxKill(t, db) })
	}
}

func outboxKill(t *testing.T, db string) {
	admin := lastLine(runCmd(t, "token", "create", "--name", "ops", "--scope", "admin", "--db", db))
	hook := newHookReceiver(t, "k")
	hook.failing = true
	srv := startChild(t, "serve", "--db", db, "--addr", "127.0.0.1:0")
	createHook(t, srv.url, admin, hook.URL, "k")
	if status, body := doJSON(t, http.MethodPut, srv.url+"/api/v1/alerts/settings", admin, map[string]any{"retry_after": "1s"}); status != http.StatusOK {
		t.Fatalf("settings: %d %s", status, body)
	}
	now := time.Now()
	judged(t, srv.url, admin, storetest.PoolStoppedReport("k1", westPrimary, now, true, nil))
	judged(t, srv.url, admin, storetest.PoolStoppedReport("k2", westPrimary, now, true, nil))
	storetest.WaitFor(t, "a failed attempt recorded", 30*time.Second, func() bool {
		h := deliveryHistory(t, srv.url, admin)
		return len(h) == 1 && h[0].State == probes.DeliveryPending && h[0].Attempts >= 1 && strings.Contains(h[0].Answer, "500")
	})
	if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	srv.cmd.Wait()
	hook.mu.Lock()
	hook.failing = false
	hook.mu.Unlock()

	again := startChild(t, "serve", "--db", db, "--addr", "127.0.0.1:0")
	storetest.WaitFor(t, "delivery after the restart", 60*time.Second, func() bool {
		h := deliveryHistory(t, again.url, admin)
		return len(h) == 1 && h[0].State == probes.DeliverySent
	})
	got := hook.delivered()
	if len(got) != 1 || got[0].Rule != "wsuspool_stopped" {
		t.Fatalf("want the notification delivered exactly once after the restart: %+v", got)
	}
	hook.mu.Lock()
	defer hook.mu.Unlock()
	for _, n := range hook.bodies {
		if n.ID != got[0].ID {
			t.Errorf("every attempt carries the same event id: %s and %s", n.ID, got[0].ID)
		}
	}
}

// TestTwoInstancesDeliverOnce: two serve instances on one PostgreSQL judge
// and deliver; each notification reaches the receiver once.
func TestTwoInstancesDeliverOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end")
	}
	db := storetestPostgres(t)
	admin := lastLine(runCmd(t, "token", "create", "--name", "ops", "--scope", "admin", "--db", db))
	a := startRun(t, "listening on ", "serve", "--db", db, "--addr", "127.0.0.1:0", "--log-level", "warn")
	b := startRun(t, "listening on ", "serve", "--db", db, "--addr", "127.0.0.1:0", "--log-level", "warn")
	hook := newHookReceiver(t, "two")
	createHook(t, a.url, admin, hook.URL, "two")
	const servers = 12
	var wg sync.WaitGroup
	for i := range servers {
		wg.Go(func() {
			name := fmt.Sprintf("wsus%02d.corp.example", i)
			for j, base := range []string{a.url, b.url, a.url} {
				judged(t, base, admin, storetest.PoolStoppedReport(fmt.Sprintf("%s-%d", name, j), name, time.Now(), true, nil))
			}
		})
	}
	wg.Wait()
	storetest.WaitFor(t, "every notification sent", 60*time.Second, func() bool {
		h := deliveryHistory(t, b.url, admin)
		if len(h) != servers {
			return false
		}
		for _, d := range h {
			if d.State != probes.DeliverySent {
				return false
			}
		}
		return true
	})
	seen := map[string]int{}
	for _, n := range hook.delivered() {
		seen[n.ID]++
		if seen[n.ID] > 1 {
			t.Errorf("notification %s (%s) delivered twice", n.ID, n.Server)
		}
	}
	if len(seen) != servers || hook.attempts() != servers {
		t.Errorf("want %d notifications in %d attempts, got %d in %d", servers, servers, len(seen), hook.attempts())
	}
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/store/storetest"
)

// TestAcknowledgedReportsSurviveKill9: every report answered 201/200 is
// stored, even when the server is killed with SIGKILL under concurrent load.
func TestAcknowledgedReportsSurviveKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the real server twice")
	}
	dbs := map[string]func(t *testing.T) string{
		"sqlite":   func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "durable.db") },
		"postgres": func(t *testing.T) string { return storetest.PostgresSchemaURL(t) }, // skips without PostgreSQL
	}
	for name, db := range dbs {
		t.Run(name, func(t *testing.T) { killNine(t, db(t)) })
	}
}

// wantAcked reports acknowledged before the kill: enough that writes are in
// flight in every writer, few enough to reach on a loaded 2-core machine.
const wantAcked = 400

func killNine(t *testing.T, db string) {
	token := lastLine(runCmd(t, "token", "create", "--name", "load", "--scope", "ingest", "--db", db))
	srv := startChild(t, "serve", "--db", db, "--addr", "127.0.0.1:0")
	now := time.Now().UTC()
	// Each writer posts for its own server (of 8), so the writes spread over
	// several servers' rows instead of queueing on one.
	body := func(w int, id string) []byte {
		r := storetest.Report(id, fmt.Sprintf("wsus%02d.corp.example", w%8), now)
		b, _ := json.Marshal(r)
		return b
	}
	type ack struct {
		writer int
		id     string
	}

	var mu sync.Mutex
	var acked []ack
	enough := make(chan struct{})
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var wg sync.WaitGroup
	for w := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				id := fmt.Sprintf("w%02d-%06d", w, i)
				status, err := postJSON(ctx, srv.url+"/api/v1/reports", token, body(w, id))
				if err != nil {
					return // the server is gone
				}
				if status == 201 || status == 200 {
					mu.Lock()
					if acked = append(acked, ack{w, id}); len(acked) == wantAcked {
						close(enough)
					}
					mu.Unlock()
				}
			}
		}()
	}
	// Kill while the load runs, once enough reports were acknowledged: on a
	// loaded machine that may take long, so wait on the count, not the clock.
	select {
	case <-enough:
	case <-time.After(2 * time.Minute):
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		t.Fatalf("only %d of %d reports acknowledged within 2 minutes", n, wantAcked)
	}
	if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	srv.cmd.Wait()
	stop()
	wg.Wait()

	again := startChild(t, "serve", "--db", db, "--addr", "127.0.0.1:0")
	lost := 0
	for _, a := range acked {
		status, err := postJSON(context.Background(), again.url+"/api/v1/reports", token, body(a.writer, a.id))
		if err != nil {
			t.Fatal(err)
		}
		if status != 200 { // 200 = a replay of a stored document; 201 = it was lost
			lost++
		}
	}
	if lost > 0 {
		t.Fatalf("%d of %d acknowledged reports were lost after kill -9", lost, len(acked))
	}
	t.Logf("%d acknowledged reports, all present after kill -9 and restart", len(acked))
}

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
	dbs := map[string]string{"sqlite": "sqlite:" + filepath.Join(t.TempDir(), "durable.db")}
	if storetest.PostgresURL(t) != "" {
		dbs["postgres"] = storetest.PostgresSchemaURL(t)
	}
	for name, db := range dbs {
		t.Run(name, func(t *testing.T) { killNine(t, db) })
	}
}

func killNine(t *testing.T, db string) {
	token := lastLine(runCmd(t, "token", "create", "--name", "load", "--scope", "ingest", "--db", db))
	srv := startChild(t, "serve", "--db", db, "--addr", "127.0.0.1:0")
	now := time.Now().UTC()
	body := func(id string) []byte {
		r := storetest.Report(id, fmt.Sprintf("wsus%02d.corp.example", len(id)%7), now)
		b, _ := json.Marshal(r)
		return b
	}

	var mu sync.Mutex
	var acked []string
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				id := fmt.Sprintf("w%02d-%06d", w, i)
				status, err := postJSON(ctx, srv.url+"/api/v1/reports", token, body(id))
				if err != nil {
					return // the server is gone
				}
				if status == 201 || status == 200 {
					mu.Lock()
					acked = append(acked, id)
					mu.Unlock()
				}
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	srv.cmd.Wait()
	stop()
	wg.Wait()
	if len(acked) < 100 {
		t.Fatalf("only %d reports acknowledged before the kill; the load did not run", len(acked))
	}

	again := startChild(t, "serve", "--db", db, "--addr", "127.0.0.1:0")
	lost := 0
	for _, id := range acked {
		status, err := postJSON(context.Background(), again.url+"/api/v1/reports", token, body(id))
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

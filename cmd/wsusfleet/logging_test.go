package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// stalled is a stderr that takes nothing until released.
type stalled struct {
	released chan struct{}
	mu       sync.Mutex
	b        bytes.Buffer
}

func (s *stalled) Write(p []byte) (int, error) {
	<-s.released
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *stalled) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serve's log is written from a goroutine of its own (logsink): requests
// are answered while stderr takes nothing (written in the request, the
// first access-log line would hold it up for good), and by the time serve
// returns every line it logged is on stderr.
func TestServeWritesOutItsLogOnStop(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db := "sqlite:" + filepath.Join(t.TempDir(), "w.db")
	pr, pw := io.Pipe()
	stderr := &stalled{released: make(chan struct{})}
	done := make(chan error, 1)
	var atReturn string // stderr as run returned
	go func() {
		err := run(ctx, []string{"serve", "--db", db, "--addr", "127.0.0.1:0"}, func(string) string { return "" }, pw, stderr)
		atReturn = stderr.String()
		pw.Close()
		done <- err
	}()
	url := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if _, rest, ok := strings.Cut(sc.Text(), "listening on "); ok {
				u, _, _ := strings.Cut(rest, " ")
				url <- u
			}
		}
	}()
	var base string
	select {
	case base = <-url:
	case err := <-done:
		close(stderr.released)
		t.Fatalf("serve: %v\n%s", err, stderr.String())
	case <-time.After(time.Minute):
		close(stderr.released)
		t.Fatal("serve did not start within a minute")
	}
	const requests = 50
	client := &http.Client{Timeout: 30 * time.Second}
	for range requests {
		res, err := client.Get(base + "/api/v1/servers")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	cancel()
	close(stderr.released)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve ended with %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop within 30 s")
	}
	if n := strings.Count(atReturn, "path=/api/v1/servers"); n != requests {
		t.Fatalf("as serve returned, stderr held %d access-log lines of the %d requests:\n%s", n, requests, atReturn)
	}
}

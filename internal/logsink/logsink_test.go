package logsink

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
)

// gate is a destination whose writes wait until it is opened, recording
// each write's bytes.
type gate struct {
	open   chan struct{}
	mu     sync.Mutex
	writes []string
}

func newGate() *gate { return &gate{open: make(chan struct{})} }

func (g *gate) Write(p []byte) (int, error) {
	<-g.open
	g.mu.Lock()
	defer g.mu.Unlock()
	g.writes = append(g.writes, string(p))
	return len(p), nil
}

func (g *gate) got() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.writes...)
}

// A logger does not wait for a destination that stalls, until the lines
// waiting reach the limit; then it waits for room, and nothing is dropped
// or reordered.
func TestWriteWaitsOnlyWhenFull(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGate()
		gathered := make(chan struct{})
		w := newWriter(g, 8, func() { <-gathered })
		w.Write([]byte("a\n"))
		close(gathered) // no pausing from here on
		synctest.Wait() // the goroutine took "a" and waits on the destination

		// Room for 8 bytes: these return while the destination stalls.
		w.Write([]byte("bbb\n"))
		w.Write([]byte("ccc\n"))

		var full sync.WaitGroup
		returned := false
		full.Go(func() {
			w.Write([]byte("d\n"))
			returned = true
		})
		synctest.Wait()
		if returned {
			t.Fatal("a write past the limit returned while the destination stalled")
		}

		close(g.open)
		full.Wait()
		w.Close()
		want := []string{"a\n", "bbb\nccc\n", "d\n"}
		if got := g.got(); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("the destination got %q, want %q", got, want)
		}
	})
}

// The goroutine writes the lines of a moment in one call, a moment after
// the first: not a call a line (see the package comment).
func TestLinesGatherIntoOneWrite(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGate()
		close(g.open)
		gathered := make(chan struct{})
		endPause := sync.OnceFunc(func() { close(gathered) })
		w := newWriter(g, 0, func() { <-gathered })
		defer w.Close()
		defer endPause() // runs first: a failed test still ends
		for _, line := range []string{"a\n", "b\n", "c\n"} {
			w.Write([]byte(line))
			synctest.Wait() // the goroutine ran as far as it does now
		}
		if got := g.got(); len(got) != 0 {
			t.Fatalf("lines written before the gathering ended: %q", got)
		}
		endPause()
		synctest.Wait()
		if got := g.got(); strings.Join(got, "|") != "a\nb\nc\n" {
			t.Fatalf("the destination got %q, want the three lines in one write", got)
		}
	})
}

// With half the limit waiting, the goroutine writes at once: loggers would
// soon wait for room, and a pause would hold them up.
func TestNoGatheringWhenNearlyFull(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGate()
		close(g.open)
		gathered := make(chan struct{}) // a pause would never end on its own
		w := newWriter(g, 8, func() { <-gathered })
		defer w.Close()
		defer close(gathered) // runs first: a failed test still ends
		w.Write([]byte("aaa\n"))
		synctest.Wait()
		if got := g.got(); strings.Join(got, "|") != "aaa\n" {
			t.Fatalf("the destination got %q, want the line written at once", got)
		}
	})
}

// Close returns once everything written is at the destination; a line
// written after Close goes there at once.
func TestCloseWritesOut(t *testing.T) {
	var dst bytes.Buffer
	var mu sync.Mutex
	w := New(lockedWriter{&mu, &dst}, 0)
	for i := range 1000 {
		fmt.Fprintf(w, "line %d\n", i)
	}
	w.Close()
	mu.Lock()
	n := strings.Count(dst.String(), "\n")
	mu.Unlock()
	if n != 1000 {
		t.Fatalf("after Close the destination holds %d lines, want 1000", n)
	}
	fmt.Fprintf(w, "late\n")
	mu.Lock()
	defer mu.Unlock()
	if !strings.HasSuffix(dst.String(), "line 999\nlate\n") {
		t.Fatalf("a line written after Close: the destination ends %q", dst.String()[max(0, dst.Len()-30):])
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// Lines from many goroutines arrive whole, each goroutine's in its order,
// and none is lost, with a limit small enough that writers wait for room.
func TestConcurrentLinesWholeAndOrdered(t *testing.T) {
	var dst bytes.Buffer
	var mu sync.Mutex
	w := New(lockedWriter{&mu, &dst}, 64)
	const writers, lines = 8, 500
	var wg sync.WaitGroup
	for g := range writers {
		wg.Go(func() {
			for i := range lines {
				fmt.Fprintf(w, "g%d %04d %s\n", g, i, strings.Repeat("x", g+1))
			}
		})
	}
	wg.Wait()
	w.Close()
	next := make([]int, writers)
	for _, line := range strings.Split(strings.TrimSuffix(dst.String(), "\n"), "\n") {
		var g, i int
		var pad string
		if _, err := fmt.Sscanf(line, "g%d %d %s", &g, &i, &pad); err != nil || g < 0 || g >= writers {
			t.Fatalf("line %q is not whole: %v", line, err)
		}
		if i != next[g] || len(pad) != g+1 {
			t.Fatalf("line %q: want writer %d's line %d", line, g, next[g])
		}
		next[g]++
	}
	for g, n := range next {
		if n != lines {
			t.Errorf("writer %d: %d lines arrived, want %d", g, n, lines)
		}
	}
}

package prober

import (
	"context"
	"sync"
	"testing"
)

// The limit is never exceeded, whatever mix of sizes asks for slots.
func TestConnLimitBound(t *testing.T) {
	const capacity = 7
	l := newConnLimit(capacity)
	var mu sync.Mutex
	inUse, peak := 0, 0
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			n := 1 + i%capacity
			if err := l.acquire(context.Background(), n); err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			inUse += n
			peak = max(peak, inUse)
			mu.Unlock()
			for range n {
				mu.Lock()
				inUse--
				mu.Unlock()
				l.release(1)
			}
		})
	}
	wg.Wait()
	if peak > capacity || inUse != 0 {
		t.Errorf("peak %d in use (capacity %d), %d left", peak, capacity, inUse)
	}
	if len(l.slots) != 0 {
		t.Errorf("%d slots never released", len(l.slots))
	}
}

// A waiter that gives up returns the slots it had already collected, and the
// next one in line can still be admitted.
func TestConnLimitCancel(t *testing.T) {
	l := newConnLimit(4)
	if err := l.acquire(context.Background(), 3); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error)
	go func() { errc <- l.acquire(ctx, 4) }() // collects 1, then waits
	cancel()
	if err := <-errc; err == nil {
		t.Fatal("acquire succeeded after cancel")
	}
	l.release(3)
	if err := l.acquire(context.Background(), 4); err != nil {
		t.Fatal(err)
	}
	if len(l.slots) != 4 {
		t.Errorf("%d slots held; want 4", len(l.slots))
	}
}

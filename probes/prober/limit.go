package prober

import "context"

// connLimit bounds the connections open at once across every server a Prober
// probes. A server is admitted with all the slots it can use at once, first
// come first served, so its time budget starts when it can actually run, no
// server starves, and a slow server holds only its own slots.
type connLimit struct {
	turn  chan struct{} // capacity 1: held while one server collects its slots
	slots chan struct{} // one token per connection that may be open
}

func newConnLimit(n int) *connLimit {
	return &connLimit{turn: make(chan struct{}, 1), slots: make(chan struct{}, n)}
}

// acquire waits for n slots (n ≤ capacity). Blocked channel senders are
// served in arrival order, which makes admission FIFO.
func (l *connLimit) acquire(ctx context.Context, n int) error {
	select {
	case l.turn <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-l.turn }()
	for i := range n {
		select {
		case l.slots <- struct{}{}:
		case <-ctx.Done():
			l.release(i)
			return ctx.Err()
		}
	}
	return nil
}

func (l *connLimit) release(n int) {
	for range n {
		<-l.slots
	}
}

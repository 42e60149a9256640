package store

import "testing"

// A PostgreSQL write beyond the turns waits until one is released; without
// turns (SQLite) nothing waits.
func TestWriteTurns(t *testing.T) {
	var none writeTurns
	none.take()()
	w := newWriteTurns(2)
	r1, r2 := w.take(), w.take()
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.take()()
	}()
	select {
	case <-done:
		t.Fatal("a third write took a turn while two held both")
	default:
	}
	r1()
	<-done // the waiting write takes the released turn (the test times out otherwise)
	r2()
	if n := len(w); n != 0 {
		t.Errorf("%d turns still taken after every write released its own", n)
	}
	if cap(newWriteTurns(0)) != 1 {
		t.Error("a pool too small for turns still lets one write through at a time")
	}
}

// Package logsink hands log records to a goroutine that writes them, so a
// request that logs never waits for the destination (a terminal, a pipe to
// journald or Docker, a file).
//
// Why: every request writes an access-log line. Written in the request, each
// line was a write system call made while holding the logger's lock, so a
// write that stalls (the file system's journal, a slow pipe reader) held up
// every request behind that lock (docs/PERFORMANCE.md, phase 11). Here a
// line is copied into a buffer, and the goroutine, woken by the first line,
// lets lines gather for a moment (gather) and writes them in one call.
// Woken for every line, it ran as soon as the request that logged gave up
// its core (Go runs a goroutine just woken next on that core) and wrote
// nearly every line in a call of its own, the requests waiting for the core
// queued behind it: at 37,000 cached reads a second, 0.8 write calls a line
// and a p99 of 22–27 ms, against 11–16 ms gathering (phase 24).
//
// Nothing is dropped: when the destination is slower than the loggers for
// long enough to fill the buffer, Write waits for room, as writing directly
// would have. Close writes out what is buffered; lines written after it go
// straight to the destination. What a crash (kill -9) can lose is the lines
// of the last few milliseconds; a panic's own message goes to the process's
// stderr directly and is never buffered.
package logsink

import (
	"io"
	"sync"
	"time"
)

// DefaultLimit is how many bytes may wait before Write waits for room:
// thousands of lines, a second of a busy dashboard's access log.
const DefaultLimit = 1 << 20

// gather is how long the goroutine lets lines gather after the first one
// before it writes them: a busy dashboard's requests log dozens meanwhile,
// and a person watching the log sees no delay.
const gather = 2 * time.Millisecond

// Writer is an io.Writer that writes to its destination from a goroutine
// of its own. It is safe for concurrent use; each Write's bytes stay whole
// and in order.
type Writer struct {
	dst   io.Writer
	limit int
	pause func() // lets lines gather (gather)

	mu      sync.Mutex
	more    sync.Cond // lines arrived, or Close was called
	room    sync.Cond // the writer goroutine took the buffer
	buf     []byte    // waiting to be written
	spare   []byte    // the buffer the last write emptied, for reuse
	closing bool
	stopped bool // the goroutine has exited: Write writes directly
	done    chan struct{}
}

// New starts a Writer to dst; limit (DefaultLimit when < 1) bounds the
// bytes waiting.
func New(dst io.Writer, limit int) *Writer {
	return newWriter(dst, limit, func() { time.Sleep(gather) })
}

// newWriter is New with the goroutine's pause given: tests end it when
// they choose.
func newWriter(dst io.Writer, limit int, pause func()) *Writer {
	if limit < 1 {
		limit = DefaultLimit
	}
	w := &Writer{dst: dst, limit: limit, pause: pause, done: make(chan struct{})}
	w.more.L, w.room.L = &w.mu, &w.mu
	go w.loop()
	return w
}

// Write queues p, waiting only while the buffer is full, and reports len(p)
// written: the destination's error comes later, to the goroutine, and a log
// line that cannot reach it has nowhere else to go (slog ignores the error
// anyway). After Close, p goes to the destination directly.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for !w.stopped && len(w.buf) > 0 && len(w.buf)+len(p) > w.limit {
		w.room.Wait()
	}
	if w.stopped {
		return w.dst.Write(p)
	}
	w.buf = append(w.buf, p...)
	w.more.Signal()
	return len(p), nil
}

// Close writes out everything buffered and stops the goroutine; later
// writes go to the destination directly. It returns once all is written.
func (w *Writer) Close() error {
	w.mu.Lock()
	w.closing = true
	w.more.Signal()
	w.mu.Unlock()
	<-w.done
	return nil
}

func (w *Writer) loop() {
	defer close(w.done)
	w.mu.Lock()
	defer w.mu.Unlock()
	for {
		for len(w.buf) == 0 && !w.closing {
			w.more.Wait()
		}
		if len(w.buf) == 0 { // closing, and all is written
			w.stopped = true
			w.room.Broadcast()
			return
		}
		if !w.closing && len(w.buf) < w.limit/2 { // loggers may soon wait for room: no gathering then
			w.mu.Unlock()
			w.pause()
			w.mu.Lock()
		}
		out := w.buf
		w.buf, w.spare = w.spare[:0], nil
		w.room.Broadcast()
		w.mu.Unlock()
		w.dst.Write(out)
		w.mu.Lock()
		if cap(out) <= 2*w.limit { // a burst's oversized buffer is not kept
			w.spare = out
		}
	}
}

package web

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"
)

// readBody reads a request body of at most limit bytes after decompression
// (Content-Encoding: gzip is accepted, so a gzip bomb meets the same limit).
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	body, err := bodyReader(w, r, limit)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	var b []byte
	if n := r.ContentLength; n > 0 && n <= limit && identityEncoded(r) {
		// Sized by Content-Length when it is known and allowed: a 30 MB
		// client list read by growing a buffer leaves several times that
		// behind. Read into it as make allocates it (memory fresh from the
		// OS is not cleared): bytes.Buffer.Grow clears all it adds, one
		// more pass over 30 MB before a byte is read.
		b = make([]byte, n, n+bytes.MinRead)
		m, err := 0, error(nil)
		for m < len(b) && err == nil {
			var k int
			k, err = body.Read(b[m:])
			m += k
		}
		if b = b[:m]; err != nil && err != io.EOF {
			return nil, bodyError(err)
		}
	}
	// On to the end (EOF): what is left, nothing when Content-Length was
	// right, fits in b's spare capacity.
	buf := bytes.NewBuffer(b)
	if _, err := buf.ReadFrom(body); err != nil {
		return nil, bodyError(err)
	}
	return buf.Bytes(), nil
}

func identityEncoded(r *http.Request) bool {
	enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding")))
	return enc == "" || enc == "identity"
}

// bodyReader returns the decompressed, size-limited request body. A gzip
// body that inflates past the ratio limit is stopped at once (a
// decompression bomb), and a body of unknown size is charged to the
// in-flight budget as it arrives.
func bodyReader(w http.ResponseWriter, r *http.Request, limit int64) (io.ReadCloser, error) {
	var body io.ReadCloser
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
		body = http.MaxBytesReader(w, r.Body, limit)
	case "gzip", "x-gzip":
		wire := &countingReader{r: r.Body}
		zr, err := gzip.NewReader(wire)
		if err != nil {
			return nil, errStatus(http.StatusBadRequest, "Content-Encoding is gzip but the body is not gzip data: %v", err)
		}
		inflated := &ratioReader{r: zr, wire: wire, ratio: maxGzipRatio(r)}
		body = http.MaxBytesReader(w, struct {
			io.Reader
			io.Closer
		}{inflated, r.Body}, limit)
	case "zstd":
		// wsusfleet upload sends zstd: it decodes at about three times
		// gunzip's speed. The same limits hold: the ratio as it streams, the
		// size after decompression, and a window no larger than zstdWindow
		// (a frame asking for more is refused, not allocated).
		wire := &countingReader{r: r.Body}
		zr, err := zstd.NewReader(wire, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(zstdWindow),
			zstd.WithDecoderMaxMemory(uint64(limit)), zstd.WithDecoderLowmem(true))
		if err != nil {
			return nil, fmt.Errorf("zstd decoder: %w", err)
		}
		inflated := &ratioReader{r: &zstdReader{d: zr, wire: wire}, wire: wire, ratio: maxGzipRatio(r), codec: "zstd"}
		body = http.MaxBytesReader(w, struct {
			io.Reader
			io.Closer
		}{inflated, closers{zr.IOReadCloser(), r.Body}}, limit)
	default:
		return nil, errStatus(http.StatusUnsupportedMediaType, "Content-Encoding %q is not supported; send the body plain, gzip or zstd", enc)
	}
	if c := chargeOf(r.Context()); c != nil && c.factor > 0 {
		body = &chargedReader{ReadCloser: body, c: c}
	}
	return body, nil
}

// bodyError classifies a failed body read: too large, too slow, no room,
// bad gzip, or cut off.
func bodyError(err error) error {
	var mbe *http.MaxBytesError
	var he *httpError
	switch {
	case errors.As(err, &mbe), errors.As(err, &he):
		return err
	case errors.Is(err, os.ErrDeadlineExceeded):
		return errStatus(http.StatusRequestTimeout, "the body arrived too slowly; send it again over a faster link")
	case errors.Is(err, gzip.ErrChecksum), errors.Is(err, gzip.ErrHeader), errors.Is(err, io.ErrUnexpectedEOF):
		return errStatus(http.StatusBadRequest, "the body is truncated or its gzip data is corrupt: %v", err)
	}
	return fmt.Errorf("read body: %w", err)
}

// countingReader counts the compressed bytes read off the wire, and keeps
// the wire's own error apart from the decompressor's.
type countingReader struct {
	r   io.Reader
	n   int64
	err error
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil && err != io.EOF {
		c.err = err
	}
	return n, err
}

// zstdWindow is the largest zstd window a body may ask the decoder for
// (the fast levels use 1–8 MiB).
const zstdWindow = 16 << 20

// zstdReader reports corrupt zstd data as the client's fault (400); the
// wire's own failures (a deadline, a reset) pass as they are.
type zstdReader struct {
	d    *zstd.Decoder
	wire *countingReader
}

func (z *zstdReader) Read(p []byte) (int, error) {
	n, err := z.d.Read(p)
	if err == nil || err == io.EOF {
		return n, err
	}
	if z.wire.err != nil {
		return n, z.wire.err
	}
	var he *httpError
	var mbe *http.MaxBytesError
	if errors.As(err, &he) || errors.As(err, &mbe) {
		return n, err
	}
	if errors.Is(err, zstd.ErrWindowSizeExceeded) || errors.Is(err, zstd.ErrDecoderSizeExceeded) {
		return n, &httpError{status: http.StatusRequestEntityTooLarge, detail: fmt.Sprintf("the zstd body needs more memory than allowed: %v", err)}
	}
	return n, errStatus(http.StatusBadRequest, "the body is truncated or its zstd data is corrupt: %v", err)
}

// closers closes each in turn.
type closers []io.Closer

func (c closers) Close() error {
	var errs []error
	for _, x := range c {
		errs = append(errs, x.Close())
	}
	return errors.Join(errs...)
}

// ratioFloor: below this much inflated data the ratio is not judged (a
// small, very regular file compresses far better than any real upload).
const ratioFloor = 4 << 20

// ratioReader stops a gzip body that inflates too far beyond its size on
// the wire: real IIS logs, CSVs and JSON compress 5–30 times; zeros
// compress 1,000 times. Judged as it streams, so a bomb is refused after a
// few MiB instead of being parsed to the size limit.
type ratioReader struct {
	r     io.Reader
	wire  *countingReader
	ratio int64
	n     int64
	codec string // for the message: "gzip" when empty
}

func (z *ratioReader) Read(p []byte) (int, error) {
	n, err := z.r.Read(p)
	z.n += int64(n)
	if z.n > ratioFloor && z.n > z.ratio*max(z.wire.n, 1) {
		return n, &httpError{status: http.StatusRequestEntityTooLarge,
			detail: fmt.Sprintf("the %s body inflates more than %d times its size: refused as a decompression bomb", cmp.Or(z.codec, "gzip"), z.ratio)}
	}
	return n, err
}

func maxGzipRatio(r *http.Request) int64 {
	if pb := pacedBodyOf(r); pb != nil {
		return pb.gzipRatio
	}
	return 200
}

// chargedReader charges the in-flight budget as the body arrives.
type chargedReader struct {
	io.ReadCloser
	c    *charge
	read int64
}

func (b *chargedReader) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.read += int64(n)
	for b.c.held < b.read*b.c.factor && b.c.held < b.c.limit {
		if !b.c.take(chargeChunk * b.c.factor) {
			return n, errBusy("the dashboard is holding as much request data as it may")
		}
	}
	return n, err
}

// pacedBody enforces a BodyPace on a request body with read deadlines on
// the connection: the deadline starts at Grace and moves forward as bytes
// arrive, by 1/MinRate seconds a byte. A client that stalls or trickles
// hits it; its read fails and it is answered 408. It also tells whether the
// body was read to its end (see fail: a refusal before that closes the
// connection instead of reading the rest).
type pacedBody struct {
	io.ReadCloser
	rc    *http.ResponseController
	mu    sync.Mutex
	start time.Time
	pace  BodyPace
	read  int64
	eof   bool
	err   error // the read error other than EOF, if any
	// abandoned: nobody wants the rest of the body (see abandon); the
	// deadline stays in the past.
	abandoned bool

	gzipRatio int64 // Limits.MaxGzipRatio, for bodyReader
}

func pacedBodyOf(r *http.Request) *pacedBody {
	pb, _ := r.Context().Value(keyBody).(*pacedBody)
	return pb
}

func (b *pacedBody) setPace(p BodyPace) {
	b.mu.Lock()
	b.pace = p
	if !b.eof {
		b.extend()
	}
	b.mu.Unlock()
}

// extend sets the deadline by which the next bytes must arrive: Grace
// after the start, plus 1/MinRate seconds for every byte that came already.
func (b *pacedBody) extend() {
	if b.abandoned {
		return
	}
	allowed := b.pace.Grace + time.Duration(float64(b.read)/float64(b.pace.MinRate)*float64(time.Second))
	b.rc.SetReadDeadline(b.start.Add(allowed)) // not supported by test recorders: no deadline there
}

func (b *pacedBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	b.extend()
	b.mu.Unlock()
	n, err := b.ReadCloser.Read(p)
	b.mu.Lock()
	b.read += int64(n)
	if err != nil && err != io.EOF && b.err == nil {
		b.err = err
	}
	if err == io.EOF && !b.eof {
		// The whole body is in: no deadline any more. Left in place, it
		// would fire on the server's own background read while the
		// handler is still working, and cancel the request.
		b.eof = true
		b.rc.SetReadDeadline(time.Time{})
	}
	b.mu.Unlock()
	return n, err
}

// abandon gives up on the rest of the body: a read waiting for the client
// fails at once, and so does every later one. The handler has its answer
// already (a refusal) and only waits for its read-ahead to stop.
func (b *pacedBody) abandon() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.eof {
		return
	}
	b.abandoned = true
	b.rc.SetReadDeadline(time.Now())
}

// failedRead returns the error that reading the body met, if err is (or
// wraps) it: the client's connection failed, not the server.
func failedRead(r *http.Request, err error) error {
	pb := pacedBodyOf(r)
	if pb == nil {
		return nil
	}
	pb.mu.Lock()
	defer pb.mu.Unlock()
	if pb.err != nil && errors.Is(err, pb.err) {
		return pb.err
	}
	return nil
}

func (b *pacedBody) done() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.eof
}

// paceBodies gives every request body the default pace (routes that take
// large bodies set theirs with body) and a deadline even if nobody reads
// it, so a connection that trickles a body nobody wants is dropped too.
func (a *app) paceBodies(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		pb := &pacedBody{ReadCloser: r.Body, rc: http.NewResponseController(w), start: time.Now(),
			pace: a.guard.limits.FormPace, gzipRatio: a.guard.limits.MaxGzipRatio}
		pb.extend()
		r = r.WithContext(context.WithValue(r.Context(), keyBody, pb))
		r.Body = pb
		next.ServeHTTP(w, r)
	})
}

// unreadBody reports whether the request has a body that was not read to
// its end: answering now and keeping the connection would mean reading the
// rest first.
func unreadBody(r *http.Request) bool {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return false
	}
	if pb := pacedBodyOf(r); pb != nil {
		return !pb.done()
	}
	return true
}

// aheadReader reads its source on a goroutine of its own, into a few large
// buffers, and hashes what it reads there. An evidence upload costs about
// as much to receive (the socket, zstd, SHA-256) as to parse: this way the
// two take a core each instead of one in turn. Its reader sees the bytes
// and the error of the source, in the same order and at the same place.
type aheadReader struct {
	src     io.Reader
	full    chan aheadChunk // read, in order
	free    chan []byte     // to read into
	stop    chan struct{}   // closed by Close
	done    chan struct{}   // closed when the goroutine has returned
	abandon func()          // makes a read that waits for the client fail at once
	cur     aheadChunk
	off     int
	closed  bool
}

type aheadChunk struct {
	b   []byte
	err error // after b
}

const (
	aheadChunkSize = 256 << 10
	aheadChunks    = 4
)

// readAhead starts reading src (and writing what it reads to h, when not
// nil). abandon, when not nil, is called by Close when the source was not
// read to its end, before it waits for the goroutine.
func readAhead(src io.Reader, h io.Writer, abandon func()) *aheadReader {
	a := &aheadReader{src: src, full: make(chan aheadChunk, aheadChunks), free: make(chan []byte, aheadChunks),
		stop: make(chan struct{}), done: make(chan struct{}), abandon: abandon}
	for range aheadChunks {
		a.free <- make([]byte, aheadChunkSize)
	}
	go a.run(h)
	return a
}

func (a *aheadReader) run(h io.Writer) {
	defer close(a.done)
	defer func() {
		// A panic here (a decompressor's bug on hostile input) would end
		// the process, not only the request, as it did in the handler's
		// goroutine: the reader gets it as an error instead.
		if p := recover(); p != nil {
			select {
			case a.full <- aheadChunk{err: fmt.Errorf("reading the body: panic: %v", p)}:
			case <-a.stop:
			}
		}
	}()
	for {
		var buf []byte
		select {
		case buf = <-a.free:
		case <-a.stop:
			return
		}
		// One read a chunk (a zstd block, what the socket had): waiting to
		// fill the buffer would keep a refusal waiting for a stalled client.
		n, err := 0, error(nil)
		for n == 0 && err == nil {
			n, err = a.src.Read(buf)
		}
		if n > 0 && h != nil {
			h.Write(buf[:n])
		}
		select {
		case a.full <- aheadChunk{b: buf[:n], err: err}:
		case <-a.stop:
			return
		}
		if err != nil {
			return
		}
	}
}

// next makes cur a chunk with unread bytes, or returns the source's error.
func (a *aheadReader) next() error {
	for a.off == len(a.cur.b) {
		if a.cur.err != nil {
			return a.cur.err
		}
		if cap(a.cur.b) > 0 {
			a.free <- a.cur.b[:cap(a.cur.b)] // never blocks: there are aheadChunks buffers in all
		}
		a.cur, a.off = <-a.full, 0
	}
	return nil
}

func (a *aheadReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if err := a.next(); err != nil {
		return 0, err
	}
	n := copy(p, a.cur.b[a.off:])
	a.off += n
	return n, nil
}

// WriteTo hands the chunks to w as they are (draining the rest of a body
// after its parser is done copies nothing).
func (a *aheadReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		if err := a.next(); err != nil {
			if err == io.EOF {
				err = nil
			}
			return total, err
		}
		n, err := w.Write(a.cur.b[a.off:])
		a.off += n
		total += int64(n)
		if err != nil {
			return total, err
		}
	}
}

// Close stops the reading and returns once the goroutine has: the source
// (a request's body) is not read after Close.
func (a *aheadReader) Close() {
	if a.closed {
		return
	}
	a.closed = true
	close(a.stop)
	select {
	case <-a.done:
		return
	default:
	}
	if a.abandon != nil {
		a.abandon()
	}
	<-a.done
}

package probes

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"iter"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DecodeReport decodes and validates a server report. Its client list, which
// can hold a million targets, is read one item at a time: decoding it whole
// made the decoder copy the list and grow the slice in small steps, several
// times the list's size in memory. A document the streaming pass refuses is
// decoded again strictly, which names every problem.
func DecodeReport(data []byte, now time.Time) (*Report, error) {
	if len(data) <= streamAbove {
		return Decode[Report](data, now) // one pass: tokenising first costs more than it saves
	}
	notUTF8 := checkUTF8Beside(data)
	r, err := streamReport(data)
	if err := notUTF8(); err != nil {
		return nil, err
	}
	if err != nil {
		return Decode[Report](data, now)
	}
	if err := r.Validate(now); err != nil {
		return nil, err
	}
	return r, nil
}

// DecodeReportStreamed is DecodeReport for a caller that stores a large
// report's client items as they arrive: it returns as soon as everything but
// the items is decoded and validated, while one worker per CPU goes on
// decoding, validating and normalizing the items in chunks (ClientList.Arrived).
// A report with any problem, in the items or elsewhere, is refused as a
// whole: then ClientList.Wait says ErrItemsRefused and DecodeReport of the
// same body names every problem. A small report is decoded whole.
func DecodeReportStreamed(data []byte, now time.Time) (*Report, error) {
	if len(data) <= streamAbove {
		return DecodeReport(data, now)
	}
	notUTF8 := checkUTF8Beside(data)
	r, err := streamReportDeferred(data, now)
	if utf8Err := notUTF8(); utf8Err != nil {
		if err == nil && r.Clients != nil {
			r.Clients.pending.abort()
		}
		return nil, utf8Err
	}
	if err != nil {
		return Decode[Report](data, now)
	}
	if !r.Clients.Streamed() { // no items to stream: as DecodeReport
		if err := r.Validate(now); err != nil {
			return nil, err
		}
		return r, nil
	}
	// Everything but the items; a problem here gets the whole list of them.
	items := r.Clients.Items
	r.Clients.Items = nil
	err = r.Validate(now)
	r.Clients.Items = items
	if err != nil || len(items) > maxClientItems {
		r.Clients.pending.abort()
		return DecodeReport(data, now)
	}
	return r, nil
}

// checkUTF8Beside runs checkUTF8 on another goroutine, beside the
// decoding (a pass over 30 MB for a large client list); what the decoding
// made of a body that is not UTF-8 is thrown away.
func checkUTF8Beside(data []byte) (wait func() error) {
	done := make(chan error, 1)
	go func() { done <- checkUTF8(data) }()
	return func() error { return <-done }
}

// maxClientItems is ClientList.Items' max, which the items' own validation
// (done without the list) would not see.
const maxClientItems = 1000000

// ErrItemsRefused says a streamed client list was refused: its items, or
// the rest of the report, have a problem. Nothing of the report may be
// stored; DecodeReport of the same body names the problems.
var ErrItemsRefused = errors.New("the report's client items were refused")

// streamAbove is the body size from which the client list is streamed: a
// report this small (a few thousand clients at most) is decoded in one pass.
const streamAbove = 256 << 10

var errStream = errors.New("not a plain report document")

// streamReport decodes a report strictly, the client items one by one and
// everything else as one small document.
func streamReport(data []byte) (*Report, error) {
	return streamReportWith(&stream{}, data)
}

// streamReportDeferred is streamReport returning before the client items
// are decoded (DecodeReportStreamed).
func streamReportDeferred(data []byte, now time.Time) (*Report, error) {
	return streamReportWith(&stream{deferred: true, now: now}, data)
}

func streamReportWith(st *stream, data []byte) (*Report, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	st.dec, st.data = json.NewDecoder(bytes.NewReader(data)), data
	st.dec.DisallowUnknownFields()
	dec := st.dec
	ok := false
	defer func() {
		if !ok {
			st.pending.abort() // refused after the items started
		}
	}()
	if err := expectDelim(dec, '{'); err != nil {
		return nil, err
	}
	rest := []byte{'{'}
	var clients *ClientList
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		if strings.EqualFold(key, "clients") {
			if clients, err = streamClientList(st); err != nil {
				return nil, err
			}
			dec = st.dec // the items were read past it
			continue
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		if len(rest) > 1 {
			rest = append(rest, ',')
		}
		rest = append(strconv.AppendQuote(rest, key), ':')
		rest = append(rest, raw...)
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errStream // trailing data
	}
	var r Report
	if err := decodeStrict(append(rest, '}'), &r); err != nil {
		return nil, err
	}
	r.Clients = clients
	if st.pending != nil && (clients == nil || clients.pending != st.pending) {
		return nil, errStream // a second client list
	}
	ok = true
	return &r, nil
}

// streamClientList reads {"complete": ..., "items": [...]} or null.
func streamClientList(st *stream) (*ClientList, error) {
	tok, err := st.dec.Token()
	if err != nil || tok == nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errStream
	}
	cl := &ClientList{}
	for st.dec.More() {
		tok, err := st.dec.Token()
		if err != nil {
			return nil, err
		}
		switch key, _ := tok.(string); {
		case strings.EqualFold(key, "complete"):
			err = st.dec.Decode(&cl.Complete)
		case strings.EqualFold(key, "items"):
			if cl.Items, err = streamItems(st); st.pending != nil {
				cl.pending = st.pending
			}
		default:
			err = errStream // unknown field
		}
		if err != nil {
			return nil, err
		}
	}
	return cl, expectDelim(st.dec, '}')
}

// stream is the decoder of a report and the bytes it reads: the decoder
// reading them from data[shift:].
type stream struct {
	dec   *json.Decoder
	data  []byte
	shift int
	// deferred: the items are left to workers that go on after the
	// document is read (pending); now is what they are validated against.
	deferred bool
	now      time.Time
	pending  *itemStream
}

// streamItems reads an array of clients (or null). The decoder does not
// read the array: its items are found by their top-level commas, decoded
// strictly by one worker per CPU into a slice of exactly the right size, and
// the decoder is replaced by one that reads on after the array. Decoding was
// most of the request's own time for a 100,000-client report, and scanning
// the array with the decoder first cost as much as decoding it.
func streamItems(st *stream) ([]Client, error) {
	tok, err := st.dec.Token()
	if err != nil || tok == nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, errStream
	}
	start := st.shift + int(st.dec.InputOffset())
	if start > len(st.data) || st.data[start-1] != '[' {
		return nil, errStream
	}
	spans, end, ok := splitArray(st.data[start:])
	if !ok {
		return nil, errStream
	}
	// Read on as if inside the two objects the array was in (the report
	// and its client list), which a second "items" key cannot be.
	const resume = `{"_":{"_":null`
	after := start + end + 1
	st.dec = json.NewDecoder(io.MultiReader(strings.NewReader(resume), bytes.NewReader(st.data[after:])))
	st.dec.DisallowUnknownFields()
	st.shift = after - len(resume)
	for range 5 { // { "_" { "_" null
		if _, err := st.dec.Token(); err != nil {
			return nil, err
		}
	}
	items := make([]Client, len(spans))
	if st.deferred {
		if st.pending != nil {
			return nil, errStream // a second items array
		}
		st.pending = startItems(items, spans, st.now)
		return items, nil
	}
	workers := min(runtime.GOMAXPROCS(0), 1+len(spans)/itemsPerWorker)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*len(spans)/workers, (w+1)*len(spans)/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			var d clientDecoder
			for i := lo; i < hi; i++ {
				if (i-lo)%chunkItems == 0 { // a buffer a chunk: an item's string kept longer keeps no more
					d.reset(spanBytes(spans[i:min(i+chunkItems, hi)]))
				}
				if !d.decode(spans[i], &items[i]) {
					errs[w] = errStream
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return items, nil
}

// spanReader reads JSON values one after another, a space between them.
type spanReader struct {
	spans [][]byte
	cur   []byte
}

func (r *spanReader) Read(p []byte) (int, error) {
	for len(r.cur) == 0 {
		if len(r.spans) == 0 {
			return 0, io.EOF
		}
		r.cur, r.spans = r.spans[0], r.spans[1:]
		if len(p) == 0 {
			return 0, nil
		}
		p[0] = ' '
		return 1, nil
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}

// spanBytes is the size of the items' JSON, which their strings fit in.
func spanBytes(spans [][]byte) int {
	n := 0
	for _, b := range spans {
		n += len(b)
	}
	return n
}

// itemsPerWorker is how many items make another decoding goroutine worth it.
const itemsPerWorker = 2048

// spanLen is the length of a JSON value the decoder read: the value itself
// is then sliced out of the body, not copied.
type spanLen int

func (n *spanLen) UnmarshalJSON(b []byte) error {
	*n = spanLen(len(b))
	return nil
}

// splitArray splits the elements of the array whose '[' precedes b, and
// says where its ']' is. It only tracks strings and nesting: each element is
// then decoded strictly, which refuses what is not one JSON value.
func splitArray(b []byte) (spans [][]byte, end int, ok bool) {
	spans = make([][]byte, 0, bytes.Count(b, []byte("},"))+1)
	depth, start := 0, 0
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			// Most of a client list is strings: jump to their ends
			// (bytes.IndexByte) instead of looking at each byte.
			if i = stringEnd(b, i); i < 0 {
				return nil, 0, false
			}
		case c == '{' || c == '[':
			depth++
		case (c == '}' || c == ']') && depth > 0:
			depth--
		case c == ']':
			last := trimJSONSpace(b[start:i])
			if len(last) > 0 || len(spans) > 0 {
				spans = append(spans, last)
			}
			return spans, i, true
		case c == '}':
			return nil, 0, false
		case c == ',' && depth == 0:
			spans = append(spans, trimJSONSpace(b[start:i]))
			start = i + 1
		}
	}
	return nil, 0, false
}

// stringEnd returns the index of the quote that ends the string opened at
// b[open]: the first one after it not escaped, that is not preceded by an
// odd run of backslashes. -1 when the string does not end.
func stringEnd(b []byte, open int) int {
	for j := open + 1; ; j++ {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return -1
		}
		j += k
		n := 0
		for n < j-open-1 && b[j-1-n] == '\\' {
			n++
		}
		if n%2 == 0 {
			return j
		}
	}
}

func trimJSONSpace(b []byte) []byte { return bytes.Trim(b, " \t\r\n") }

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return errStream
	}
	return nil
}

// itemStream is a client list's items being decoded after its document
// was: chunks of items decoded, validated and normalized by one worker per
// CPU, then checked for duplicate keys in order.
type itemStream struct {
	items   []Client
	spans   [][]byte
	now     time.Time
	next    atomic.Int64 // the next chunk a worker takes
	stop    atomic.Bool  // refused: the workers stop (stopped is closed)
	stopped chan struct{}
	once    sync.Once
	decoded []chan struct{} // per chunk: its items are decoded and valid
	arrived []chan struct{} // per chunk: and none duplicates an earlier key
	done    chan struct{}   // every chunk arrived, or the list was refused (err)
	err     error
}

// chunkItems is how many items a worker decodes at a time: the first chunk
// reaches the writer after a few milliseconds, and each one is small enough
// for the load to follow the decoding closely.
const chunkItems = 4096

func startItems(items []Client, spans [][]byte, now time.Time) *itemStream {
	chunks := (len(items) + chunkItems - 1) / chunkItems
	s := &itemStream{items: items, spans: spans, now: now, decoded: make([]chan struct{}, chunks),
		arrived: make([]chan struct{}, chunks), done: make(chan struct{}), stopped: make(chan struct{})}
	for c := range chunks {
		s.decoded[c], s.arrived[c] = make(chan struct{}), make(chan struct{})
	}
	for range min(runtime.GOMAXPROCS(0), chunks) {
		go s.work()
	}
	go s.sequence()
	return s
}

// work decodes chunks until none is left or the list is refused.
func (s *itemStream) work() {
	for {
		c := int(s.next.Add(1) - 1)
		if c >= len(s.decoded) || s.stop.Load() {
			return
		}
		lo, hi := c*chunkItems, min((c+1)*chunkItems, len(s.items))
		if !s.decodeChunk(lo, hi) {
			s.abort()
			return
		}
		close(s.decoded[c])
	}
}

// decodeChunk decodes items [lo, hi) strictly, validates each as Validate
// would, and normalizes its name as Normalize would: false on any problem.
func (s *itemStream) decodeChunk(lo, hi int) bool {
	var d clientDecoder
	d.reset(spanBytes(s.spans[lo:hi]))
	var p problems
	ptr := &pointer{}
	for i := lo; i < hi; i++ {
		if !d.decode(s.spans[i], &s.items[i]) {
			return false
		}
		walkStruct(reflect.ValueOf(&s.items[i]), ptr, s.now, &p)
		if len(p.list) > 0 || p.dropped > 0 || s.stop.Load() {
			return false
		}
		s.items[i].Name = NormalizeName(s.items[i].Name)
	}
	return true
}

// sequence lets the chunks arrive in order, each once it is decoded and
// none of its keys is an earlier item's (Validate's duplicate check, which
// reads the names before Normalize; the key normalizes them anyway).
func (s *itemStream) sequence() {
	defer close(s.done)
	seen := make(map[string]struct{}, len(s.items))
	for c := range s.decoded {
		select {
		case <-s.decoded[c]:
		case <-s.stopped:
			s.err = ErrItemsRefused
			return
		}
		for i := c * chunkItems; i < min((c+1)*chunkItems, len(s.items)); i++ {
			k := s.items[i].Key()
			if _, dup := seen[k]; dup {
				s.abort()
				s.err = ErrItemsRefused
				return
			}
			seen[k] = struct{}{}
		}
		close(s.arrived[c])
	}
}

// abort refuses the list: the workers stop at their next item.
func (s *itemStream) abort() {
	if s == nil {
		return
	}
	s.once.Do(func() {
		s.stop.Store(true)
		close(s.stopped)
	})
}

// Arrived yields the list's items in order as ranges [lo, hi) of Items, each
// once it is decoded, validated and normalized: a list decoded whole is one
// range. It stops early when a streamed list is refused (Wait says so). It
// can be ranged over again (a retried transaction).
func (l *ClientList) Arrived() iter.Seq2[int, int] {
	return func(yield func(lo, hi int) bool) {
		s := l.pending
		if s == nil {
			if len(l.Items) > 0 {
				yield(0, len(l.Items))
			}
			return
		}
		for c := range s.arrived {
			select {
			case <-s.arrived[c]:
			case <-s.done:
				select {
				case <-s.arrived[c]:
				default:
					return // refused before this chunk
				}
			}
			if !yield(c*chunkItems, min((c+1)*chunkItems, len(s.items))) {
				return
			}
		}
	}
}

// Wait waits until every item of a streamed list has arrived and says
// whether the list was refused (ErrItemsRefused): then the report must not
// be stored. A list decoded whole never is.
func (l *ClientList) Wait() error {
	if l == nil || l.pending == nil {
		return nil
	}
	<-l.pending.done
	return l.pending.err
}

// Streamed says whether the list's items are still being decoded or were
// (DecodeReportStreamed): Items is not to be read but through Arrived.
func (l *ClientList) Streamed() bool { return l != nil && l.pending != nil }

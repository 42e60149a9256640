package probes

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"runtime"
	"strconv"
	"strings"
	"sync"
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
	if err := checkUTF8(data); err != nil {
		return nil, err
	}
	r, err := streamReport(data)
	if err != nil {
		return Decode[Report](data, now)
	}
	if err := r.Validate(now); err != nil {
		return nil, err
	}
	return r, nil
}

// streamAbove is the body size from which the client list is streamed: a
// report this small (a few thousand clients at most) is decoded in one pass.
const streamAbove = 256 << 10

var errStream = errors.New("not a plain report document")

// streamReport decodes a report strictly, the client items one by one and
// everything else as one small document.
func streamReport(data []byte) (*Report, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	st := &stream{dec: json.NewDecoder(bytes.NewReader(data)), data: data}
	st.dec.DisallowUnknownFields()
	dec := st.dec
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
			cl.Items, err = streamItems(st)
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
	workers := min(runtime.GOMAXPROCS(0), 1+len(spans)/itemsPerWorker)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*len(spans)/workers, (w+1)*len(spans)/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			// One decoder per worker reads its items as a stream of
			// values: a decoder per item allocated more than it decoded.
			d := json.NewDecoder(&spanReader{spans: spans[lo:hi]})
			d.DisallowUnknownFields()
			var read int64
			for i := lo; i < hi; i++ {
				if err := d.Decode(&items[i]); err != nil {
					errs[w] = err
					return
				}
				// Each element must be exactly one value.
				if read += 1 + int64(len(spans[i])); d.InputOffset() != read {
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
	depth, start, inString, escaped := 0, 0, false, false
	for i, c := range b {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
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

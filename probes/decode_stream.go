package probes

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
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
	dec := json.NewDecoder(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))))
	dec.DisallowUnknownFields()
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
			if clients, err = streamClientList(dec); err != nil {
				return nil, err
			}
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
func streamClientList(dec *json.Decoder) (*ClientList, error) {
	tok, err := dec.Token()
	if err != nil || tok == nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errStream
	}
	cl := &ClientList{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		switch key, _ := tok.(string); {
		case strings.EqualFold(key, "complete"):
			err = dec.Decode(&cl.Complete)
		case strings.EqualFold(key, "items"):
			cl.Items, err = streamItems(dec)
		default:
			err = errStream // unknown field
		}
		if err != nil {
			return nil, err
		}
	}
	return cl, expectDelim(dec, '}')
}

// streamItems reads an array of clients (or null), doubling the slice as it
// fills so it is copied a few times, not once per small growth step.
func streamItems(dec *json.Decoder) ([]Client, error) {
	tok, err := dec.Token()
	if err != nil || tok == nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, errStream
	}
	items := make([]Client, 0, 64)
	for dec.More() {
		if len(items) == cap(items) {
			items = append(make([]Client, 0, 2*cap(items)), items...)
		}
		items = items[:len(items)+1]
		if err := dec.Decode(&items[len(items)-1]); err != nil {
			return nil, err
		}
	}
	return items, expectDelim(dec, ']')
}

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

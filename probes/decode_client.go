package probes

import (
	"encoding/json"
	"strings"
)

// clientDecoder decodes the items of a client list of the shape collectors
// send (each field once, by its exact name; strings without escapes; times
// as such strings or null) into what encoding/json with
// DisallowUnknownFields makes of them, without reflection. encoding/json
// was most of a 100,000-client report's decoding: about 3 µs and 17
// allocations an item. Any item of another shape, valid or not, goes to
// encoding/json (strict), so what is accepted and how stays its decision.
// The items' strings are cut from one buffer per chunk of items.
type clientDecoder struct {
	strs   strings.Builder
	groups []string
	strict strictItems
}

// reset readies the decoder for items whose JSON takes at most size bytes.
func (d *clientDecoder) reset(size int) {
	d.strs = strings.Builder{}
	d.strs.Grow(size)
	d.groups = make([]string, 0, 64)
	d.strict = strictItems{}
}

// decode decodes one item (its bytes trimmed of white space) into c, which
// is zero: false when the item is not exactly one JSON value encoding/json
// would decode without error.
func (d *clientDecoder) decode(b []byte, c *Client) bool {
	if d.fast(b, c) {
		return true
	}
	*c = Client{}
	return d.strict.decode(b, c)
}

// Client's fields by JSON name, for the seen set of fast.
const (
	fieldID = iota
	fieldName
	fieldIP
	fieldOS
	fieldClientVersion
	fieldGroups
	fieldRequestedGroup
	fieldLastSync
	fieldLastSyncResult
	fieldLastReport
)

// fast decodes an item of the plain shape; false (c then partly written)
// for anything else.
func (d *clientDecoder) fast(b []byte, c *Client) bool {
	i := skipSpace(b, 0)
	if i == len(b) || b[i] != '{' {
		return false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return skipSpace(b, i+1) == len(b)
	}
	var seen uint16
	for {
		key, j, ok := plainString(b, i)
		if !ok {
			return false
		}
		if i = skipSpace(b, j); i == len(b) || b[i] != ':' {
			return false
		}
		i = skipSpace(b, i+1)
		var f int
		var s *string
		switch string(key) { // exact names only: encoding/json also takes them in any case
		case "id":
			f, s = fieldID, &c.ID
		case "name":
			f, s = fieldName, &c.Name
		case "ip":
			f, s = fieldIP, &c.IP
		case "os":
			f, s = fieldOS, &c.OS
		case "client_version":
			f, s = fieldClientVersion, &c.ClientVersion
		case "groups":
			f = fieldGroups
		case "requested_group":
			f, s = fieldRequestedGroup, &c.RequestedGroup
		case "last_sync":
			f = fieldLastSync
		case "last_sync_result":
			f, s = fieldLastSyncResult, &c.LastSyncResult
		case "last_report":
			f = fieldLastReport
		default:
			return false // unknown: encoding/json refuses it
		}
		if seen&(1<<f) != 0 {
			return false // a second time: encoding/json takes the last
		}
		seen |= 1 << f
		if isNull(b, i) {
			// Leaves a string as it is (empty), makes a slice nil and a
			// time zero (Time.UnmarshalJSON of null), as encoding/json does.
			i += len("null")
		} else {
			switch f {
			case fieldGroups:
				if i, ok = d.groupList(b, i, c); !ok {
					return false
				}
			case fieldLastSync, fieldLastReport:
				_, j, ok := plainString(b, i)
				if !ok {
					return false
				}
				t := &c.LastSync
				if f == fieldLastReport {
					t = &c.LastReport
				}
				t.UnmarshalJSON(b[i:j]) // as encoding/json calls it: the literal, quotes and all; it never fails
				i = j
			default:
				v, j, ok := plainString(b, i)
				if !ok {
					return false
				}
				*s, i = d.str(v), j
			}
		}
		i = skipSpace(b, i)
		if i == len(b) {
			return false
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return skipSpace(b, i+1) == len(b)
		default:
			return false
		}
	}
}

// groupList decodes an array of plain strings at b[i:].
func (d *clientDecoder) groupList(b []byte, i int, c *Client) (int, bool) {
	if i == len(b) || b[i] != '[' {
		return i, false
	}
	start := len(d.groups)
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		c.Groups = []string{} // not nil, as encoding/json leaves it
		return i + 1, true
	}
	for {
		v, j, ok := plainString(b, i)
		if !ok {
			return i, false
		}
		d.groups = append(d.groups, d.str(v))
		if i = skipSpace(b, j); i == len(b) {
			return i, false
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case ']':
			// Capped: appending to one item's groups never writes into the next's.
			c.Groups = d.groups[start:len(d.groups):len(d.groups)]
			return i + 1, true
		default:
			return i, false
		}
	}
}

// str copies v into the chunk's buffer and returns it as a string of its own.
func (d *clientDecoder) str(v []byte) string {
	if len(v) == 0 {
		return ""
	}
	n := d.strs.Len()
	d.strs.Write(v)
	return d.strs.String()[n:]
}

// plainString reads a JSON string at b[i:] that has no escapes and no
// control characters: its contents, and where it ends. Its bytes are
// taken as they are: a body that is not UTF-8 is refused whatever its
// items decode to.
func plainString(b []byte, i int) ([]byte, int, bool) {
	if i >= len(b) || b[i] != '"' {
		return nil, i, false
	}
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return b[i+1 : j], j + 1, true
		case c == '\\' || c < 0x20:
			return nil, i, false
		}
	}
	return nil, i, false
}

func isNull(b []byte, i int) bool { return len(b)-i >= 4 && string(b[i:i+4]) == "null" }

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// strictItems decodes items with encoding/json, one decoder for those of a
// chunk the fast path leaves to it: a decoder per item allocates more than
// it decodes.
type strictItems struct {
	r    spanReader
	d    *json.Decoder
	read int64
}

func (s *strictItems) decode(b []byte, c *Client) bool {
	if s.d == nil {
		s.d = json.NewDecoder(&s.r)
		s.d.DisallowUnknownFields()
	}
	s.r.spans = append(s.r.spans[:0], b)
	if err := s.d.Decode(c); err != nil {
		return false
	}
	// Each element must be exactly one value.
	s.read += 1 + int64(len(b))
	return s.d.InputOffset() == s.read
}

package probes

import (
	"bytes"
	"encoding/json"
	"time"
)

// Time is a timestamp in a report. The zero value means absent or, for fields
// tagged `never`, "never" (WSUS writes DateTime.MinValue, 0001-01-01, or SQL's
// 1753-01-01 for a computer that never reported).
//
// Decoding never fails: a malformed value is kept and reported by Validate with
// its JSON pointer, so one bad time does not hide the other problems.
type Time struct {
	time.Time
	raw      string // the text as received when it did not parse
	sentinel bool   // received a WSUS "never" value
}

// TimeOf wraps t (converted to UTC).
func TimeOf(t time.Time) Time {
	if t.IsZero() {
		return Time{}
	}
	return Time{Time: t.UTC()}
}

// Ptr returns the time or nil when zero, for nullable storage.
func (t Time) Ptr() *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

var neverPrefixes = []string{"0001-01-01", "1753-01-01"}

// UnmarshalJSON accepts null, an RFC 3339 string, or a WSUS never value.
func (t *Time) UnmarshalJSON(b []byte) error {
	*t = Time{}
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	var s string
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' && bytes.IndexByte(b, '\\') < 0 {
		s = string(b[1 : len(b)-1]) // a plain string, as times are: no unquoting to do
	} else if err := json.Unmarshal(b, &s); err != nil {
		t.raw = string(b)
		return nil
	}
	if s == "" {
		return nil
	}
	for _, p := range neverPrefixes {
		if len(s) >= len(p) && s[:len(p)] == p {
			t.sentinel = true
			return nil
		}
	}
	parsed, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.raw = s
		return nil
	}
	t.Time = parsed.UTC()
	return nil
}

// MarshalJSON writes RFC 3339 in UTC, or null when zero.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(t.UTC().Format(time.RFC3339Nano))
}

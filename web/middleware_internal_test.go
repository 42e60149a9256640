package web

import "testing"

// Request ids keep their form (16 hex digits, as validRequestID and the
// logs expect) and do not repeat.
func TestNewRequestID(t *testing.T) {
	seen := map[string]bool{}
	for range 10000 {
		id := newRequestID()
		if len(id) != 16 || !validRequestID.MatchString(id) {
			t.Fatalf("request id %q: want 16 hex digits", id)
		}
		for _, c := range id {
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				t.Fatalf("request id %q: want 16 hex digits", id)
			}
		}
		if seen[id] {
			t.Fatalf("request id %q given twice", id)
		}
		seen[id] = true
	}
}

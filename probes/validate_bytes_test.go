package probes

import (
	"strings"
	"testing"
	"unicode"
)

// The byte loops of validation (controlAt, isID) must find what a loop over
// decoded runes finds, on any input: multi-byte UTF-8, invalid UTF-8 and
// every ASCII byte included.
func FuzzValidationBytesAsRunes(f *testing.F) {
	for _, s := range []string{"", "WSUS01", "a\tb\nc\rd", "x\x00y", "del\x7f", "\xff\xfe\x00",
		"résumé", "名前\x01", "{3f2a9c1e-0000-4000-8000-0000000000aa}", "a b", "é\x1f", "\xc2\x85 \xe2\x80\xa8"} {
		f.Add(s)
	}
	for b := range 256 {
		f.Add(string([]byte{'a', byte(b), 'z'}))
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, text := range []bool{false, true} {
			want := strings.IndexFunc(s, func(r rune) bool { return badRune(r, text) })
			if got := controlAt(s, text); got != want {
				t.Errorf("controlAt(%q, %v) = %d, decoding runes finds %d", s, text, got, want)
			}
		}
		want := !strings.ContainsFunc(s, func(r rune) bool {
			return r >= 0x80 || !(unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("-_.:{}", r))
		})
		if got := isID(s); got != want {
			t.Errorf("isID(%q) = %v, decoding runes says %v", s, got, want)
		}
	})
}

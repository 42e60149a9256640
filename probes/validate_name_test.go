package probes

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckNameAcceptsRealFleets(t *testing.T) {
	for _, name := range []string{
		"wsus01.corp.example",
		"WKS-0042.CORP.EXAMPLE",  // upper case
		"wks-0042.corp.example.", // a trailing root dot
		"contoso",                // a NetBIOS-only name, as Get-WsusComputer lists workgroup machines
		"PC0042",                 // the collector's host
		"sql_srv01.corp.example", // underscores: Windows allows them, Microsoft DNS serves them
		"-lab-pc.corp.example",   // a NetBIOS name beginning with a hyphen
		"ab--cd.corp.example",    // hyphens in the 3rd and 4th place (IDNA's CheckHyphens would refuse)
		"12345",                  // all digits
		"müller-pc.corp.example", // a Unicode name (Windows registers UTF-8 names)
		"MÜLLER-PC.corp.example", // in upper case
		"xn--mller-pc-65a.corp.example",
		"東京-pc.corp.example",     // Han
		"とうきょう漢字カタカナ.example.jp", // Japanese: Han, Hiragana and Katakana
		"서울pc.corp.example",      // Hangul with Latin
		"пк-01.корп.рф",          // Cyrillic alone
		"pc01.пример.рф",         // Latin and Cyrillic in different labels
		"10.1.2.42",
		"fe80::1%3", "2001:db8::42", // IPv6, with a zone as IIS logs it
		strings.Repeat("a", 63) + ".example",
	} {
		if err := CheckName(name); err != nil {
			t.Errorf("%q refused: %v", name, err)
		}
	}
}

func TestCheckNameRefuses(t *testing.T) {
	for _, tc := range []struct{ name, says string }{
		{"../..", "must be a host name"},
		{"..", "must be a host name"},
		{"a..b", "empty label"},
		{".corp.example", "empty label"},
		{"<script>alert(1)</script>", "must be a host name"},
		{"javascript:alert(1)", "must be a host name"},
		{"http://wsus01:8530", "must be a host name"},
		{"wsus 01", "must be a host name"},
		{"wsus01/../x", "must be a host name"},
		{"pc\xfc.corp.example", "not valid UTF-8"},
		{"pc\u202e1gpj.exe", "bidirectional formatting character"},
		{"pc\u200f01", "bidirectional formatting character"},
		{"p\u0430ypal.example", "mixes Latin and Cyrillic"}, // a Cyrillic а among Latin letters
		{"wsus\u03bf1.corp.example", "mixes Latin and Greek"},
		{"pc\ufffd.corp.example", "internationalized host name"}, // what a lone surrogate escape decodes to
		{"a\uff0fb", "stands for '/'"},                           // a full-width solidus maps to '/'
		{"xn--zz.example", "internationalized host name"},        // broken punycode
		{"fe80::1%<b>", "must be a host name"},                   // an IPv6 zone holding markup
		{strings.Repeat("a", 64) + ".example", "label of more than 63 bytes"},
		{strings.Repeat("abcdefgh.", 29) + "ab", "at most 253"},
		{strings.Repeat("a", 60) + "üü.example", "label of more than 63"}, // over 63 bytes only as an A-label
	} {
		err := CheckName(tc.name)
		if err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%q: %v, want an error saying %q", tc.name, err, tc.says)
		}
	}
}

func TestNormalizeNameOneIdentity(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"WSUS01.Corp.Example.", "wsus01.corp.example"},
		{" wsus01 ", "wsus01"},
		{"MÜLLER-PC.corp.example", "müller-pc.corp.example"},
		{"xn--mller-pc-65a.CORP.example", "müller-pc.corp.example"},
		{"ＷＳＵＳ０１.corp.example", "wsus01.corp.example"}, // full-width
		{"mu\u0308ller-pc", "müller-pc"},               // decomposed ü: NFC
		{"sql_srv01", "sql_srv01"},
		{"FE80::1%3", "fe80::1%3"},
	} {
		got := NormalizeName(tc.in)
		if got != tc.want {
			t.Errorf("NormalizeName(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if again := NormalizeName(got); again != got {
			t.Errorf("NormalizeName is not idempotent on %q: %q", got, again)
		}
	}
}

// TestInvalidUTF8IsRefused: encoding/json turns each invalid byte into
// U+FFFD, so two different (Latin-1-encoded) names became one computer.
func TestInvalidUTF8IsRefused(t *testing.T) {
	for _, body := range []string{
		minimal(`"name":"wsus01"`, "\"name\":\"pc\xfc\""),
		minimal(`"name":"test"`, "\"name\":\"caf\xe9\""), // free text too: nothing is silently rewritten
		"\xff\xfe{\x00}\x00",
	} {
		for name, decode := range map[string]func([]byte) error{
			"report":        func(b []byte) error { _, err := DecodeReport(b, testNow); return err },
			"client report": func(b []byte) error { _, err := DecodeClientReport(b, testNow); return err },
			"inventory":     func(b []byte) error { _, err := DecodeInventory(b, testNow); return err },
		} {
			var ve *ValidationError
			err := decode([]byte(body))
			if !errors.As(err, &ve) || !ve.Syntax || !strings.Contains(err.Error(), "UTF") {
				t.Errorf("%s %q: %v, want a syntax error about UTF-8", name, body, err)
			}
		}
	}
	_, err := DecodeReport([]byte(minimal(`"name":"wsus01"`, "\"name\":\"pc\xfc\"")), testNow)
	if err == nil || !strings.Contains(err.Error(), "byte 0xFC at line 1, column 149") {
		t.Errorf("the error does not locate the byte: %v", err)
	}
}

// FuzzName: an accepted name's stored form is stable and accepted too, and
// two spellings that normalize alike are both accepted or both refused
// alike in their stored form.
func FuzzName(f *testing.F) {
	for _, s := range []string{"wsus01.corp.example", "CONTOSO", "müller-pc.corp.example", "xn--mller-pc-65a", "東京-pc", "fe80::1%3",
		"10.1.2.3", "sql_srv01.", "p\u0430ypal", "..", "ＷＳＵＳ０１", "mu\u0308ller", "a\uff0fb", "pc\u202e1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		norm := NormalizeName(s)
		if again := NormalizeName(norm); again != norm {
			t.Fatalf("NormalizeName(%q) = %q, then %q", s, norm, again)
		}
		if CheckName(s) != nil {
			return
		}
		if err := CheckName(norm); err != nil {
			t.Fatalf("%q is accepted but its stored form %q is not: %v", s, norm, err)
		}
	})
}

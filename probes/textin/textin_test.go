package textin

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/wsusfleet/wsusfleet/probes"
)

// UTF16LE encodes s as Windows PowerShell 5.1's ">" writes it: UTF-16LE
// with a byte-order mark.
func UTF16LE(s string, bom bool) []byte {
	var b []byte
	if bom {
		b = append(b, 0xff, 0xfe)
	}
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u), byte(u>>8))
	}
	return b
}

func utf16BE(s string) []byte {
	b := []byte{0xfe, 0xff}
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u>>8), byte(u))
	}
	return b
}

func lines(tb testing.TB, in []byte, o Options) ([]Line, *Reader) {
	tb.Helper()
	r, err := New(bytes.NewReader(in), o)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	var out []Line
	for r.Next() {
		out = append(out, r.Line())
	}
	if err := r.Err(); err != nil {
		tb.Fatalf("Next: %v", err)
	}
	return out, r
}

func texts(ls []Line) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.Text
	}
	return out
}

const regQuery = "HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate\r\n    WUServer    REG_SZ    http://wsus01:8530\r\n"

func TestEncodings(t *testing.T) {
	want := []string{`HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate`, "    WUServer    REG_SZ    http://wsus01:8530"}
	gz := func(b []byte) []byte {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(b)
		zw.Close()
		return buf.Bytes()
	}
	for _, tc := range []struct {
		name, enc string
		in        []byte
	}{
		{"utf-8", "UTF-8", []byte(regQuery)},
		{"utf-8 bom", "UTF-8 with BOM", []byte("\xef\xbb\xbf" + regQuery)},
		{"utf-16le bom", "UTF-16LE", UTF16LE(regQuery, true)},
		{"utf-16le no bom", "UTF-16LE", UTF16LE(regQuery, false)},
		{"utf-16be bom", "UTF-16BE", utf16BE(regQuery)},
		{"gzip of utf-16le", "UTF-16LE", gz(UTF16LE(regQuery, true))},
		{"lf only", "UTF-8", []byte(strings.ReplaceAll(regQuery, "\r\n", "\n"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, r := lines(t, tc.in, Options{})
			if strings.Join(texts(got), "|") != strings.Join(want, "|") {
				t.Errorf("lines %q; want %q", texts(got), want)
			}
			if r.Encoding() != tc.enc {
				t.Errorf("encoding %q; want %q", r.Encoding(), tc.enc)
			}
			if got[1].N != 2 {
				t.Errorf("second line numbered %d", got[1].N)
			}
		})
	}
}

func TestPastedMarkdown(t *testing.T) {
	in := "Here is my output:\r\n\r\n```text\r\n> HKEY_LOCAL_MACHINE\\SOFTWARE  \r\n>     WUServer    REG_SZ    http://wsus:8530   \r\n> > nested\r\n>\r\n```\r\n\u00a0\u00a0\u00a0\u00a0UseWUServer\u00a0\u00a0\u00a0\u00a0REG_DWORD\u00a0\u00a0\u00a0\u00a00x1\r\n\x1b[32mPS C:\\>\x1b[0m done\r\n"
	got, _ := lines(t, []byte(in), Options{})
	want := []string{"Here is my output:", "", "", `HKEY_LOCAL_MACHINE\SOFTWARE`, "    WUServer    REG_SZ    http://wsus:8530", "nested", "", "",
		"    UseWUServer    REG_DWORD    0x1", `PS C:\> done`}
	if strings.Join(texts(got), "|") != strings.Join(want, "|") {
		t.Errorf("lines\n%q\nwant\n%q", texts(got), want)
	}
	if got[3].N != 4 || got[9].N != 10 {
		t.Errorf("line numbers %d, %d; want the input's 4 and 10", got[3].N, got[9].N)
	}
}

func TestWindows1252Line(t *testing.T) {
	got, r := lines(t, []byte("Quelle: Windows Server Update Services\r\nDatum: 21.11.2026 10:00\r\nStra\xdfe M\xe4rz\r\n"), Options{})
	if got[2].Text != "Straße März" || !strings.Contains(r.Encoding(), "Windows-1252") {
		t.Errorf("line %q, encoding %q", got[2].Text, r.Encoding())
	}
}

func TestHeadIsReplayed(t *testing.T) {
	r, err := New(strings.NewReader("a\nb\nc\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	head, err := r.Head(2)
	if err != nil || len(head) != 2 || head[1].Text != "b" {
		t.Fatalf("head %v, %v", head, err)
	}
	var all []string
	for r.Next() {
		all = append(all, r.Line().Text)
	}
	if strings.Join(all, "") != "abc" {
		t.Errorf("after Head, Next gave %q", all)
	}
}

func TestLongLines(t *testing.T) {
	in := "short\n" + strings.Repeat("x", 300) + "\nafter\n"
	got, _ := lines(t, []byte(in), Options{MaxLine: 100})
	if len(got) != 3 || !got[1].Cut || len(got[1].Text) != 100 || got[2].Text != "after" || got[2].N != 3 {
		t.Errorf("got %+v", got)
	}
	r, _ := New(strings.NewReader(in), Options{MaxLine: 100, RefuseLong: true, Want: "a log"})
	for r.Next() {
	}
	checkRefusal(t, r.Err(), 2, "longer than")
}

func TestTextReader(t *testing.T) {
	r, err := New(bytes.NewReader(UTF16LE("> a,b\r\n> 1,2  \r\n", true)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(r.Text())
	if err != nil || string(b) != "a,b\n1,2\n" {
		t.Errorf("Text() = %q, %v", b, err)
	}
}

func checkRefusal(tb testing.TB, err error, line int64, words ...string) {
	tb.Helper()
	var v *probes.ValidationError
	if !errors.As(err, &v) || len(v.Errors) != 1 {
		tb.Fatalf("error %v; want one refusal", err)
	}
	if v.Errors[0].Line != line {
		tb.Errorf("refusal names line %d; want %d (%s)", v.Errors[0].Line, line, v.Errors[0].Detail)
	}
	for _, w := range words {
		if !strings.Contains(v.Errors[0].Detail, w) {
			tb.Errorf("refusal %q does not say %q", v.Errors[0].Detail, w)
		}
	}
}

func TestRefusals(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    []byte
		line  int64
		words []string
	}{
		{"empty", []byte("\r\n  \r\n"), 0, []string{"empty", "expected the output of reg query"}},
		{"empty utf-16", UTF16LE("\r\n", true), 0, []string{"empty"}},
		{"zip", []byte("PK\x03\x04\x14\x00\x00\x00"), 0, []string{"ZIP archive"}},
		{"evtx", []byte("ElfFile\x00\x00\x00\x00\x00"), 0, []string{".evtx", "Copy details as text", "Get-WinEvent"}},
		{"nul", []byte("line one\nline two\x00\x00\x00\n"), 2, []string{"NUL"}},
		{"screenshot", []byte("\x89PNG\r\n\x1a\n\x00\x00"), 0, []string{"image"}},
		{"controls", bytes.Repeat([]byte{1, 2, 3, 'a'}, 100), 0, []string{"binary"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(bytes.NewReader(tc.in), Options{Want: "the output of reg query"})
			checkRefusal(t, err, tc.line, tc.words...)
		})
	}
	r, err := New(strings.NewReader(strings.Repeat("0123456789\n", 300)), Options{MaxBytes: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
	}
	checkRefusal(t, r.Err(), 91, "past")
}

func FuzzReader(f *testing.F) {
	f.Add([]byte(regQuery))
	f.Add(UTF16LE(regQuery, true))
	f.Add([]byte("> ```\n> a  \n\x1b[1mb\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		r, err := New(bytes.NewReader(in), Options{MaxLine: 64})
		if err != nil {
			var v *probes.ValidationError
			if !errors.As(err, &v) {
				t.Fatalf("error %T %v", err, err)
			}
			return
		}
		last := int64(0)
		for r.Next() {
			l := r.Line()
			if l.N != last+1 {
				t.Fatalf("line %d after %d", l.N, last)
			}
			last = l.N
			if strings.ContainsAny(l.Text, "\r\n\x00") || strings.HasSuffix(l.Text, " ") {
				t.Fatalf("line %q not cleaned", l.Text)
			}
		}
	})
}

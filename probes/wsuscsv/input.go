package wsuscsv

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/wsusfleet/wsusfleet/probes"
)

// maxLineBytes bounds one physical line; a computer's row is well under 4 KiB.
const maxLineBytes = 64 << 10

const exportHint = "Get-WsusComputer -All | Export-Csv -NoTypeInformation -Encoding UTF8 computers.csv"

// invalid is a problem with the file; syntax marks input that is not a CSV
// export at all or is malformed (400 rather than 422).
func invalid(syntax bool, format string, args ...any) *probes.ValidationError {
	return &probes.ValidationError{Syntax: syntax, Errors: []probes.FieldError{{Detail: fmt.Sprintf(format, args...)}}}
}

// source is the sniffed input: text positioned at the CSV header.
type source struct {
	r         io.Reader
	typeName  string // from a "#TYPE ..." first line
	skipped   int    // lines before the header (the #TYPE line)
	delimiter rune
}

// tableRule is the dashed line under a PowerShell table's headings.
var tableRule = regexp.MustCompile(`(?m)^\s*-{3,}(\s+-{3,})+\s*$`)

// open sniffs r: refuses what is plainly not a CSV export, converts UTF-16
// (what > and Out-File write in Windows PowerShell) to UTF-8, drops a BOM,
// reads the #TYPE line and picks the delimiter (Export-Csv -UseCulture
// writes ";" in much of Europe).
func open(r io.Reader) (*source, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(4)
	if err != nil && !errors.Is(err, io.EOF) && len(head) < 4 {
		return nil, err
	}
	var in io.Reader = br
	switch {
	case bytes.HasPrefix(head, []byte{0xff, 0xfe}):
		_, _ = br.Discard(2)
		in = &utf16Reader{r: br}
	case bytes.HasPrefix(head, []byte{0xfe, 0xff}):
		_, _ = br.Discard(2)
		in = &utf16Reader{r: br, bigEndian: true}
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		return nil, invalid(true, "the file is gzip-compressed: decompress it, or upload it with Content-Encoding: gzip")
	}
	tr := &textReader{r: in, line: 1}
	text := bufio.NewReaderSize(tr, 64<<10)
	if b, _ := text.Peek(3); bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		_, _ = text.Discard(3)
	}
	head, err = text.Peek(8 << 10)
	if len(head) == 0 && err != nil && !errors.Is(err, io.EOF) {
		return nil, err // a read error, or textReader's refusal of the first line
	}
	if len(bytes.TrimSpace(head)) == 0 {
		return nil, invalid(true, "the file is empty: expected the output of %s", exportHint)
	}
	src := &source{r: text, delimiter: ','}
	if bytes.HasPrefix(head, []byte("#TYPE")) {
		line, _ := text.ReadString('\n')
		src.typeName = strings.TrimSpace(strings.TrimPrefix(line, "#TYPE"))
		src.skipped = 1
		head, _ = text.Peek(8 << 10)
	}
	if tableRule.Match(head) || bytes.HasPrefix(head, []byte("PS ")) {
		return nil, invalid(true, "this is PowerShell table output, not CSV: export with %s", exportHint)
	}
	header, _, _ := bytes.Cut(head, []byte("\n"))
	if bytes.ContainsFunc(header, func(r rune) bool { return r < 0x20 && r != '\t' && r != '\r' || r == 0x7f || r == utf8.RuneError }) {
		return nil, invalid(true, "line %d: binary data: not a CSV export; expected the output of %s", src.skipped+1, exportHint)
	}
	src.delimiter = pickDelimiter(string(header))
	return src, nil
}

// pickDelimiter counts the candidate separators outside quotes in the header.
func pickDelimiter(header string) rune {
	counts := map[rune]int{}
	quoted := false
	for _, r := range header {
		switch {
		case r == '"':
			quoted = !quoted
		case !quoted && (r == ',' || r == ';' || r == '\t'):
			counts[r]++
		}
	}
	best := ','
	for _, r := range []rune{';', '\t'} {
		if counts[r] > counts[best] {
			best = r
		}
	}
	return best
}

// textReader passes text through, counting lines, and fails on a NUL byte
// (binary data, or UTF-16 without a BOM) or a line longer than maxLineBytes.
type textReader struct {
	r       io.Reader
	err     error // sticky: the bytes after a refusal are gone
	line    int
	lineLen int
}

func (t *textReader) Read(p []byte) (int, error) {
	if t.err != nil {
		return 0, t.err
	}
	n, err := t.r.Read(p)
	chunk := p[:n]
	if i := bytes.IndexByte(chunk, 0); i >= 0 {
		t.err = invalid(true, "line %d: binary data (a NUL byte): not a CSV export (UTF-16 without a byte-order mark?); expected the output of %s",
			t.line+bytes.Count(chunk[:i], []byte("\n")), exportHint)
		return 0, t.err
	}
	for len(chunk) > 0 {
		i := bytes.IndexByte(chunk, '\n')
		if i < 0 {
			t.lineLen += len(chunk)
			break
		}
		if t.lineLen+i > maxLineBytes {
			t.lineLen += i
			break
		}
		t.line++
		t.lineLen = 0
		chunk = chunk[i+1:]
	}
	if t.lineLen > maxLineBytes {
		t.err = invalid(true, "line %d is longer than %d bytes: not a Get-WsusComputer CSV export", t.line, maxLineBytes)
		return 0, t.err
	}
	return n, err
}

// utf16Reader converts UTF-16 to UTF-8 as it streams.
type utf16Reader struct {
	r         *bufio.Reader
	bigEndian bool
	pending   []byte // UTF-8 not yet returned
	err       error
}

func (u *utf16Reader) Read(p []byte) (int, error) {
	for len(u.pending) < len(p) && u.err == nil {
		c, err := u.unit()
		if err != nil {
			u.err = err
			break
		}
		r := rune(c)
		if utf16.IsSurrogate(r) {
			c2, err := u.unit()
			if err != nil {
				u.err = err
			}
			r = utf16.DecodeRune(r, rune(c2))
		}
		u.pending = utf8.AppendRune(u.pending, r)
	}
	n := copy(p, u.pending)
	u.pending = u.pending[n:]
	if n == 0 && u.err != nil {
		return 0, u.err
	}
	return n, nil
}

func (u *utf16Reader) unit() (uint16, error) {
	var b [2]byte
	if _, err := io.ReadFull(u.r, b[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, io.EOF // a stray odd byte at the end
		}
		return 0, err
	}
	if u.bigEndian {
		return uint16(b[0])<<8 | uint16(b[1]), nil
	}
	return uint16(b[1])<<8 | uint16(b[0]), nil
}

func asValidation(err error) *probes.ValidationError {
	var v *probes.ValidationError
	if errors.As(err, &v) {
		return v
	}
	return nil
}

// cp1252 maps the bytes 0x80–0x9F of Windows-1252 (Export-Csv -Encoding
// Default on Western systems); the other bytes are Latin-1.
var cp1252 = [32]rune{
	'€', 0x81, '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', 0x8d, 'Ž', 0x8f,
	0x90, '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', 0x9d, 'ž', 'Ÿ',
}

// decodeField returns s as valid UTF-8: a field that is not UTF-8 is read as
// Windows-1252, the only other encoding Export-Csv writes without a BOM.
func decodeField(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c < 0x80:
			b.WriteByte(c)
		case c < 0xa0:
			b.WriteRune(cp1252[c-0x80])
		default:
			b.WriteRune(rune(c))
		}
	}
	return b.String()
}

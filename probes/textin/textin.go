// Package textin reads evidence text the way administrators actually have it:
// files written by Windows PowerShell 5.1 (UTF-16LE with a BOM), UTF-8 with or
// without a BOM, ANSI (Windows-1252), CRLF, gzip; and text pasted from forums,
// chats and mails (Markdown quote prefixes, code fences, trailing spaces,
// non-breaking spaces, terminal colours). It yields numbered, cleaned lines,
// streaming in bounded memory; each parser does the rest of its format.
package textin

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"github.com/wsusfleet/wsusfleet/probes"
)

// Defaults of Options.
const (
	DefaultMaxBytes = 1 << 30
	DefaultMaxLine  = 64 << 10
	sniffBytes      = 8 << 10
)

// Options tune a Reader.
type Options struct {
	// Want says what the caller expects, for refusals ("the output of reg
	// query"): every refusal ends with "expected <Want>".
	Want string
	// MaxBytes bounds the decoded text; more is refused. 0: DefaultMaxBytes.
	MaxBytes int64
	// MaxLine bounds one line; longer ones are cut (Line.Cut), or refused
	// with RefuseLong. 0: DefaultMaxLine.
	MaxLine    int
	RefuseLong bool
}

// Line is one cleaned line of the input.
type Line struct {
	N    int64  // the line's number in the input, from 1 (what a refusal names)
	Text string // UTF-8, without the line end, quote prefix or trailing white space
	Cut  bool   // the line was longer than MaxLine: Text is its beginning
}

// Reader yields the lines of a text input. The zero value is not usable; see New.
type Reader struct {
	opt      Options
	br       *bufio.Reader
	n        int64 // physical lines read
	size     int64 // decoded bytes read
	head     []Line
	cur      Line
	err      error
	encoding string
	ansi     bool // some line was not UTF-8 and was read as Windows-1252
	closer   io.Closer
}

// New sniffs the start of r and returns a Reader of its lines. It refuses,
// with a *probes.ValidationError, what is plainly not text: archives, binary
// event logs, executables, data with NUL bytes. A gzip stream is read through.
func New(r io.Reader, opt Options) (*Reader, error) {
	if opt.MaxBytes <= 0 {
		opt.MaxBytes = DefaultMaxBytes
	}
	if opt.MaxLine <= 0 {
		opt.MaxLine = DefaultMaxLine
	}
	t := &Reader{opt: opt, encoding: "UTF-8"}
	in := bufio.NewReaderSize(r, sniffBytes)
	head, err := in.Peek(sniffBytes)
	if len(head) == 0 && err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if bytes.HasPrefix(head, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(in)
		if err != nil {
			return nil, t.refuse(0, "the input starts like gzip data but is not: %v", err)
		}
		t.closer = zr
		in = bufio.NewReaderSize(zr, sniffBytes)
		if head, err = in.Peek(sniffBytes); len(head) == 0 && err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("textin: gunzip: %w", err)
		}
	}
	if msg := binaryKind(head); msg != "" {
		return nil, t.refuse(0, "%s", msg)
	}
	var text io.Reader = in
	switch {
	case bytes.HasPrefix(head, []byte{0xff, 0xfe}):
		text, t.encoding = transform.NewReader(in, unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder()), "UTF-16LE"
	case bytes.HasPrefix(head, []byte{0xfe, 0xff}):
		text, t.encoding = transform.NewReader(in, unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder()), "UTF-16BE"
	case looksUTF16(head, 1):
		text, t.encoding = transform.NewReader(in, unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewDecoder()), "UTF-16LE"
	case looksUTF16(head, 0):
		text, t.encoding = transform.NewReader(in, unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM).NewDecoder()), "UTF-16BE"
	case bytes.HasPrefix(head, []byte("\xef\xbb\xbf")):
		_, _ = in.Discard(3)
		t.encoding = "UTF-8 with BOM"
	}
	// Hidden behind an interface so bufio does not hand back in itself.
	t.br = bufio.NewReaderSize(struct{ io.Reader }{text}, max(opt.MaxLine, sniffBytes)+2)
	peek, _ := t.br.Peek(sniffBytes)
	peek = bytes.TrimPrefix(peek, []byte("\xef\xbb\xbf"))
	if len(bytes.TrimSpace(peek)) == 0 {
		return nil, t.refuse(0, "the input is empty")
	}
	if i := bytes.IndexByte(peek, 0); i >= 0 {
		return nil, t.refuse(int64(bytes.Count(peek[:i], []byte("\n"))+1), "binary data (a NUL byte), not text")
	}
	if controls(peek) > len(peek)/16 {
		return nil, t.refuse(0, "the input is binary, not text (%d control characters in its first %d bytes)", controls(peek), len(peek))
	}
	return t, nil
}

// Encoding names the encoding the text was read in, e.g. "UTF-16LE"; it
// adds ", some lines Windows-1252" once such a line was read.
func (t *Reader) Encoding() string {
	if t.ansi {
		return t.encoding + ", some lines Windows-1252"
	}
	return t.encoding
}

// Want is what the caller said it expects.
func (t *Reader) Want() string { return t.opt.Want }

// Head reads up to n lines ahead without consuming them (Next yields them
// again), for sniffing what the text is. It stops early at the end.
func (t *Reader) Head(n int) ([]Line, error) {
	for len(t.head) < n {
		l, ok, err := t.read()
		if err != nil {
			return t.head, err
		}
		if !ok {
			break
		}
		t.head = append(t.head, l)
	}
	return t.head[:min(n, len(t.head))], nil
}

// Next advances to the next line; false at the end or on an error (Err).
func (t *Reader) Next() bool {
	if len(t.head) > 0 {
		t.cur, t.head = t.head[0], t.head[1:]
		return true
	}
	l, ok, err := t.read()
	if err != nil {
		t.err = err
		return false
	}
	t.cur = l
	return ok
}

// Line is the current line.
func (t *Reader) Line() Line { return t.cur }

// Err is the error that ended Next, nil at a clean end.
func (t *Reader) Err() error { return t.err }

// Lines is how many lines were read so far.
func (t *Reader) Lines() int64 { return t.n }

// Text is the rest of the input as cleaned text, one line per line of the
// input ("\n" after each), for parsers built on an io.Reader (encoding/csv):
// line numbers stay those of the input.
func (t *Reader) Text() io.Reader { return &textReader{t: t} }

type textReader struct {
	t       *Reader
	pending []byte
}

func (r *textReader) Read(p []byte) (int, error) {
	for len(r.pending) == 0 {
		if !r.t.Next() {
			if err := r.t.Err(); err != nil {
				return 0, err
			}
			return 0, io.EOF
		}
		r.pending = append(append(r.pending[:0], r.t.cur.Text...), '\n')
	}
	n := copy(p, r.pending)
	r.pending = r.pending[n:]
	return n, nil
}

// Close releases a gzip stream, if one was opened.
func (t *Reader) Close() error {
	if t.closer != nil {
		return t.closer.Close()
	}
	return nil
}

// Refuse is a refusal naming line n (0: the whole input), in the words of
// this package's own refusals; parsers use it for theirs.
func (t *Reader) Refuse(n int64, format string, args ...any) *probes.ValidationError {
	return t.refuse(n, format, args...)
}

func (t *Reader) refuse(n int64, format string, args ...any) *probes.ValidationError {
	detail := fmt.Sprintf(format, args...)
	if t.opt.Want != "" {
		detail += "; expected " + t.opt.Want
	}
	return &probes.ValidationError{Syntax: true, Errors: []probes.FieldError{{Line: n, Detail: detail}}}
}

// read reads and cleans one physical line.
func (t *Reader) read() (Line, bool, error) {
	if t.err != nil {
		return Line{}, false, t.err
	}
	raw, err := t.br.ReadSlice('\n')
	t.size += int64(len(raw))
	cut := len(bytes.TrimRight(raw, "\r\n")) > t.opt.MaxLine
	if cut {
		raw = append([]byte(nil), raw[:t.opt.MaxLine]...)
		for errors.Is(err, bufio.ErrBufferFull) {
			var more []byte
			more, err = t.br.ReadSlice('\n')
			t.size += int64(len(more))
		}
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return Line{}, false, fmt.Errorf("reading line %d: %w", t.n+1, err)
	}
	if len(raw) == 0 && err != nil {
		return Line{}, false, nil // the end
	}
	t.n++
	if cut && t.opt.RefuseLong {
		return Line{}, false, t.refuse(t.n, "the line is longer than %d KiB", t.opt.MaxLine>>10)
	}
	if t.size > t.opt.MaxBytes {
		return Line{}, false, t.refuse(t.n, "the text goes on past %d MiB", t.opt.MaxBytes>>20)
	}
	if bytes.IndexByte(raw, 0) >= 0 {
		return Line{}, false, t.refuse(t.n, "binary data (a NUL byte), not text")
	}
	return Line{N: t.n, Text: t.clean(raw), Cut: cut}, true, nil
}

// clean turns one raw line into what a parser reads.
func (t *Reader) clean(raw []byte) string {
	raw = bytes.TrimRight(raw, "\r\n")
	var s string
	if utf8.Valid(raw) {
		s = string(raw)
	} else {
		// Windows PowerShell's Out-File -Encoding Default and most old logs
		// write the ANSI code page; Windows-1252 is the Western one.
		s, _ = charmap.Windows1252.NewDecoder().String(string(raw))
		t.ansi = true
	}
	s = strings.TrimPrefix(s, "\ufeff") // a BOM where files were concatenated
	if strings.ContainsAny(s, "\u00a0\u2007\u202f\u200b\ufeff\x1b") {
		s = webSpaces.Replace(s)
		s = stripANSI(s)
	}
	s = stripQuote(s)
	if fence(s) {
		return ""
	}
	s = strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	return strings.TrimRight(s, " \t")
}

// webSpaces are what copying from a web page or chat puts in place of spaces.
var webSpaces = strings.NewReplacer("\u00a0", " ", "\u2007", " ", "\u202f", " ", "\u200b", "", "\ufeff", "")

// stripANSI removes terminal colour sequences (ESC [ … letter).
func stripANSI(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '[' {
			j := i + 2
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == ';' || s[j] == '?') {
				j++
			}
			if j < len(s) {
				i = j
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// stripQuote removes Markdown and mail quote markers ("> ", "> > ", ">"):
// no Windows text these parsers read begins a line with ">", and PowerShell's
// own continuation prompt ">> " is noise as well.
func stripQuote(s string) string {
	for {
		i := 0
		for i < len(s) && i < 3 && s[i] == ' ' {
			i++
		}
		if i >= len(s) || s[i] != '>' {
			return s
		}
		s = s[i+1:]
		if strings.HasPrefix(s, " ") {
			s = s[1:]
		}
	}
}

// fence reports a Markdown code fence line (``` or ~~~, with a language).
func fence(s string) bool {
	s = strings.TrimLeft(s, " ")
	return strings.HasPrefix(s, "```") || strings.HasPrefix(s, "~~~")
}

// looksUTF16 reports UTF-16 without a BOM: mostly-zero bytes at the odd
// (little-endian) or even (big-endian) positions of ASCII-range text.
func looksUTF16(head []byte, zeroAt int) bool {
	if len(head) < 8 {
		return false
	}
	pairs, zeros, other := 0, 0, 0
	for i := 0; i+1 < len(head); i += 2 {
		pairs++
		if head[i+zeroAt] == 0 {
			zeros++
		}
		if head[i+1-zeroAt] == 0 {
			other++
		}
	}
	return zeros*10 >= pairs*8 && other*10 < pairs
}

// binaryKind names a binary format people send by mistake, or "".
func binaryKind(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return "the input is a ZIP archive: extract the file from it and send that"
	case bytes.HasPrefix(head, []byte("ElfFile\x00")):
		return "the input is a binary Windows event log (.evtx): in Event Viewer select the events and use Copy > Copy details as text, " +
			"or run Get-WinEvent -Path <file>.evtx | Format-List * | Out-File events.txt"
	case bytes.HasPrefix(head, []byte("PML_")):
		return "the input is a native Process Monitor log (.PML): open it in Process Monitor and save it as CSV"
	case bytes.HasPrefix(head, []byte("MZ")) && bytes.IndexByte(head, 0) >= 0:
		return "the input is a Windows program or library, not text"
	case bytes.HasPrefix(head, []byte("MSCF")):
		return "the input is a .cab archive: extract the file from it and send that"
	case bytes.HasPrefix(head, []byte("%PDF")):
		return "the input is a PDF document: copy its text instead"
	case bytes.HasPrefix(head, []byte("\x89PNG")), bytes.HasPrefix(head, []byte{0xff, 0xd8, 0xff}):
		return "the input is an image (a screenshot?): send the text itself"
	case bytes.HasPrefix(head, []byte("\xd0\xcf\x11\xe0")):
		return "the input is an Office document: copy its text instead"
	}
	return ""
}

func controls(b []byte) int {
	n := 0
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != 0x1b && c != 0 || c == 0x7f {
			n++
		}
	}
	return n
}

package procmon

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/wsusfleet/wsusfleet/probes"
)

// maxLineBytes bounds one physical line: a ProcMon row is well under 64 KiB,
// and without a bound encoding/csv would buffer a newline-free file whole.
const maxLineBytes = 1 << 20

// invalid is a problem with the file's form (Syntax: a 400, not a 422).
func invalid(format string, args ...any) error {
	return &probes.ValidationError{Syntax: true, Errors: []probes.FieldError{{Detail: fmt.Sprintf(format, args...)}}}
}

// open sniffs the start of r, refuses what is plainly not a text CSV, skips
// a UTF-8 BOM, and returns a reader that refuses binary data and overlong
// lines as it goes.
func open(r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(512)
	if err != nil && !errors.Is(err, io.EOF) && len(head) < 512 {
		return nil, err
	}
	switch {
	case len(bytes.TrimSpace(bytes.TrimPrefix(head, bom))) == 0:
		return nil, invalid("the file is empty: expected a Process Monitor CSV export (File > Save… > CSV)")
	case bytes.HasPrefix(head, []byte("PML_")):
		return nil, invalid("this is a native Process Monitor log (.PML): open it in Process Monitor, then File > Save… > CSV")
	case bytes.HasPrefix(bytes.TrimPrefix(head, bom), []byte("<?xml")):
		return nil, invalid("this is a Process Monitor XML export: save the capture as CSV instead (File > Save… > CSV)")
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		return nil, invalid("the file is gzip-compressed: decompress it, or upload it with Content-Encoding: gzip")
	case bytes.HasPrefix(head, []byte{0xff, 0xfe}), bytes.HasPrefix(head, []byte{0xfe, 0xff}),
		len(head) > 3 && head[1] == 0 && head[3] == 0:
		return nil, invalid("the file is UTF-16 text: Process Monitor writes UTF-8; export again with File > Save… > CSV instead of converting it")
	}
	if bytes.HasPrefix(head, bom) {
		_, _ = br.Discard(len(bom))
	}
	return &textReader{r: br, line: 1}, nil
}

var bom = []byte("\xef\xbb\xbf")

// textReader passes text through, counting lines, and fails on a NUL byte
// (binary data) or a line longer than maxLineBytes.
type textReader struct {
	r       io.Reader
	err     error // sticky: the bytes after a refusal are gone
	line    int   // line of the next byte
	lineLen int   // bytes of the current line so far
}

func (t *textReader) Read(p []byte) (int, error) {
	if t.err != nil {
		return 0, t.err
	}
	n, err := t.r.Read(p)
	chunk := p[:n]
	if i := bytes.IndexByte(chunk, 0); i >= 0 {
		t.err = invalid("line %d: binary data (a NUL byte): not a text CSV export", t.line+bytes.Count(chunk[:i], nl))
		return 0, t.err
	}
	for len(chunk) > 0 {
		i := bytes.IndexByte(chunk, '\n')
		if i < 0 {
			t.lineLen += len(chunk)
			break
		}
		t.lineLen += i
		if t.lineLen > maxLineBytes {
			break
		}
		t.line++
		t.lineLen = 0
		chunk = chunk[i+1:]
	}
	if t.lineLen > maxLineBytes {
		t.err = invalid("line %d is longer than %d bytes: not a Process Monitor CSV export", t.line, maxLineBytes)
		return 0, t.err
	}
	return n, err
}

var nl = []byte("\n")

package apphost

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/wsusfleet/wsusfleet/probes"
)

// Input bounds: a real applicationHost.config is well under 1 MiB and about
// ten elements deep.
const (
	MaxBytes = 32 << 20
	maxDepth = 64
)

// invalid is a problem with the file; syntax marks input that is not
// well-formed or not an applicationHost.config at all (400 rather than 422).
func invalid(syntax bool, format string, args ...any) error {
	return &probes.ValidationError{Syntax: syntax, Errors: []probes.FieldError{{Detail: fmt.Sprintf(format, args...)}}}
}

// readInput reads at most MaxBytes and returns UTF-8 text: a UTF-8 BOM is
// dropped and UTF-16 (what PowerShell 5.1's Out-File and > write) is
// converted.
func readInput(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxBytes {
		return nil, invalid(true, "the file is larger than %d MiB; applicationHost.config is normally under 1 MiB", MaxBytes>>20)
	}
	switch {
	case bytes.HasPrefix(data, []byte{0xff, 0xfe}):
		data = fromUTF16(data[2:], false)
	case bytes.HasPrefix(data, []byte{0xfe, 0xff}):
		data = fromUTF16(data[2:], true)
	case bytes.HasPrefix(data, []byte{0x1f, 0x8b}):
		return nil, invalid(true, "the file is gzip-compressed: decompress it, or upload it with Content-Encoding: gzip")
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, invalid(true, "the file is empty: expected %s", fileHint)
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return nil, invalid(true, "line %d: binary data (a NUL byte): expected %s", bytes.Count(data[:i], []byte("\n"))+1, fileHint)
	}
	if !utf8.Valid(data) {
		return nil, invalid(true, "the file is not UTF-8 text: expected %s", fileHint)
	}
	return data, nil
}

const fileHint = `the XML file %windir%\System32\inetsrv\config\applicationHost.config`

func fromUTF16(b []byte, bigEndian bool) []byte {
	u := make([]uint16, len(b)/2)
	for i := range u {
		if bigEndian {
			u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		} else {
			u[i] = uint16(b[2*i+1])<<8 | uint16(b[2*i])
		}
	}
	return []byte(string(utf16.Decode(u)))
}

// newDecoder is a strict decoder for text readInput has made UTF-8: the
// declared encoding may only say so.
func newDecoder(data []byte) *xml.Decoder {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		switch strings.ToLower(label) {
		case "utf-8", "utf8", "us-ascii", "ascii", "utf-16", "utf-16le", "utf-16be", "unicode":
			return in, nil // already UTF-8 (converted from UTF-16 if need be)
		}
		return nil, fmt.Errorf("unsupported encoding %q: save the file as UTF-8", label)
	}
	return d
}

// xmlProblem words a decoder error for an administrator.
func xmlProblem(err error, d *xml.Decoder) error {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		if se.Msg == "unexpected EOF" {
			return invalid(true, "line %d: the XML ends early (truncated file?)", se.Line)
		}
		return invalid(true, "line %d: malformed XML: %s", se.Line, se.Msg)
	}
	line, _ := d.InputPos()
	return invalid(true, "line %d: malformed XML: %v", line, err)
}

// refuseDirective rejects any <!DOCTYPE> or <!ENTITY>: applicationHost.config
// has none, and entity declarations are how XML bombs and external-entity
// reads work.
func refuseDirective(dir xml.Directive, d *xml.Decoder) error {
	line, _ := d.InputPos()
	word, _, _ := strings.Cut(strings.TrimSpace(string(dir)), " ")
	if len(word) > 20 {
		word = word[:20]
	}
	return invalid(true, "line %d: <!%s> is not allowed: applicationHost.config has no DTD, and DTDs and entity declarations are refused (XML external entities, entity expansion)",
		line, strings.ToUpper(strings.Map(func(r rune) rune {
			if r < 0x20 || r == 0x7f {
				return -1
			}
			return r
		}, word)))
}

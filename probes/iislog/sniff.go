package iislog

import "bytes"

// sniff refuses input that is plainly not a text log, by its first bytes.
func sniff(head []byte) *FormatError {
	switch {
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		return refuse(0, "the input is gzip-compressed; decompress it (or send it with Content-Encoding: gzip)")
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return refuse(0, "the input is a ZIP archive; extract the .log file from it")
	case bytes.HasPrefix(head, []byte{0xff, 0xfe}), bytes.HasPrefix(head, []byte{0xfe, 0xff}):
		return refuse(0, "the input is UTF-16 text; IIS writes UTF-8 or ANSI logs, so save it as UTF-8")
	}
	controls := 0
	for i, c := range head {
		switch {
		case c == 0:
			return refuse(0, "the input is binary, not text (byte %d is NUL)", i)
		case c < 0x20 && c != '\t' && c != '\n' && c != '\r', c == 0x7f:
			controls++
		}
	}
	if controls > len(head)/16 {
		return refuse(0, "the input is binary, not text (%d control characters in its first %d bytes)", controls, len(head))
	}
	return nil
}

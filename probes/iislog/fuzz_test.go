package iislog

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"testing/iotest"
	"time"
)

// FuzzParse: Parse never panics or hangs; it either refuses the input with a
// *FormatError naming an existing line, or returns a consistent, valid,
// deterministic summary that does not depend on how the reader splits reads.
func FuzzParse(f *testing.F) {
	samples, _ := filepath.Glob("testdata/*.*")
	for _, name := range samples {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(header85 +
		line85("09:15:02", "/ClientWebService/client.asmx", "10.1.2.42", wua, "200 0 0", "312") +
		line85("09:16:00", "/SimpleAuthWebService/SimpleAuth.asmx", "fe80::1%11", browser, "401 2 5", "2") +
		"#Fields: time date c-ip sc-status cs-uri-stem\n09:17:00 2026-11-21 - 503 /Content/x\n"))
	f.Add([]byte(line7("23:59:59", "/selfupdate/wuident.cab", "10.1.2.1", "-", "500 24 50", "-")))
	f.Add([]byte("\ufeff#Fields: date time cs-uri-stem sc-status\r\n2026-02-29 00:00:00 /x 200\r\n"))

	now := time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, in []byte) {
		s, err := Parse(bytes.NewReader(in))
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error is not a *FormatError: %v", err)
			}
			if fe.Line < 0 || fe.Line > int64(bytes.Count(in, []byte("\n"))+1) {
				t.Fatalf("error names line %d of %d: %v", fe.Line, bytes.Count(in, []byte("\n"))+1, err)
			}
			return
		}
		checkInvariants(t, s)
		d := s.Digest()
		if err := d.Validate(now); err != nil {
			t.Fatalf("digest does not validate: %v", err)
		}
		again, err := Parse(iotest.OneByteReader(bytes.NewReader(in)))
		if err != nil {
			t.Fatalf("byte by byte: %v", err)
		}
		a, _ := json.Marshal(s)
		b, _ := json.Marshal(again)
		if !bytes.Equal(a, b) {
			t.Fatalf("byte-by-byte reading gives another summary:\n%s\n%s", a, b)
		}
	})
}

package store

import (
	"strings"
	"testing"
)

// A packed run unpacks to its JSON; JSON stored before packing, and zstd
// frames as phase 16 packed runs, read as they are; a damaged packed run
// is an error, never other JSON.
func TestPackRunRoundTrip(t *testing.T) {
	text := `[{"vdir":"ClientWebService","url":"http://wsus01:8530/ClientWebService/client.asmx","status":200,"verdict":"ok"}]`
	packed := string(packRun([]byte(text)))
	if !strings.HasPrefix(packed, s2Tag) {
		t.Fatalf("packed run starts %q, want %q", packed[:4], s2Tag)
	}
	for _, stored := range []string{packed, text, ZstdRun(text)} {
		got, err := unpackRun(stored)
		if err != nil || string(got) != text {
			t.Errorf("unpackRun(%.12q) = %q, %v; want the JSON", stored, got, err)
		}
	}
	for _, damaged := range []string{packed[:len(packed)-6] + "xxxxxx", s2Tag + "\x00\x00\x00\x00\xff\xff\xff\xff\x7f", s2Tag + "\x00", ZstdRun(text)[:20]} {
		if got, err := unpackRun(damaged); err == nil {
			t.Errorf("damaged packed run %q unpacked to %q, want an error", damaged, got)
		}
	}
}

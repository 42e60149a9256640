package store

import (
	"strings"
	"testing"
)

// A packed run unpacks to its JSON; JSON stored before packing passes
// through as it is; a damaged packed run is an error, never other JSON.
func TestPackRunRoundTrip(t *testing.T) {
	text := `[{"vdir":"ClientWebService","url":"http://wsus01:8530/ClientWebService/client.asmx","status":200,"verdict":"ok"}]`
	packed := string(packRun(text))
	if !strings.HasPrefix(packed, zstdMagic) {
		t.Fatalf("packed run starts %q, want the zstd magic", packed[:4])
	}
	for _, stored := range []string{packed, text} {
		got, err := unpackRun(stored)
		if err != nil || string(got) != text {
			t.Errorf("unpackRun(%.12q) = %q, %v; want the JSON", stored, got, err)
		}
	}
	damaged := packed[:len(packed)-6] + "xxxxxx"
	if got, err := unpackRun(damaged); err == nil {
		t.Errorf("a damaged packed run unpacked to %q, want an error", got)
	}
}

package probes

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
)

// BenchmarkDecodeReport100k decodes and validates a report listing 100,000
// clients shaped like bench/e2e's snapshot (about 30 MB).
func BenchmarkDecodeReport100k(b *testing.B) {
	doc := report100k()
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := DecodeReport(doc, now)
		if err != nil || len(r.Clients.Items) != 100_000 {
			b.Fatalf("%v", err)
		}
	}
}

// BenchmarkSplitArray100k finds the items of BenchmarkDecodeReport100k's
// list, which a streamed report does before its items' workers start.
func BenchmarkSplitArray100k(b *testing.B) {
	doc := report100k()
	items := doc[bytes.Index(doc, []byte(`"items":[`))+len(`"items":[`):]
	for _, split := range []struct {
		name string
		fn   func([]byte) ([][]byte, int, bool)
	}{{"jumping-strings", splitArray}, {"byte-by-byte", splitArrayByteByByte}} {
		b.Run(split.name, func(b *testing.B) {
			b.SetBytes(int64(len(items)))
			for b.Loop() {
				if spans, _, ok := split.fn(items); !ok || len(spans) != 100_000 {
					b.Fatalf("%d items, %v", len(spans), ok)
				}
			}
		})
	}
}

func report100k() []byte {
	var items strings.Builder
	for i := range 100_000 {
		if i > 0 {
			items.WriteByte(',')
		}
		fmt.Fprintf(&items, `{"id":"{%08x-0000-4000-8000-%012x}","name":"pc%06d.corp.example.com","ip":"10.%d.%d.%d",`+
			`"os":"Windows 11 Enterprise","client_version":"10.0.22621.3880","groups":["Workstations","Ring %d"],`+
			`"last_sync":"2026-11-21T08:%02d:00Z","last_sync_result":"Succeeded","last_report":"2026-11-21T08:%02d:30Z"}`,
			i, i, i, i>>16&255, i>>8&255, i&255, i%4, i%60, i%60)
	}
	return []byte(minimal(`"server":{`, `"clients":{"complete":true,"items":[`+items.String()+`]},"server":{`))
}

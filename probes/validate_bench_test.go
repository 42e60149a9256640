package probes

import (
	"os"
	"testing"
)

// BenchmarkValidateReport validates the design's example server report (all
// sections, nine vDir checks): the reflection walk every pushed report takes.
func BenchmarkValidateReport(b *testing.B) {
	doc, err := os.ReadFile("testdata/report-design-example.json")
	if err != nil {
		b.Fatal(err)
	}
	r, err := DecodeReport(doc, testNow)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := r.Validate(testNow); err != nil {
			b.Fatal(err)
		}
	}
}

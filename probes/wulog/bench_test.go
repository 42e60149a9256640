package wulog

import (
	"bytes"
	"os"
	"testing"
)

// BenchmarkParse reads the classic sample repeated to about 1 MB.
func BenchmarkParse(b *testing.B) {
	one, err := os.ReadFile("testdata/windowsupdate-classic.log")
	if err != nil {
		b.Fatal(err)
	}
	in := bytes.Repeat(one, (1<<20)/len(one))
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(bytes.NewReader(in), Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

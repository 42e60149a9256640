package regquery

import (
	"os"
	"testing"
)

func BenchmarkParse(b *testing.B) {
	in, err := os.ReadFile("testdata/reg-query-s.txt")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, err := Parse(bytesReader(in)); err != nil {
			b.Fatal(err)
		}
	}
}

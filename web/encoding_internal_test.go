package web

import "testing"

func TestNegotiate(t *testing.T) {
	for _, c := range []struct {
		header string
		want   int
	}{
		{"", codingIdentity},
		{"gzip", codingGzip},
		{"GZip", codingGzip},
		{"x-gzip", codingGzip},
		{"zstd", codingZstd},
		{"gzip, deflate, br, zstd", codingZstd}, // Chrome: equal weights, zstd first
		{"gzip, deflate, br", codingGzip},
		{"br, deflate", codingIdentity},
		{"gzip;q=0", codingIdentity},
		{"gzip;q=0, zstd;q=0", codingIdentity},
		{"zstd;q=0, gzip", codingGzip},
		{"zstd;q=0.5, gzip;q=0.8", codingGzip},
		{"gzip;q=0.5, identity", codingIdentity}, // identity weighs more
		{"gzip, identity", codingGzip},           // equal: the smaller
		{"identity", codingIdentity},
		{"identity;q=0", codingIdentity}, // nothing acceptable: identity all the same
		{"*", codingZstd},
		{"*;q=0", codingIdentity},
		{"*;q=0, gzip", codingGzip},
		{"*, zstd;q=0", codingGzip},
		{"*;q=0.3, identity;q=0.5", codingIdentity},
		{"gzip;q=2", codingIdentity},   // malformed weight: the entry is ignored
		{"gzip;q=abc", codingIdentity}, // likewise
		{" gzip ; q=1.0 , , zstd ; q=0.001", codingGzip},
	} {
		if got := negotiate(c.header); got != c.want {
			t.Errorf("negotiate(%q) = %d, want %d", c.header, got, c.want)
		}
	}
}

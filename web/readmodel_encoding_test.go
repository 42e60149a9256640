package web_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/wsusfleet/wsusfleet/store/storetest"
)

// raw answers a GET as it goes on the wire (no decompression, and no
// OpenAPI check of the body, which may be compressed).
func (e *env) raw(method, path string, header ...string) response {
	e.t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return response{rec.Code, rec.Header(), rec.Body.Bytes()}
}

func decode(t *testing.T, coding string, body []byte) []byte {
	t.Helper()
	var r io.Reader
	switch coding {
	case "":
		return body
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	case "zstd":
		zr, err := zstd.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		r = zr
	default:
		t.Fatalf("unexpected Content-Encoding %q", coding)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("decode %s: %v", coding, err)
	}
	return b
}

// TestReadModelsContentEncoding: the server list, the gaps and the fleet
// page are sent compressed when Accept-Encoding allows it (zstd, then gzip;
// never a coding weighed q=0), with Vary, Content-Encoding and the length
// of what is sent; decompressed they are the identity bytes; each
// representation has an ETag of its own, and each gets 304 for its own.
func TestReadModelsContentEncoding(t *testing.T) {
	for name, dsn := range sharedDSNs() {
		t.Run(name, func(t *testing.T) {
			e := envOnDSN(t, dsn(t), storetest.NewClock(storetest.T0))
			for i := range 20 {
				e.mustPost("/api/v1/reports", storetest.Report(fmt.Sprintf("enc-%d", i), fmt.Sprintf("wsus%02d.corp.example", i), storetest.T0))
			}
			cases := []struct{ accept, want string }{
				{"", ""},
				{"gzip", "gzip"},
				{"zstd", "zstd"},
				{"gzip, deflate, br, zstd", "zstd"},
				{"gzip, zstd;q=0", "gzip"},
				{"gzip;q=0, zstd;q=0", ""},
				{"identity", ""},
				{"gzip;q=0.5, identity", ""},
				{"*", "zstd"},
				{"*;q=0, gzip", "gzip"},
				{"br", ""},
			}
			for _, path := range []string{"/api/v1/servers", "/api/v1/gaps", "/"} {
				plain := e.raw("GET", path)
				if plain.status != 200 || plain.header.Get("Content-Encoding") != "" {
					t.Fatalf("GET %s: %d, Content-Encoding %q", path, plain.status, plain.header.Get("Content-Encoding"))
				}
				etags := map[string]string{} // coding → ETag
				for _, c := range cases {
					res := e.raw("GET", path, "Accept-Encoding", c.accept)
					got := res.header.Get("Content-Encoding")
					if res.status != 200 || got != c.want {
						t.Errorf("GET %s, Accept-Encoding %q: %d, Content-Encoding %q; want 200, %q", path, c.accept, res.status, got, c.want)
						continue
					}
					if !slices.Contains(res.header.Values("Vary"), "Accept-Encoding") {
						t.Errorf("GET %s, Accept-Encoding %q: Vary %q, want Accept-Encoding", path, c.accept, res.header.Values("Vary"))
					}
					if n, _ := strconv.Atoi(res.header.Get("Content-Length")); n != len(res.body) {
						t.Errorf("GET %s, Accept-Encoding %q: Content-Length %d, body %d bytes", path, c.accept, n, len(res.body))
					}
					if got != "" && len(res.body) >= len(plain.body) {
						t.Errorf("GET %s in %s: %d bytes, identity %d", path, got, len(res.body), len(plain.body))
					}
					if !bytes.Equal(decode(t, got, res.body), plain.body) {
						t.Errorf("GET %s in %q: decoded, not the identity bytes", path, got)
					}
					etag := res.header.Get("ETag")
					if prev, ok := etags[got]; ok && prev != etag {
						t.Errorf("GET %s in %q: ETag %s, then %s", path, got, prev, etag)
					}
					etags[got] = etag
					again := e.raw("GET", path, "Accept-Encoding", c.accept, "If-None-Match", etag)
					if again.status != 304 || len(again.body) != 0 || again.header.Get("ETag") != etag ||
						!slices.Contains(again.header.Values("Vary"), "Accept-Encoding") {
						t.Errorf("GET %s, Accept-Encoding %q with its ETag: %d, %d bytes, ETag %q, Vary %q; want 304, none, the same, Accept-Encoding",
							path, c.accept, again.status, len(again.body), again.header.Get("ETag"), again.header.Values("Vary"))
					}
				}
				if etags[""] != plain.header.Get("ETag") || len(etags) != 3 || etags["gzip"] == etags["zstd"] || etags["gzip"] == etags[""] || etags["zstd"] == etags[""] {
					t.Errorf("GET %s: ETags by coding %q, want three different ones", path, etags)
				}
				// A client holding the gzip bytes that now asks for identity
				// gets the identity bytes, not 304.
				if other := e.raw("GET", path, "If-None-Match", etags["gzip"]); other.status != 200 || !bytes.Equal(other.body, plain.body) {
					t.Errorf("GET %s identity with the gzip ETag: %d, want 200 with the identity bytes", path, other.status)
				}
			}
			// A write: new bytes in every coding.
			before := e.raw("GET", "/api/v1/servers", "Accept-Encoding", "gzip")
			e.mustPost("/api/v1/reports", storetest.Report("enc-new", "wsus99.corp.example", storetest.T0))
			after := e.raw("GET", "/api/v1/servers", "Accept-Encoding", "gzip", "If-None-Match", before.header.Get("ETag"))
			if after.status != 200 || after.header.Get("ETag") == before.header.Get("ETag") ||
				!strings.Contains(string(decode(t, after.header.Get("Content-Encoding"), after.body)), "wsus99.corp.example") {
				t.Errorf("gzip after a write: %d, ETag %q (was %q)", after.status, after.header.Get("ETag"), before.header.Get("ETag"))
			}
		})
	}
}

// TestReadModelsContentEncodingOverHTTP: through a real server and Go's
// client (which asks for gzip and decodes it itself), the list is the same.
func TestReadModelsContentEncodingOverHTTP(t *testing.T) {
	e := envOnDSN(t, sharedDSNs()["sqlite"](t), storetest.NewClock(storetest.T0))
	for i := range 20 {
		e.mustPost("/api/v1/reports", storetest.Report(fmt.Sprintf("http-%d", i), fmt.Sprintf("wsus%02d.corp.example", i), storetest.T0))
	}
	srv := httptest.NewServer(e.h)
	defer srv.Close()
	get := func(tr *http.Transport, accept string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/servers", nil)
		if accept != "" {
			req.Header.Set("Accept-Encoding", accept)
		}
		res, err := (&http.Client{Transport: tr}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return res, b
	}
	_, plain := get(&http.Transport{DisableCompression: true}, "")
	res, auto := get(&http.Transport{}, "") // asks for gzip, decodes
	if !res.Uncompressed || !bytes.Equal(auto, plain) {
		t.Errorf("Go's client: uncompressed %v, same bytes %v", res.Uncompressed, bytes.Equal(auto, plain))
	}
	res, z := get(&http.Transport{DisableCompression: true}, "zstd")
	if res.ContentLength != int64(len(z)) || !bytes.Equal(decode(t, res.Header.Get("Content-Encoding"), z), plain) {
		t.Errorf("zstd over HTTP: Content-Length %d, %d bytes, %q", res.ContentLength, len(z), res.Header.Get("Content-Encoding"))
	}
}

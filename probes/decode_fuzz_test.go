package probes

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// The JSON decoders are the largest untrusted surface: every POST of a
// report, client report or inventory goes through them. The fuzz targets
// below are seeded with the collectors' example payloads and the README's
// curl example; run one with e.g.
//
//	go test -run '^$' -fuzz FuzzDecodeReport -fuzztime 2m ./probes/
//
// Each checks that a document is either refused with a ValidationError
// that says something, or accepted in a form that survives encoding and
// decoding again, with names that are valid host names in one stable form.

// fuzzNow is after every seed's collected_at.
var fuzzNow = time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)

// readmeReport is the README's curl example.
const readmeReport = `{"schema":"wsusfleet.report.v1","id":"3b1f0c5e-7d0a-4a53-9a43-0b2f7f0f9a11","collected_at":"2026-11-21T09:30:00Z",
       "collector":{"name":"curl","vantage":"remote"},"server":{"name":"wsus01.corp.example","url":"http://wsus01.corp.example:8530"},
       "vdir_checks":[{"vdir":"ClientWebService","url":"http://wsus01.corp.example:8530/ClientWebService/client.asmx","status":401,
                       "www_authenticate":["Negotiate","NTLM"],"latency_ms":12}]}`

func seedDocuments(f *testing.F, prefix string, extra ...string) {
	f.Helper()
	files, err := filepath.Glob(filepath.Join("..", "testdata", "collectors", prefix+"*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no %s seeds: %v", prefix, err)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(append([]byte("\xef\xbb\xbf"), b...)) // as PowerShell 5.1 writes it
	}
	for _, s := range extra {
		f.Add([]byte(s))
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Add([]byte("{\"id\":\"pc\xfc\"}"))
}

// checkRefusal: a refused document gets a ValidationError whose every
// problem says something, none of them too many.
func checkRefusal(t *testing.T, err error) {
	t.Helper()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("refused with %T %v, not a *ValidationError", err, err)
	}
	if len(ve.Errors) == 0 || len(ve.Errors) > maxFieldErrors+1 {
		t.Fatalf("refused with %d problems", len(ve.Errors))
	}
	for _, fe := range ve.Errors {
		if fe.Detail == "" || !utf8.ValidString(fe.Detail) || !utf8.ValidString(fe.Pointer) {
			t.Fatalf("a problem without a readable detail: %+v", fe)
		}
	}
}

// checkNames: every name an accepted document stores is a valid name, and
// its stored form is stable.
func checkNames(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		if n == "" {
			continue
		}
		if err := CheckName(n); err != nil {
			t.Fatalf("accepted name %q: %v", n, err)
		}
		norm := NormalizeName(n)
		if NormalizeName(norm) != norm {
			t.Fatalf("NormalizeName(%q) = %q is not stable: %q", n, norm, NormalizeName(norm))
		}
		if err := CheckName(norm); err != nil {
			t.Fatalf("the stored form %q of accepted %q is refused: %v", norm, n, err)
		}
	}
}

// roundTrip encodes an accepted document and decodes it again: what was
// accepted once must be accepted again, unchanged.
func roundTrip[T any](t *testing.T, v *T, decode func([]byte, time.Time) (*T, error)) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("an accepted document does not encode: %v", err)
	}
	again, err := decode(b, fuzzNow)
	if err != nil {
		t.Fatalf("an accepted document, encoded again, is refused: %v\n%s", err, b)
	}
	b2, _ := json.Marshal(again)
	if !bytes.Equal(b, b2) {
		t.Fatalf("decoding changed an accepted document:\n%s\n%s", b, b2)
	}
}

func FuzzDecodeReport(f *testing.F) {
	seedDocuments(f, "report-", readmeReport)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := DecodeReport(data, fuzzNow)
		// The streaming decoder and the strict one agree on every document.
		strict, serr := Decode[Report](data, fuzzNow)
		if (err == nil) != (serr == nil) {
			t.Fatalf("streaming says %v, strict says %v", err, serr)
		}
		if err != nil {
			checkRefusal(t, err)
			checkRefusal(t, serr)
			return
		}
		if a, b := mustJSON(t, r), mustJSON(t, strict); !bytes.Equal(a, b) {
			t.Fatalf("streaming and strict decoding differ:\n%s\n%s", a, b)
		}
		roundTrip(t, r, DecodeReport)
		names := []string{r.Server.Name, r.Collector.Host}
		names = append(names, r.Server.Aliases...)
		if r.Sync != nil && r.Sync.Upstream != nil {
			names = append(names, r.Sync.Upstream.Host)
		}
		if r.Clients != nil {
			for _, c := range r.Clients.Items {
				names = append(names, c.Name)
			}
		}
		checkNames(t, names...)
		r.Normalize()
		once := mustJSON(t, r)
		r.Normalize()
		if !bytes.Equal(once, mustJSON(t, r)) {
			t.Fatal("Normalize is not idempotent")
		}
	})
}

func FuzzDecodeClientReport(f *testing.F) {
	seedDocuments(f, "client-report-")
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := DecodeClientReport(data, fuzzNow)
		if err != nil {
			checkRefusal(t, err)
			return
		}
		roundTrip(t, r, DecodeClientReport)
		checkNames(t, r.Client.Name, r.Collector.Host)
		r.Normalize()
		once := mustJSON(t, r)
		r.Normalize()
		if !bytes.Equal(once, mustJSON(t, r)) {
			t.Fatal("Normalize is not idempotent")
		}
	})
}

func FuzzDecodeInventory(f *testing.F) {
	seedDocuments(f, "inventory-")
	f.Fuzz(func(t *testing.T, data []byte) {
		inv, err := DecodeInventory(data, fuzzNow)
		if err != nil {
			checkRefusal(t, err)
			return
		}
		roundTrip(t, inv, DecodeInventory)
		seen := map[string]bool{}
		for _, it := range inv.Items {
			checkNames(t, it.Name)
			key := NormalizeName(it.Name)
			if seen[key] {
				t.Fatalf("two items are one computer %q, yet the inventory was accepted", key)
			}
			seen[key] = true
		}
		if inv.Collector != nil {
			checkNames(t, inv.Collector.Host)
		}
	})
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDecodeSeedsAccepted: the fuzz seeds are real documents, accepted as
// they are (a seed corpus of refusals would fuzz only the error paths).
func TestDecodeSeedsAccepted(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "collectors", "*.json"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		switch base := filepath.Base(file); {
		case strings.HasPrefix(base, "report-"):
			_, err = DecodeReport(b, fuzzNow)
		case strings.HasPrefix(base, "client-report-"):
			_, err = DecodeClientReport(b, fuzzNow)
		case strings.HasPrefix(base, "inventory-"):
			_, err = DecodeInventory(b, fuzzNow)
		default:
			t.Errorf("%s: which document is it?", base)
		}
		if err != nil {
			t.Errorf("%s: %v", file, err)
		}
	}
	if _, err := DecodeReport([]byte(readmeReport), fuzzNow); err != nil {
		t.Errorf("the README's curl example: %v", err)
	}
}

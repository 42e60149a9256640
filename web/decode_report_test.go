package web

import (
	"cmp"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	jsonv2 "github.com/go-json-experiment/json"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/store/storetest"
)

var decodeNow = time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)

// benchReport is the small report of the push benchmark (9 vDir checks, 2
// events).
func benchReport(tb testing.TB) []byte {
	tb.Helper()
	r := storetest.Report("bench-1", "wsus001.corp.example", decodeNow.Add(-time.Minute))
	r.Events = []probes.Event{
		{ID: 12072, Source: "Windows Server Update Services", Level: "Error", Time: r.CollectedAt, Message: "The WSUS content directory is not accessible."},
		{ID: 364, Source: "Windows Server Update Services", Level: "Warning", Time: r.CollectedAt, Message: "Content file download failed."},
	}
	b, err := json.Marshal(r)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// sameDecoding fails unless decodeReport and probes.DecodeReport accept the
// same document as the same report, or refuse it with the same problems.
func sameDecoding(t *testing.T, doc []byte) {
	t.Helper()
	sameAs(t, doc, decodeReport, probes.DecodeReport)
}

// sameClientDecoding is sameDecoding for client reports.
func sameClientDecoding(t *testing.T, doc []byte) {
	t.Helper()
	sameAs(t, doc, decodeClientReport, probes.DecodeClientReport)
}

func sameAs[T any](t *testing.T, doc []byte, fast, probesDecode func([]byte, time.Time) (*T, error)) {
	t.Helper()
	got, gotErr := fast(doc, decodeNow)
	want, wantErr := probesDecode(doc, decodeNow)
	if !reflect.DeepEqual(problemSet(gotErr), problemSet(wantErr)) {
		t.Fatalf("%q:\nerror %v\nwant  %v", doc, gotErr, wantErr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q:\ndecoded %+v\nwant    %+v", doc, got, want)
	}
}

// problemSet is err with its problems in order: encoding/json's unknown
// fields are listed in the order of a map's iteration.
func problemSet(err error) any {
	var ve *probes.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	c := *ve
	c.Errors = slices.Clone(ve.Errors)
	slices.SortFunc(c.Errors, func(a, b probes.FieldError) int {
		return cmp.Or(cmp.Compare(a.Pointer, b.Pointer), cmp.Compare(a.Detail, b.Detail))
	})
	return c
}

// decodeSeeds: the collectors' example reports, the benchmark's, and
// documents where the two JSON decoders could part ways.
func decodeSeeds(tb testing.TB) [][]byte {
	seeds := withBOM(examples(tb, "*report*.json"))
	const head = `{"schema":"wsusfleet.report.v1","id":"r1","collected_at":"2026-11-21T09:30:00Z","collector":{"name":"c","vantage":"remote"},`
	for _, s := range []string{
		``, ` `, `null`, `{}`, `[]`, `"x"`,
		head + `"server":{"name":"wsus01","url":"http://wsus01:8530"}}`,
		head + `"server":{"name":"wsus01","url":"http://wsus01:8530"}} `,
		head + `"server":{"name":"wsus01","url":"http://wsus01:8530"}} {}`,
		head + `"server":{"name":"wsus01","url":"http://wsus01:8530"}}x`,
		head + `"Server":{"name":"wsus01","url":"http://wsus01:8530"}}`,                 // another case: encoding/json takes it
		head + `"server":{"NAME":"wsus01","url":"http://wsus01:8530"}}`,                 // nested, another case
		head + `"server":{"name":"wsus01","name":"wsus02","url":"http://wsus01:8530"}}`, // duplicate: the last wins
		head + `"server":{"name":"wsus01","url":"http://wsus01:8530","extra":1}}`,       // unknown
		head + `"server":{"name":"wsus01","url":"http://wsus01:8530"},"vdir_checks":[{"vdir":"Content","url":"http://wsus01:8530/Content/","status":1e2,"latency_ms":1}]}`,
		head + `"server":{"name":"wsus01","url":"http://wsus01:8530"},"vdir_checks":[{"vdir":"Content","url":"http://wsus01:8530/Content/","status":-0,"latency_ms":-0}]}`,
		head + `"server":{"name":"wsus01","url":"http://wsus01:8530"},"vdir_checks":[{"vdir":"Content","url":"http://wsus01:8530/Content/","status":200.0,"latency_ms":1e400}]}`,
		head + `"server":{"name":"wsus01","url":"http://wsus01:8530"},"vdir_checks":[{"vdir":"Content","url":"http://wsus01:8530/Content/","status":99999999999999999999,"latency_ms":1}]}`,
		head + `"server":{"name":"wsus01","url":"http://wsus01:8530"},"vdir_checks":null,"events":[null]}`,
		head + `"server":{"name":"wsus01","url":"http://wsus01:8530"},"events":[{"id":1,"source":"s","level":"Error","time":123,"message":"m"}]}`,
		head + `"server":{"name":"wsus01","url":"http://wsus01:8530"},"events":[{"id":1,"source":"s","level":"Error","time":{"a":1},"message":"m"}]}`,
		head + `"server":{"name":"wsus01","url":"http://wsus01:8530"},"events":[{"id":1,"source":"s","level":"Error","time":"0001-01-01T00:00:00Z","message":"m"}]}`,
		head + `"server":{"name":"wsus01","url":"http://wsus01:8530"},"events":[{"id":1,"source":"s\ud800x","level":"Error","time":null,"message":"\u00e9\"\\"}]}`,
		head + `"server":{"name":"wsus01","url":"http://wsus01:8530"},"events":[{"id":1,"source":"s","level":"Error","time":"2026-11-21T09:30:00+01:00","message":"m"}]}`,
		head + `"server":{"name":"wsus\u0030\u0031","url":"http://wsus01:8530"}}`,
		head + "\"server\":{\"name\":\"wsus\xfc\",\"url\":\"http://wsus01:8530\"}}",
		head + `"server":{"name":"wsus01","url":"http://wsus01:8530"},"collected_at":"2026-11-21T09:31:00Z"}`,
		head + `"server":{"name":"wsus01","url":"http://wsus01:8530"},"server":null}`,
		head + `"server":{"name":"wsus01","url":"http://wsus01:8530"},"vdir_checks":{}}`,
		head + `"server":{"name":"wsus01","url":"http://wsus01:8530"},"clients":{"complete":true,"items":[{"name":"pc1"},{"name":"PC1"}]}}`,
	} {
		seeds = append(seeds, []byte(s))
	}
	return append(seeds, benchReport(tb))
}

// clientDecodeSeeds: the client collector's examples, and client reports
// where the two JSON decoders could part ways.
func clientDecodeSeeds(tb testing.TB) [][]byte {
	seeds := withBOM(examples(tb, "client-report-*.json"))
	const head = `{"schema":"wsusfleet.client-report.v1","id":"c1","collected_at":"2026-11-21T09:30:00Z","collector":{"name":"c","vantage":"client"},`
	const client = `"client":{"name":"pc1.corp.example","wu_server":"http://wsus01:8530","use_wu_server":true,"au_options":4}`
	for _, s := range []string{
		``, `null`, `{}`,
		head + client + `}`,
		head + client + `} {}`,
		head + `"Client":{"name":"pc1.corp.example","wu_server":"http://wsus01:8530"}}`,                           // another case
		head + `"client":{"name":"pc1.corp.example","name":"pc2.corp.example","wu_server":"http://wsus01:8530"}}`, // duplicate
		head + `"client":{"name":"pc1.corp.example","wu_server":"http://wsus01:8530","extra":1}}`,                 // unknown
		head + `"client":{"name":"pc1.corp.example","use_wu_server":1,"au_options":"4"}}`,                         // wrong types
		head + `"client":{"name":"pc1.corp.example","use_wu_server":null,"au_options":4.0}}`,
		head + `"client":{"name":"pc1.corp.example\ud800"}}`,
		head + "\"client\":{\"name\":\"pc\xfc.corp.example\"}}",
		head + client + `,"vdir_checks":[{"vdir":"ClientWebService","url":"http://wsus01:8530/ClientWebService/client.asmx","status":401,"substatus":2,"latency_ms":1e1}]}`,
		head + client + `,"vdir_checks":[null],"update_errors":null}`,
		head + client + `,"collected_at":"2026-11-21T09:31:00+01:00"}`,
	} {
		seeds = append(seeds, []byte(s))
	}
	return seeds
}

func TestDecodeClientReportAsProbes(t *testing.T) {
	for _, doc := range clientDecodeSeeds(t) {
		sameClientDecoding(t, doc)
	}
	// The collector's examples take the one pass (or it saves nothing).
	docs := examples(t, "client-report-*.json")
	if len(docs) == 0 {
		t.Fatal("no client report examples in testdata/collectors")
	}
	for _, b := range docs {
		var cr probes.ClientReport
		if !decodeOnePass(b, &cr) {
			t.Errorf("%.80q...: not decoded in one pass", b)
		}
	}
}

// examples are the collectors' example documents whose names match pattern.
func examples(tb testing.TB, pattern string) [][]byte {
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "collectors", pattern))
	var out [][]byte
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// withBOM is docs, each also after a byte-order mark (PowerShell 5.1
// writes one).
func withBOM(docs [][]byte) [][]byte {
	var out [][]byte
	for _, b := range docs {
		out = append(out, b, append([]byte("\xef\xbb\xbf"), b...))
	}
	return out
}

// go test -run '^$' -fuzz FuzzDecodeClientReportAsProbes -fuzztime 2m ./web/
func FuzzDecodeClientReportAsProbes(f *testing.F) {
	for _, doc := range clientDecodeSeeds(f) {
		f.Add(doc)
	}
	f.Fuzz(sameClientDecoding)
}

func TestDecodeReportAsProbes(t *testing.T) {
	for _, doc := range decodeSeeds(t) {
		sameDecoding(t, doc)
	}
}

// The benchmark's report and the collectors' examples take the one-pass
// decoder (or the change saves nothing).
func TestDecodeReportOnePass(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "collectors", "report-*.json"))
	docs := [][]byte{benchReport(t)}
	for _, file := range files {
		b, _ := os.ReadFile(file)
		docs = append(docs, b)
	}
	for _, doc := range docs {
		var r probes.Report
		if err := jsonv2.Unmarshal(doc, &r, jsonv2.RejectUnknownMembers(true)); err != nil {
			t.Errorf("%.60q...: %v", doc, err)
		}
	}
}

// go test -run '^$' -fuzz FuzzDecodeReportAsProbes -fuzztime 2m ./web/
func FuzzDecodeReportAsProbes(f *testing.F) {
	for _, doc := range decodeSeeds(f) {
		f.Add(doc)
	}
	f.Fuzz(sameDecoding)
}

// decodeReport makes room for the checks before decoding: a report without
// them, with none ([]), with null, with fewer or more than it made room for
// decodes as probes.DecodeReport decodes it (nil stays nil, [] stays empty).
func TestDecodeReportPresizedChecks(t *testing.T) {
	var full map[string]any
	if err := json.Unmarshal(benchReport(t), &full); err != nil {
		t.Fatal(err)
	}
	checks := full["vdir_checks"].([]any)
	for _, tc := range []struct {
		name   string
		checks any
	}{
		{"absent", nil}, {"empty", []any{}}, {"null", json.RawMessage("null")},
		{"one", checks[:1]}, {"all", checks}, {"more than made room for", append(slices.Clone(checks), checks...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := maps.Clone(full)
			delete(doc, "vdir_checks")
			if tc.checks != nil {
				doc["vdir_checks"] = tc.checks
			}
			b, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			sameDecoding(t, b)
			r, err := decodeReport(b, decodeNow)
			if err != nil {
				t.Fatal(err)
			}
			if absent := tc.name == "absent" || tc.name == "null"; absent != (r.VDirChecks == nil) {
				t.Errorf("checks nil: %v, want %v", r.VDirChecks == nil, absent)
			}
		})
	}
}

package probes

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

var testNow = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

func readFile(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestDesignExamplesDecode(t *testing.T) {
	r, err := DecodeReport(readFile(t, "testdata/report-design-example.json"), testNow)
	if err != nil {
		t.Fatalf("design report example rejected: %v", err)
	}
	if r.Server.Name != "wsus01.corp.example" || len(r.VDirChecks) != 1 || *r.AppPool.QueueLength != 1000 {
		t.Fatalf("decoded wrongly: %+v", r)
	}
	never := r.Clients.Items[1]
	if !never.LastReport.IsZero() || !never.LastSync.IsZero() {
		t.Errorf("WSUS never values must decode as zero, got %v / %v", never.LastReport, never.LastSync)
	}
	if got := r.Clients.Items[0].LastReport.Time; !got.Equal(time.Date(2026, 11, 20, 22, 5, 0, 0, time.UTC)) {
		t.Errorf("last_report = %v", got)
	}
	if _, err := DecodeClientReport(readFile(t, "testdata/client-report-design-example.json"), testNow); err != nil {
		t.Errorf("design client report example rejected: %v", err)
	}
	if _, err := DecodeInventory(readFile(t, "testdata/inventory-design-example.json"), testNow); err != nil {
		t.Errorf("design inventory example rejected: %v", err)
	}
}

func TestDecodeAcceptsBOMAndOffsets(t *testing.T) {
	body := "\xef\xbb\xbf" + `{"schema":"wsusfleet.report.v1","id":"a1","collected_at":"2026-11-21T10:30:00+01:00",
		"collector":{"name":"x","vantage":"remote"},"server":{"name":"WSUS01.Corp.Example."}}`
	r, err := DecodeReport([]byte(body), testNow)
	if err != nil {
		t.Fatal(err)
	}
	if !r.CollectedAt.Equal(time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC)) || r.CollectedAt.Location() != time.UTC {
		t.Errorf("collected_at not converted to UTC: %v", r.CollectedAt)
	}
	if NormalizeName(r.Server.Name) != "wsus01.corp.example" {
		t.Errorf("NormalizeName = %q", NormalizeName(r.Server.Name))
	}
}

// minimal returns a valid report with one substitution applied to its JSON text.
func minimal(old, new string) string {
	base := `{"schema":"wsusfleet.report.v1","id":"r-1","collected_at":"2026-11-21T09:30:00Z",` +
		`"collector":{"name":"test","vantage":"server"},"server":{"name":"wsus01"},` +
		`"vdir_checks":[{"vdir":"ClientWebService","url":"http://wsus01:8530/ClientWebService/client.asmx","status":200,"latency_ms":3}]}`
	if old == "" {
		return base
	}
	if !strings.Contains(base, old) {
		panic("minimal: " + old + " not in base")
	}
	return strings.Replace(base, old, new, 1)
}

func TestDecodeReportProblems(t *testing.T) {
	cases := []struct {
		name, body string
		syntax     bool
		want       []string // pointer + ": " + part of the detail
	}{
		{"empty body", "  ", true, []string{": the body is empty"}},
		{"not JSON", "schema=1", true, []string{": malformed JSON at line 1, column 1"}},
		{"truncated", minimal("", "")[:40], true, []string{": malformed JSON"}},
		{"trailing junk", minimal("", "") + "{}", true, []string{": unexpected data after"}},
		{"array", `[1]`, false, []string{": must be an object"}},
		{"unknown field", minimal(`"server":{`, `"severs":1,"server":{`), false, []string{"/severs: unknown field"}},
		{"unknown nested field", minimal(`"status":200`, `"status":200,"colour":"red"`), false,
			[]string{"/vdir_checks/0/colour: unknown field"}},
		{"wrong types everywhere", minimal(`"status":200,"latency_ms":3`, `"status":"200","latency_ms":true`), false,
			[]string{"/vdir_checks/0/status: must be an integer", "/vdir_checks/0/latency_ms: must be a number"}},
		{"fraction status", minimal(`"status":200`, `"status":200.5`), false, []string{"/vdir_checks/0/status: must be an integer in range"}},
		{"wrong schema", minimal(`report.v1`, `report.v2`), false, []string{"/schema: must be one of wsusfleet.report.v1"}},
		{"missing id and name", minimal(`"id":"r-1",`, ``), false, []string{"/id: is required"}},
		{"missing server name", minimal(`"server":{"name":"wsus01"}`, `"server":{}`), false, []string{"/server/name: is required"}},
		{"future time", minimal(`2026-11-21T09:30:00Z`, `2026-11-23T09:30:00Z`), false, []string{"/collected_at: is more than a day in the future"}},
		{"ancient time", minimal(`2026-11-21T09:30:00Z`, `1989-12-31T00:00:00Z`), false, []string{"/collected_at: is before 1990"}},
		{"time without offset", minimal(`2026-11-21T09:30:00Z`, `2026-11-21T09:30:00`), false, []string{"/collected_at: must be an RFC 3339 time"}},
		{"never value where not allowed", minimal(`2026-11-21T09:30:00Z`, `0001-01-01T00:00:00`), false, []string{"/collected_at: is a WSUS 'never' value"}},
		{"control character", minimal(`"name":"test"`, `"name":"te\u0007st"`), false, []string{"/collector/name: contains a control character"}},
		{"kilobytes of junk", minimal(`"name":"wsus01"`, `"name":"`+strings.Repeat("x", 5000)+`"`), false, []string{"/server/name: is 5000 bytes long; at most 253"}},
		{"unknown vdir", minimal(`"vdir":"ClientWebService"`, `"vdir":"Foo"`), false, []string{"/vdir_checks/0/vdir: must be one of ClientWebService"}},
		{"not http", minimal(`"url":"http://wsus01:8530/`, `"url":"ftp://wsus01:8530/`), false, []string{"/vdir_checks/0/url: must be an http:// or https:// URL"}},
		{"client vantage", minimal(`"vantage":"server"`, `"vantage":"client"`), false, []string{"/collector/vantage: a server report's vantage"}},
		{"server url with path", minimal(`"server":{"name":"wsus01"}`, `"server":{"name":"wsus01","url":"http://wsus01:8530/ClientWebService"}`), false,
			[]string{"/server/url: must be the server's base URL"}},
		{"upstream missing", minimal(`"server":{`, `"sync":{"from":"upstream"},"server":{`), false, []string{"/sync/upstream: is required"}},
		{"duplicate client", minimal(`"server":{`, `"clients":{"complete":true,"items":[{"id":"A","name":"a"},{"id":"a","name":"b"}]},"server":{`), false,
			[]string{"/clients/items/1/id: duplicates /clients/items/0"}},
		{"unknown field in a client", minimal(`"server":{`, `"clients":{"complete":true,"items":[{"name":"a"},{"name":"b","colour":"red"}]},"server":{`), false,
			[]string{"/clients/items/1/colour: unknown field"}},
		{"unknown field in the client list", minimal(`"server":{`, `"clients":{"complete":true,"itemz":[]},"server":{`), false,
			[]string{"/clients/itemz: unknown field"}},
		{"client of the wrong type", minimal(`"server":{`, `"clients":{"items":[{"name":"a"},7]},"server":{`), false,
			[]string{"/clients/items/1: must be an object"}},
		{"bad time in a client", minimal(`"server":{`, `"clients":{"items":[{"name":"a","last_report":"yesterday"}]},"server":{`), false,
			[]string{"/clients/items/0/last_report: must be an RFC 3339 time"}},
		{"name with space", minimal(`"name":"wsus01"`, `"name":"wsus 01"`), false, []string{"/server/name: must be a host name without spaces"}},
		{"negative latency", minimal(`"latency_ms":3`, `"latency_ms":-1`), false, []string{"/vdir_checks/0/latency_ms: must be at least 0"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeReport([]byte(tc.body), testNow)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("want *ValidationError, got %v", err)
			}
			if ve.Syntax != tc.syntax {
				t.Errorf("Syntax = %v, want %v", ve.Syntax, tc.syntax)
			}
			var got []string
			for _, f := range ve.Errors {
				got = append(got, f.Pointer+": "+f.Detail)
			}
			for _, w := range tc.want {
				if !slices.ContainsFunc(got, func(g string) bool { return strings.HasPrefix(g, w) }) {
					t.Errorf("missing problem %q in %q", w, got)
				}
			}
		})
	}
}

func TestDecodeListsEveryProblemBounded(t *testing.T) {
	var sb strings.Builder
	sb.WriteString(`{"schema":"wsusfleet.report.v1","id":"r","collected_at":"2026-11-21T09:30:00Z","collector":{"name":"t","vantage":"server"},"server":{"name":"w"},"events":[`)
	for i := range 500 {
		if i > 0 {
			sb.WriteString(",")
		}
		sb.WriteString(`{"id":1,"source":"s","level":"Loud","time":"2026-11-21T09:30:00Z"}`)
	}
	sb.WriteString(`]}`)
	_, err := DecodeReport([]byte(sb.String()), testNow)
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatal(err)
	}
	if len(ve.Errors) != maxFieldErrors+1 || !strings.Contains(ve.Errors[maxFieldErrors].Detail, "400 more problems") {
		t.Fatalf("want %d listed problems and a count of the rest; got %d, last %q", maxFieldErrors, len(ve.Errors), ve.Errors[len(ve.Errors)-1].Detail)
	}
	if ve.Errors[1].Pointer != "/events/1/level" {
		t.Errorf("second problem at %q", ve.Errors[1].Pointer)
	}
}

func TestPointerEscaping(t *testing.T) {
	_, err := DecodeReport([]byte(minimal(`"server":{`, `"a/b~c":1,"server":{`)), testNow)
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Errors[0].Pointer != "/a~1b~0c" {
		t.Fatalf("want RFC 6901 escaping, got %v", err)
	}
}

func TestClientAndInventoryValidation(t *testing.T) {
	cr := strings.Replace(string(readFile(t, "testdata/client-report-design-example.json")), `"vantage": "client"`, `"vantage": "server"`, 1)
	if _, err := DecodeClientReport([]byte(cr), testNow); err == nil || !strings.Contains(err.Error(), "/collector/vantage") {
		t.Errorf("client report with server vantage: %v", err)
	}
	inv := `{"schema":"wsusfleet.inventory.v1","id":"i","collected_at":"2026-11-21T06:00:00Z","source":"ad","complete":true,
		"items":[{"name":"PC1.corp","enabled":true},{"name":"pc1.corp.","enabled":false}]}`
	if _, err := DecodeInventory([]byte(inv), testNow); err == nil || !strings.Contains(err.Error(), "/items/1/name: duplicates /items/0") {
		t.Errorf("duplicate inventory names: %v", err)
	}
}

// A certificate's expiry lies years ahead; only collection times are bounded.
func TestCertificateExpiryMayBeFarAhead(t *testing.T) {
	body := minimal(`"latency_ms":3`, `"latency_ms":3,"tls":{"not_after":"2031-01-01T00:00:00Z","chain_valid":true,"name_matches":true}`)
	if _, err := DecodeReport([]byte(body), testNow); err != nil {
		t.Fatalf("a valid certificate was rejected: %v", err)
	}
}

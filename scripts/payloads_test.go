package scripts

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/wsusfleet/wsusfleet/probes"
)

// payloadDir holds the example payloads: exactly the JSON the scripts emit
// (property names, order and value formats), pretty-printed for review.
var payloadDir = filepath.Join("..", "testdata", "collectors")

// payloadNow is "now" for validation: the payloads were collected on
// 2026-11-21 between 06:00 and 09:30 UTC.
var payloadNow = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

// payloadCase is one example payload, where it is posted, and values the
// dashboard must end up with. Want is evaluated on the decoded document
// marshalled back to JSON (WSUS "never" values become null, times UTC), so
// an ingest test can post File to Endpoint and compare the same values with
// what it reads back.
type payloadCase struct {
	File     string
	Script   string // the collector that emits it
	Endpoint string
	Want     []want
	Check    func(tb testing.TB, doc any) // typed checks Want cannot express
	// Preamble marks what the script's PowerShell 2.0 preamble sends from
	// PowerShell before 5.1: its $WfLegacyDocument filled in, not built by
	// New-WfObject (preamble_test.go checks it against that template).
	Preamble bool
}

type want struct {
	Pointer string // RFC 6901 pointer into the decoded document
	Value   any    // compared as JSON
}

var payloadCases = []payloadCase{
	{
		File: "report-wid-http.json", Script: "Send-WsusFleetReport.ps1", Endpoint: "/api/v1/reports",
		Want: []want{
			{"/id", "6f1d2c3b-4a5e-4f60-8a71-92b3c4d5e6f7"},
			{"/collector/vantage", "server"},
			{"/server/name", "wsus01.corp.example"},
			{"/server/url", "http://wsus01.corp.example:8530"},
			{"/server/ssl", nil},
			{"/server/database", "WID"},
			{"/server/not_declined_updates", 7412},
			{"/vdir_checks/4/vdir", "ApiRemoting30"},
			{"/vdir_checks/4/www_authenticate", []string{"Negotiate", "NTLM"}},
			{"/vdir_checks/8/status", 401},
			{"/vdir_checks/8/substatus", 3},
			{"/vdir_checks/9/url", "http://wsus01.corp.example/selfupdate/wuident.cab"},
			{"/vdir_checks/9/status", 0},
			{"/vdir_checks/9/error_kind", "connect"},
			{"/vdir_config/4/windows_auth", true},
			{"/vdir_config/4/anonymous", false},
			{"/app_pool/queue_length", 1000},
			{"/app_pool/private_memory_kb", 1843200},
			{"/services/0/start_type", "AutomaticDelayedStart"},
			{"/services/3/name", "MSSQL$MICROSOFT##WID"},
			{"/acls/7/path", "D:\\WSUS\\WsusContent"},
			{"/acls/7/principal", "NT AUTHORITY\\NETWORK SERVICE"},
			{"/acls/7/rights", []string{"ReadAndExecute", "Synchronize"}},
			{"/events/0/id", 12072},
			{"/events/0/level", "Error"},
			{"/events/0/time", "2026-11-21T09:12:04Z"},
			{"/events/3/id", 5186},
			{"/events/3/source", "Microsoft-Windows-WAS"},
			{"/events/3/level", "Information"},
			{"/server/aliases", []string{"wsus01", "wsus.corp.example"}},
			{"/server/addresses", []string{"10.0.0.11"}},
			{"/sync/from", "microsoft_update"},
			{"/sync/upstream", nil},
			{"/sync/last/result", "Succeeded"},
			{"/clients/complete", true},
			{"/clients/items/0/last_report", "2026-11-21T08:03:40Z"},
			{"/clients/items/1/last_report", nil},
			{"/clients/items/1/last_sync", nil},
			{"/clients/items/1/last_sync_result", "NeverRun"},
			{"/clients/items/2/last_sync_result", "Failed"},
			{"/clients/items/3/os", "Windows Server 2022 Standard"},
			{"/vdir_config/0/site", "WSUS Administration"},
		},
	},
	{
		File: "report-sql-ssl.json", Script: "Send-WsusFleetReport.ps1", Endpoint: "/api/v1/reports",
		Want: []want{
			{"/server/url", "https://wsus02.corp.example:8531"},
			{"/server/http_port", 8530},
			{"/server/https_port", 8531},
			{"/server/ssl", true},
			{"/server/database", "SQL WSUS02\\WSUSDB"},
			{"/server/targeting", "server"},
			{"/vdir_checks/0/url", "https://wsus02.corp.example:8531/ClientWebService/client.asmx"},
			{"/vdir_checks/0/tls/chain_valid", true},
			{"/vdir_checks/0/tls/not_after", "2027-03-14T11:59:59Z"},
			{"/vdir_checks/9/url", "http://wsus02.corp.example:8530/selfupdate/wuident.cab"},
			{"/vdir_checks/9/tls", nil},
			// SSL mode: clients download content over HTTP, on the SSL port - 1.
			{"/vdir_checks/10/vdir", "Content"},
			{"/vdir_checks/10/url", "http://wsus02.corp.example:8530/Content/"},
			{"/vdir_checks/10/status", 403},
			{"/vdir_checks/11/status", 301},
			{"/vdir_checks/11/location", "https://wsus02.corp.example/selfupdate/wuident.cab"},
			{"/server/aliases", []string{"wsus02", "wsus-sec.corp.example"}},
			{"/server/addresses", []string{"10.0.0.12", "fd00:10::12"}},
			{"/vdir_config/0/require_ssl", true},
			{"/vdir_config/5/require_ssl", false},
			{"/app_pool/queue_length", 2000},
			{"/app_pool/private_memory_kb", 0},
			{"/app_pool/ping_enabled", false},
			{"/services/3/name", "MSSQL$WSUSDB"},
			{"/acls/3/type", "Deny"},
			{"/clients/items/1/ip", "fd00:10:2::58"},
		},
		Check: func(tb testing.TB, doc any) {
			// No WSUS events in the last 24 h is a fact: an empty list
			// (which clears the dashboard's events), not an absent one.
			if r := doc.(*probes.Report); r.Events == nil || len(r.Events) != 0 {
				tb.Errorf("events = %#v; want an empty, non-nil list", r.Events)
			}
		},
	},
	{
		File: "report-ssl-name-mismatch.json", Script: "Send-WsusFleetReport.ps1", Endpoint: "/api/v1/reports",
		Want: []want{
			{"/server/ssl", true},
			{"/vdir_checks/0/status", 0},
			{"/vdir_checks/0/error_kind", "tls"},
			{"/vdir_checks/0/tls/name_matches", false},
			{"/vdir_checks/0/tls/sans", []string{"WSUS03"}},
			{"/vdir_checks/0/tls/not_after", "2026-12-05T08:00:00Z"},
			{"/vdir_checks/9/status", 200},
			{"/app_pool", nil},
			{"/clients", nil},
		},
		Check: func(tb testing.TB, doc any) {
			// Sections left out with -Skip stay absent: the dashboard keeps
			// what it had.
			r := doc.(*probes.Report)
			if r.VDirConfig != nil || r.Services != nil || r.ACLs != nil || r.Events != nil || r.Sync != nil || r.Clients != nil {
				tb.Errorf("skipped sections must be absent: %+v", r)
			}
		},
	},
	{
		File: "report-replica-downstream.json", Script: "Send-WsusFleetReport.ps1", Endpoint: "/api/v1/reports",
		Want: []want{
			{"/server/name", "wsus-br01.branch.corp.example"},
			{"/server/database", "SQL sql-br01.branch.corp.example\\WSUS"},
			{"/sync/from", "upstream"},
			{"/sync/upstream/host", "wsus-hq.corp.example"},
			{"/sync/upstream/port", 8531},
			{"/sync/upstream/ssl", true},
			{"/sync/upstream/replica", true},
			{"/sync/last/result", "Failed"},
			{"/sync/last/finished_at", "2026-11-21T03:00:41Z"},
			{"/clients/complete", true},
			{"/clients/items/0/groups", []string{"Branch", "Kiosks"}},
			// What stopped the pool: rapid-fail protection after crashes, and
			// memory-limit recycles before them (System log, WAS).
			{"/events/2/id", 5002},
			{"/events/2/source", "Microsoft-Windows-WAS"},
			{"/events/2/level", "Error"},
			{"/events/5/id", 5117},
			{"/events/5/level", "Information"},
		},
	},
	{
		File: "report-iis-stopped.json", Script: "Send-WsusFleetReport.ps1", Endpoint: "/api/v1/reports",
		Want: []want{
			{"/vdir_checks/0/error_kind", "connect"},
			{"/vdir_checks/0/error", "Unable to connect to the remote server"},
			// Not asked again after the refused connection, but reported failed.
			{"/vdir_checks/8/vdir", "Content"},
			{"/vdir_checks/8/status", 0},
			{"/vdir_checks/8/error_kind", "connect"},
			{"/vdir_checks/8/latency_ms", 0},
			{"/vdir_checks/9/url", "http://wsus07.corp.example/selfupdate/wuident.cab"},
			{"/vdir_checks/9/error_kind", "connect"},
			{"/services/1/name", "W3SVC"},
			{"/services/1/state", "Stopped"},
		},
		Check: func(tb testing.TB, doc any) {
			r := doc.(*probes.Report)
			if len(r.VDirChecks) != 10 {
				tb.Errorf("%d vdir checks; want all 10 of the server's list, the skipped ones failed", len(r.VDirChecks))
			}
			for i, c := range r.VDirChecks {
				if c.Status != 0 || c.ErrorKind != probes.ErrorConnect {
					tb.Errorf("vdir_checks/%d: %d %q; want a failed connect", i, c.Status, c.ErrorKind)
				}
			}
		},
	},
	{
		File: "report-wsus-api-missing.json", Script: "Send-WsusFleetReport.ps1", Endpoint: "/api/v1/reports",
		Want: []want{
			{"/server/name", "wsus06.corp.example"},
			{"/server/url", nil},
			{"/vdir_checks", nil},
		},
		Check: func(tb testing.TB, doc any) {
			// Only the name and why: every section stays absent, so the
			// dashboard keeps what it had.
			r := doc.(*probes.Report)
			if !strings.Contains(r.Collector.Error, "Install-WindowsFeature UpdateServices-API") {
				tb.Errorf("collector.error = %q; want the fix", r.Collector.Error)
			}
			if r.VDirChecks != nil || r.VDirConfig != nil || r.AppPool != nil || r.Services != nil || r.ACLs != nil || r.Events != nil || r.Sync != nil || r.Clients != nil {
				tb.Errorf("a collector error carries no sections: %+v", r)
			}
		},
	},
	{
		File: "report-powershell-4.json", Script: "Send-WsusFleetReport.ps1", Endpoint: "/api/v1/reports", Preamble: true,
		Want: []want{
			{"/collector/vantage", "server"},
			{"/server/name", "wsus05.corp.example"},
		},
		Check: checkWMFError,
	},
	{
		File: "client-report-ok.json", Script: "Send-WsusFleetClientReport.ps1", Endpoint: "/api/v1/client-reports",
		Want: []want{
			{"/collector/vantage", "client"},
			{"/client/name", "pc0042.corp.example"},
			{"/client/wu_server", "http://wsus01.corp.example:8530"},
			{"/client/use_wu_server", true},
			{"/client/au_options", 4},
			{"/client/sus_client_id", "0d7c3a4e-1f2b-4c3d-8e9f-0a1b2c3d4e5f"},
			{"/client/services/wuauserv_start", "Manual"},
			{"/client/winhttp_proxy", "direct"},
			{"/vdir_checks/0/vdir", "SelfUpdate"},
			{"/vdir_checks/3/vdir", "ReportingWebService"},
			{"/vdir_checks/3/status", 200},
		},
	},
	{
		File: "client-report-missing-port.json", Script: "Send-WsusFleetClientReport.ps1", Endpoint: "/api/v1/client-reports",
		Want: []want{
			{"/client/wu_server", "http://wsus01.corp.example"},
			{"/client/wu_status_server", "http://wsus01.corp.example"},
			{"/vdir_checks/0/url", "http://wsus01.corp.example/selfupdate/wuident.cab"},
			{"/vdir_checks/0/status", 200},
			{"/vdir_checks/1/status", 302},
			{"/vdir_checks/1/location", "http://wsus01.corp.example:8530/ClientWebService/client.asmx"},
			{"/client/detection_frequency_hours", 4},
		},
	},
	{
		File: "client-report-status-server-differs.json", Script: "Send-WsusFleetClientReport.ps1", Endpoint: "/api/v1/client-reports",
		Want: []want{
			{"/client/wu_server", "https://wsus02.corp.example:8531"},
			{"/client/wu_status_server", "http://wsus-old.corp.example:8530"},
			{"/client/set_proxy_behavior", 1},
			{"/client/dual_scan/defer_quality_updates", true},
			{"/client/dual_scan/disable_dual_scan", nil},
			{"/vdir_checks/0/tls/name_matches", true},
			{"/vdir_checks/3/url", "http://wsus02.corp.example:8530/Content/"},
			{"/vdir_checks/3/status", 403},
			{"/vdir_checks/4/url", "http://wsus-old.corp.example:8530/ReportingWebService/ReportingWebService.asmx"},
			{"/vdir_checks/4/error_kind", "dns"},
		},
	},
	{
		File: "client-report-untrusted-cert.json", Script: "Send-WsusFleetClientReport.ps1", Endpoint: "/api/v1/client-reports",
		Want: []want{
			{"/vdir_checks/0/status", 0},
			{"/vdir_checks/0/error_kind", "tls"},
			{"/vdir_checks/0/tls/chain_valid", false},
			{"/vdir_checks/0/tls/error", "RemoteCertificateChainErrors"},
			{"/client/dual_scan/disable_dual_scan", true},
			// The DMZ firewall lets 8531 through but not the HTTP port
			// clients download content from.
			{"/vdir_checks/3/vdir", "Content"},
			{"/vdir_checks/3/url", "http://wsus02.corp.example:8530/Content/"},
			{"/vdir_checks/3/error_kind", "connect"},
			{"/update_errors/0/operation", "scan"},
			{"/update_errors/0/code", "0x800B0109"},
			{"/update_errors/0/event_id", 25},
			{"/update_errors/0/time", "2026-11-21T07:40:12Z"},
		},
	},
	{
		File: "client-report-anonymous-off.json", Script: "Send-WsusFleetClientReport.ps1", Endpoint: "/api/v1/client-reports",
		Want: []want{
			{"/vdir_checks/1/vdir", "ClientWebService"},
			{"/vdir_checks/1/status", 401},
			{"/vdir_checks/1/substatus", 2},
			{"/vdir_checks/1/www_authenticate", []string{"Negotiate", "NTLM"}},
			{"/update_errors/0/code", "0x80244017"},
			{"/update_errors/1/operation", "scan"},
		},
	},
	{
		File: "client-report-update-source.json", Script: "Send-WsusFleetClientReport.ps1", Endpoint: "/api/v1/client-reports",
		Want: []want{
			{"/client/do_not_connect_to_wu_internet", false},
			{"/client/update_source/use_update_class_policy_source", true},
			{"/client/update_source/feature_updates", 0},
			{"/client/update_source/quality_updates", 1},
			{"/update_errors/0/operation", "download"},
			{"/update_errors/0/code", "0x80072EE2"},
			{"/update_errors/0/event_id", 31},
			{"/update_errors/1/operation", "install"},
			{"/update_errors/1/code", "0x80070643"},
		},
	},
	{
		// AUOptions 7 (Windows Server 2016 and later: notify to install,
		// restart automatically) is a scanning setting, not "never check".
		File: "client-report-au-options-7.json", Script: "Send-WsusFleetClientReport.ps1", Endpoint: "/api/v1/client-reports",
		Want: []want{
			{"/client/name", "app01.corp.example"},
			{"/client/au_options", 7},
			{"/client/use_wu_server", true},
			{"/client/services/wuauserv", "Stopped"},
			{"/client/services/wuauserv_start", "Manual"},
		},
	},
	{
		// The policy could not be read on a client the server lists.
		File: "client-report-collector-error-listed.json", Script: "Send-WsusFleetClientReport.ps1", Endpoint: "/api/v1/client-reports",
		Want: []want{
			{"/collector/error", "the client could not be collected: Requested registry access is not allowed."},
			{"/client/name", "pc0043.corp.example"},
			{"/client/wu_server", nil},
			{"/vdir_checks", nil},
		},
	},
	{
		File: "client-report-collection-failed.json", Script: "Send-WsusFleetClientReport.ps1", Endpoint: "/api/v1/client-reports",
		Want: []want{
			{"/collector/error", "the client could not be collected: Requested registry access is not allowed."},
			{"/client/name", "pc0045.corp.example"},
			{"/client/use_wu_server", nil},
			{"/vdir_checks", nil},
		},
	},
	{
		File: "client-report-powershell-4.json", Script: "Send-WsusFleetClientReport.ps1", Endpoint: "/api/v1/client-reports", Preamble: true,
		Want: []want{
			{"/collector/vantage", "client"},
			{"/client/name", "pc0046.corp.example"},
			{"/client/wu_server", "http://wsus01.corp.example:8530"},
			{"/client/use_wu_server", nil},
		},
		Check: checkWMFError,
	},
	{
		File: "client-report-no-policy.json", Script: "Send-WsusFleetClientReport.ps1", Endpoint: "/api/v1/client-reports",
		Want: []want{
			{"/client/wu_server", nil},
			{"/client/use_wu_server", nil},
			{"/vdir_checks", nil},
			{"/client/services/wuauserv", "Stopped"},
			{"/client/services/wuauserv_start", "Disabled"},
		},
	},
	{
		File: "inventory-ad.json", Script: "Export-WsusFleetInventory.ps1", Endpoint: "/api/v1/inventory",
		Want: []want{
			{"/source", "ad"},
			{"/complete", true},
			{"/collector/vantage", "remote"},
			{"/items/0/name", "pc0042.corp.example"},
			{"/items/0/last_logon", "2026-11-17T07:55:12Z"},
			{"/items/2/enabled", false},
			{"/items/3/last_logon", nil},
			{"/items/4/name", "kiosk07.branch.corp.example"},
		},
	},
}

// checkWMFError checks the note a collector sends from PowerShell before 5.1.
func checkWMFError(tb testing.TB, doc any) {
	var c probes.Collector
	switch d := doc.(type) {
	case *probes.Report:
		c = d.Collector
	case *probes.ClientReport:
		c = d.Collector
	}
	for _, want := range []string{"Windows PowerShell 5.1", "Windows Management Framework 5.1", "https://aka.ms/wmf51download"} {
		if !strings.Contains(c.Error, want) {
			tb.Errorf("collector.error = %q; want it to name %q", c.Error, want)
		}
	}
}

// decodePayload decodes a payload through the dashboard's strict decoder.
func decodePayload(tb testing.TB, pc payloadCase, data []byte) any {
	tb.Helper()
	var doc any
	var err error
	switch pc.Endpoint {
	case "/api/v1/reports":
		doc, err = probes.DecodeReport(data, payloadNow)
	case "/api/v1/client-reports":
		doc, err = probes.DecodeClientReport(data, payloadNow)
	case "/api/v1/inventory":
		doc, err = probes.DecodeInventory(data, payloadNow)
	default:
		tb.Fatalf("%s: unknown endpoint %s", pc.File, pc.Endpoint)
	}
	if err != nil {
		tb.Fatalf("%s: the dashboard rejects it: %v", pc.File, err)
	}
	return doc
}

func readPayload(tb testing.TB, file string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(payloadDir, file))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestEveryPayloadHasACase(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(payloadDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !slices.ContainsFunc(payloadCases, func(pc payloadCase) bool { return pc.File == filepath.Base(f) }) {
			t.Errorf("%s has no entry in payloadCases", f)
		}
	}
}

func TestPayloadsDecode(t *testing.T) {
	for _, pc := range payloadCases {
		t.Run(pc.File, func(t *testing.T) {
			doc := decodePayload(t, pc, readPayload(t, pc.File))
			b, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			var stored any
			if err := json.Unmarshal(b, &stored); err != nil {
				t.Fatal(err)
			}
			if pc.Check != nil {
				pc.Check(t, doc)
			}
			for _, w := range pc.Want {
				got, ok := lookupPointer(stored, w.Pointer)
				gotJSON, _ := json.Marshal(got)
				wantJSON, _ := json.Marshal(w.Value)
				if !ok && w.Value != nil {
					t.Errorf("%s: missing; want %s", w.Pointer, wantJSON)
					continue
				}
				if !bytes.Equal(gotJSON, wantJSON) {
					t.Errorf("%s = %s; want %s", w.Pointer, gotJSON, wantJSON)
				}
			}
		})
	}
}

func TestPayloadsMatchPublishedSchema(t *testing.T) {
	b, err := json.Marshal(probes.DocumentSchema())
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("schema.json", doc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile("schema.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, pc := range payloadCases {
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(readPayload(t, pc.File)))
		if err != nil {
			t.Fatalf("%s: %v", pc.File, err)
		}
		if err := schema.Validate(inst); err != nil {
			t.Errorf("%s: the published JSON Schema rejects it: %v", pc.File, err)
		}
	}
}

// TestPayloadsFollowTheScripts checks that each payload is what its script
// writes: every property is in the script's $WfNames for the type at that
// place, in the table's order (New-WfObject and the document writers emit
// in that order), with no empty strings or lists where New-WfObject leaves
// the property out; and that the payloads of a script together use every
// name the script can emit.
func TestPayloadsFollowTheScripts(t *testing.T) {
	used := map[string]map[string]bool{} // script -> "Type.name"
	for _, pc := range payloadCases {
		if pc.Preamble {
			continue // not built by New-WfObject: preamble_test.go checks it
		}
		c := collectorOf(t, pc.Script)
		s := loadScript(t, c.File)
		root, err := parseOrdered(readPayload(t, pc.File))
		if err != nil {
			t.Fatalf("%s: %v", pc.File, err)
		}
		if used[pc.Script] == nil {
			used[pc.Script] = map[string]bool{}
		}
		w := payloadWalker{t: t, file: pc.File, names: s.Names, used: used[pc.Script]}
		w.walk(root, c.Root, "", false)
	}
	for _, c := range collectors {
		s := loadScript(t, c.File)
		for typeName, names := range s.Names {
			for _, n := range names {
				if !used[c.File][typeName+"."+n] {
					t.Errorf("%s emits %s.%s, but no example payload shows it; add it to testdata/collectors", c.File, typeName, n)
				}
			}
		}
	}
}

func collectorOf(tb testing.TB, file string) collector {
	tb.Helper()
	for _, c := range collectors {
		if c.File == file {
			return c
		}
	}
	tb.Fatalf("no collector %s", file)
	return collector{}
}

type payloadWalker struct {
	t     *testing.T
	file  string
	names map[string][]string
	used  map[string]bool
}

// walk checks node against Go type t; inObject is true for values that
// New-WfObject built (it drops null, "" and empty lists), false for the
// document's own top-level sections, which the writer emits as they are.
func (w payloadWalker) walk(n *jnode, t reflect.Type, ptr string, inObject bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.kind == 'n' {
		w.t.Errorf("%s%s: null; the scripts leave unset properties out", w.file, ptr)
		return
	}
	switch {
	case t == timeType:
		return
	case t.Kind() == reflect.Struct:
		if n.kind != 'o' {
			return // the decoder reports type errors
		}
		names, ok := w.names[t.Name()]
		if !ok {
			w.t.Errorf("%s%s: a %s object, but the script has no $WfNames.%s", w.file, ptr, t.Name(), t.Name())
			return
		}
		last := -1
		for i, key := range n.keys {
			idx := slices.Index(names, key)
			if idx < 0 {
				w.t.Errorf("%s%s/%s: not in the script's $WfNames.%s", w.file, ptr, key, t.Name())
				continue
			}
			if idx < last {
				w.t.Errorf("%s%s/%s: out of order; the script writes %s in the order %v", w.file, ptr, key, t.Name(), names)
			}
			last = idx
			w.used[t.Name()+"."+key] = true
			f, ok := fieldByName(t, key)
			if !ok {
				continue
			}
			child := n.vals[i]
			if child.kind == 's' && child.scalar == `""` {
				w.t.Errorf("%s%s/%s: empty string; New-WfObject leaves it out", w.file, ptr, key)
			}
			// The top-level lists of a document are written even when empty
			// (an empty events list clears the dashboard's events).
			nested := t.Name() != "Report" && t.Name() != "ClientList" && t.Name() != "Inventory"
			if child.kind == 'a' && len(child.items) == 0 && nested {
				w.t.Errorf("%s%s/%s: empty list; New-WfObject leaves it out", w.file, ptr, key)
			}
			w.walk(child, f.Type, ptr+"/"+key, nested)
		}
	case t.Kind() == reflect.Slice:
		for i, item := range n.items {
			w.walk(item, t.Elem(), ptr+"/"+strconv.Itoa(i), inObject)
		}
	}
}

// jnode is a JSON value that keeps the order of object keys.
type jnode struct {
	kind   byte // 'o' object, 'a' array, 's' scalar, 'n' null
	keys   []string
	vals   []*jnode
	items  []*jnode
	scalar string
}

func parseOrdered(data []byte) (*jnode, error) {
	dec := json.NewDecoder(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))))
	dec.UseNumber()
	n, err := parseNode(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err == nil {
		return nil, fmt.Errorf("data after the document")
	}
	return n, nil
}

func parseNode(dec *json.Decoder) (*jnode, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch v := tok.(type) {
	case json.Delim:
		switch v {
		case '{':
			n := &jnode{kind: 'o'}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, _ := kt.(string)
				if slices.Contains(n.keys, key) {
					return nil, fmt.Errorf("key %q twice in one object", key)
				}
				val, err := parseNode(dec)
				if err != nil {
					return nil, err
				}
				n.keys = append(n.keys, key)
				n.vals = append(n.vals, val)
			}
			_, err := dec.Token()
			return n, err
		case '[':
			n := &jnode{kind: 'a'}
			for dec.More() {
				item, err := parseNode(dec)
				if err != nil {
					return nil, err
				}
				n.items = append(n.items, item)
			}
			_, err := dec.Token()
			return n, err
		}
		return nil, fmt.Errorf("unexpected %v", v)
	case nil:
		return &jnode{kind: 'n'}, nil
	default:
		b, _ := json.Marshal(v)
		return &jnode{kind: 's', scalar: string(b)}, nil
	}
}

// lookupPointer resolves an RFC 6901 pointer in a decoded JSON value.
func lookupPointer(v any, ptr string) (any, bool) {
	if ptr == "" {
		return v, true
	}
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[tok]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

package scripts

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/rules"
	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
	"github.com/wsusfleet/wsusfleet/web"
)

// TestPayloadsThroughIngest posts every example payload through the
// dashboard's real HTTP ingest path, then checks what it stored: every
// section of a server report as sent, and where each client report landed.
func TestPayloadsThroughIngest(t *testing.T) {
	now := func() time.Time { return payloadNow }
	st := storetest.OpenSQLite(t, store.Options{Now: now, Diagnose: rules.Diagnose})
	token, _, err := st.CreateToken(t.Context(), "collectors", probes.ScopeIngest)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(web.New(st, web.Config{Now: now}))
	defer srv.Close()
	post := func(endpoint string, body []byte) (int, []byte) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+endpoint, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, b
	}
	// Server reports first: the client reports are matched against them.
	var cases []payloadCase
	for _, pc := range payloadCases {
		if pc.Endpoint == "/api/v1/reports" {
			cases = append(cases, pc)
		}
	}
	for _, pc := range payloadCases {
		if pc.Endpoint != "/api/v1/reports" {
			cases = append(cases, pc)
		}
	}
	// Where each client report lands: the server its WUServer names, its
	// gap category, and words its detail must hold. A report whose collector
	// could not run (collector.error) is no evidence about the policy: it
	// gives no policy gap (policy_off, bad_url, wrong_server); a client the
	// server lists is judged by that list, one whose WUServer the legacy
	// preamble read by that, and each says its collector could not run.
	clientGaps := map[string]struct{ server, gap, says string }{
		"client-report-ok.json":                     {"wsus01.corp.example", "", ""},
		"client-report-missing-port.json":           {"wsus01.corp.example", probes.GapBadURL, "no port"},
		"client-report-no-policy.json":              {"", probes.GapPolicyOff, ""},
		"client-report-anonymous-off.json":          {"", probes.GapWrongServer, ""},
		"client-report-status-server-differs.json":  {"wsus02.corp.example", probes.GapBadURL, "WUStatusServer"},
		"client-report-untrusted-cert.json":         {"wsus02.corp.example", probes.GapExpectedMissing, ""},
		"client-report-update-source.json":          {"wsus01.corp.example", probes.GapExpectedMissing, ""},
		"client-report-au-options-7.json":           {"wsus01.corp.example", "", ""},
		"client-report-collector-error-listed.json": {"", probes.GapNeverReported, "its own report: collector could not run"},
		"client-report-collection-failed.json":      {"", "", "collector could not run: the client could not be collected"},
		"client-report-powershell-4.json":           {"wsus01.corp.example", probes.GapExpectedMissing, "collector could not run: Send-WsusFleetClientReport.ps1 needs Windows PowerShell 5.1"},
	}
	// Findings the collector's data must be enough for.
	serverFindings := map[string][]string{
		// Every check failed, the skipped ones included: the unreachable
		// rule needs at least 5 failed checks from one vantage.
		"report-iis-stopped.json": {"server_unreachable"},
		// The collector could not run: the dashboard says so.
		"report-wsus-api-missing.json": {"collector_failed"},
		"report-powershell-4.json":     {"collector_failed"},
	}
	for _, pc := range cases {
		t.Run(pc.File, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join(payloadDir, pc.File))
			if err != nil {
				t.Fatal(err)
			}
			status, answer := post(pc.Endpoint, body)
			if status != http.StatusCreated {
				t.Fatalf("%s answered %d: %s", pc.Endpoint, status, answer)
			}
			if again, replay := post(pc.Endpoint, body); again != http.StatusOK || !bytes.Equal(replay, answer) {
				t.Errorf("the same document again: %d %s", again, replay)
			}
			switch pc.Endpoint {
			case "/api/v1/reports":
				checkStoredReport(t, st, body)
				checkFindings(t, st, body, serverFindings[pc.File])
			case "/api/v1/client-reports":
				var r probes.ClientReceipt
				if err := json.Unmarshal(answer, &r); err != nil {
					t.Fatal(err)
				}
				want, ok := clientGaps[pc.File]
				if !ok {
					t.Fatalf("no expected server and gap for %s", pc.File)
				}
				if r.Server != want.server || r.Gap != want.gap || !strings.Contains(r.Detail, want.says) {
					t.Errorf("filed under %q with gap %q (%s); want %q, %q saying %q", r.Server, r.Gap, r.Detail, want.server, want.gap, want.says)
				}
				// What the dashboard shows of the client says the same.
				if want.says != "" || want.gap != "" {
					checkClientDetail(t, st, r.Client, want.gap, want.says)
				}
			case "/api/v1/inventory":
				var r probes.InventoryReceipt
				if err := json.Unmarshal(answer, &r); err != nil || r.Items != 5 || !r.Complete {
					t.Errorf("inventory receipt %+v, %v", r, err)
				}
			}
		})
	}
}

// checkClientDetail checks the client's page model (GET /api/v1/clients/
// {name}) against the receipt's verdict.
func checkClientDetail(tb testing.TB, st *store.Store, name, gap, says string) {
	tb.Helper()
	d, err := st.ClientDetail(tb.Context(), name)
	if err != nil {
		tb.Fatalf("client %s: %v", name, err)
	}
	b, _ := json.Marshal(d)
	if !strings.Contains(string(b), says) {
		tb.Errorf("client %s does not say %q: %s", name, says, b)
	}
	if gap == "" && (strings.Contains(string(b), `"`+probes.GapPolicyOff+`"`) || strings.Contains(string(b), `"`+probes.GapBadURL+`"`)) {
		tb.Errorf("client %s shows a policy gap: %s", name, b)
	}
}

// checkFindings checks that the server of a report has an open finding of
// each rule in rules.
func checkFindings(t *testing.T, st *store.Store, body []byte, rules []string) {
	t.Helper()
	if len(rules) == 0 {
		return
	}
	doc, err := probes.DecodeReport(body, payloadNow)
	if err != nil {
		t.Fatal(err)
	}
	state, err := st.ServerState(t.Context(), doc.Server.Name)
	if err != nil {
		t.Fatal(err)
	}
	for _, rule := range rules {
		if !slices.ContainsFunc(state.Findings, func(f probes.Finding) bool { return f.Rule == rule }) {
			var got []string
			for _, f := range state.Findings {
				got = append(got, f.Rule)
			}
			t.Errorf("no %s finding for %s; findings: %v", rule, doc.Server.Name, got)
		}
	}
}

// checkStoredReport compares every section of a server report with what the
// dashboard serves back for that server.
func checkStoredReport(t *testing.T, st *store.Store, body []byte) {
	t.Helper()
	doc, err := probes.DecodeReport(body, payloadNow)
	if err != nil {
		t.Fatal(err)
	}
	doc.Normalize()
	state, err := st.ServerState(t.Context(), doc.Server.Name)
	if err != nil {
		t.Fatal(err)
	}
	same := func(section string, sent, stored any) {
		t.Helper()
		a, _ := json.Marshal(sent)
		b, _ := json.Marshal(stored)
		if !bytes.Equal(a, b) {
			t.Errorf("%s stored differs from sent:\n sent   %s\n stored %s", section, a, b)
		}
	}
	if doc.Server.HasFacts() {
		same("server", doc.Server, state.Server)
	}
	if doc.CollectorRun() {
		same("collector", doc.Collector, state.Collector)
	}
	same("vdir_config", doc.VDirConfig, state.VDirConfig)
	same("app_pool", doc.AppPool, state.AppPool)
	same("services", doc.Services, state.Services)
	same("acls", doc.ACLs, state.ACLs)
	same("events", doc.Events, state.Events)
	same("sync", doc.Sync, state.Sync)
	for _, sent := range doc.VDirChecks {
		found := false
		for _, got := range state.VDirChecks {
			if got.URL == sent.URL && got.Vantage == doc.Collector.Vantage {
				found = true
				same("vdir check "+sent.URL, sent, got.VDirCheck)
			}
		}
		if !found {
			t.Errorf("vdir check %s not stored", sent.URL)
		}
	}
	if doc.Clients != nil && state.ClientSummary.Total != int64(len(doc.Clients.Items)) {
		t.Errorf("%d clients stored, %d sent", state.ClientSummary.Total, len(doc.Clients.Items))
	}
}

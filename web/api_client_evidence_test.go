package web_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/rules"
	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
	"github.com/wsusfleet/wsusfleet/web"
)

// stoppedPool saves wsus01 with WsusPool stopped and pc0042 on its list,
// its last status report ten days old.
func stoppedPool(t *testing.T, e *env) {
	t.Helper()
	r := storetest.Report("pool", "wsus01.corp.example", storetest.T0)
	r.Collector.Vantage = probes.VantageServer
	r.AppPool = &probes.AppPool{Name: "WsusPool", State: "Stopped"}
	r.Clients = &probes.ClientList{Complete: true, Items: []probes.Client{{Name: "pc0042.corp.example",
		LastReport: probes.TimeOf(storetest.T0.Add(-10 * 24 * time.Hour)), LastSync: probes.TimeOf(storetest.T0.Add(-10 * 24 * time.Hour))}}}
	if res := e.post("/api/v1/reports", e.ingest, r); res.status != 201 {
		t.Fatalf("report: %d %s", res.status, res.body)
	}
	if _, _, err := e.st.Settle(t.Context()); err != nil { // what serve does every few seconds
		t.Fatal(err)
	}
}

// A client whose log shows 0x80244022 on a server whose pool is stopped is
// explained by that finding; its registry output is judged like a report.
func TestClientEvidenceExplainedByServer(t *testing.T) {
	e := newEnvWith(t, web.Config{}, store.Options{Diagnose: rules.Diagnose})
	stoppedPool(t, e)
	url := "/api/v1/clients/PC0042.corp.example/evidence/"
	if res := e.do("POST", url+"regquery", e.read, bytes.NewReader(sample(t, "regquery/testdata/reg-query-s.txt"))); res.status != 403 {
		t.Errorf("read token: %d", res.status)
	}
	res := e.do("POST", url+"regquery", e.ingest, bytes.NewReader(sample(t, "regquery/testdata/reg-query-s.utf16le.txt")))
	var ev probes.ClientEvidence
	res.json(t, &ev)
	if res.status != 201 || !ev.Judged || ev.Client != "pc0042.corp.example" || ev.Server != "wsus01.corp.example" || ev.Gap != probes.GapStaleReport ||
		ev.Format != "reg query" || len(ev.Changed) == 0 {
		t.Fatalf("regquery: %d %s", res.status, res.body)
	}
	again := e.do("POST", url+"regquery", e.ingest, bytes.NewReader(sample(t, "regquery/testdata/reg-query-s.utf16le.txt")))
	if again.status != 200 || !bytes.Equal(again.body, res.body) {
		t.Errorf("the same file again: %d", again.status)
	}
	res = e.do("POST", url+"auto?file=WindowsUpdate.log", e.ingest, bytes.NewReader(sample(t, "wulog/testdata/get-windowsupdatelog.log")))
	res.json(t, &ev)
	if res.status != 201 || ev.Kind != probes.EvidenceWindowsUpdateLog || ev.Judged || ev.Log == nil || ev.File != "WindowsUpdate.log" {
		t.Fatalf("auto log: %d %s", res.status, res.body)
	}
	var d probes.ClientDetail
	res = e.do("GET", "/api/v1/clients/pc0042.corp.example", "", nil)
	res.json(t, &d)
	if res.status != 200 || d.Server != "wsus01.corp.example" || len(d.Listings) != 1 || d.Report == nil || d.Report.Client.SusClientID == "" ||
		len(d.Evidence) != 2 || d.Gap == nil || d.Gap.Category != probes.GapStaleReport {
		t.Fatalf("detail: %d %s", res.status, res.body)
	}
	explained := 0
	for _, er := range d.Errors {
		if er.Code == "0x80244022" {
			if er.Known == nil || er.ExplainedBy == nil || er.ExplainedBy.Rule != "wsuspool_stopped" {
				t.Errorf("0x80244022 not explained by the stopped pool: %+v", er)
			}
			explained++
		}
	}
	if explained == 0 || d.Cause == nil || d.Cause.Rule != "wsuspool_stopped" || !strings.Contains(d.Fix.About, "wsus01.corp.example") {
		t.Errorf("cause %+v fix %q errors %+v", d.Cause, d.Fix.About, d.Errors)
	}
	if res := e.do("GET", "/api/v1/clients/nobody.corp.example", "", nil); res.status != 404 {
		t.Errorf("unknown client: %d", res.status)
	}
}

// The same evidence without the server's fault: decoded, not explained.
func TestClientEvidenceNotExplainedWhenServerHealthy(t *testing.T) {
	e := newEnvWith(t, web.Config{}, store.Options{Diagnose: rules.Diagnose})
	mustPost(t, e, storetest.Report("ok", "wsus01.corp.example", storetest.T0))
	res := e.do("POST", "/api/v1/clients/pc7.corp.example/evidence/windowsupdatelog", e.ingest, bytes.NewReader(sample(t, "wulog/testdata/windowsupdate-classic.log")))
	if res.status != 201 {
		t.Fatalf("%d %s", res.status, res.body)
	}
	var d probes.ClientDetail
	e.do("GET", "/api/v1/clients/pc7.corp.example", "", nil).json(t, &d)
	if len(d.Errors) == 0 || d.Cause != nil || d.Errors[0].ExplainedBy != nil || d.Errors[0].Known == nil || d.Server != "wsus01.corp.example" {
		t.Errorf("cause %+v errors %+v server %q", d.Cause, d.Errors, d.Server)
	}
}

func mustPost(t *testing.T, e *env, r *probes.Report) {
	t.Helper()
	if res := e.post("/api/v1/reports", e.ingest, r); res.status != 201 {
		t.Fatalf("report: %d %s", res.status, res.body)
	}
}

func TestClientEvidenceRefusals(t *testing.T) {
	e := newEnv(t, web.Config{})
	cases := []struct {
		path, body string
		status     int
		words      string
	}{
		{"/api/v1/clients/pc1/evidence/httperr", "x", 404, "httperr is server evidence: send it to /api/v1/servers/{name}/evidence/httperr"},
		{"/api/v1/clients/pc1/evidence/auto", string(sample(t, "httperr/testdata/httperr1.log")), 400, "send it to /api/v1/servers/{name}/evidence/httperr"},
		{"/api/v1/clients/pc1/evidence/regquery", string(sample(t, "wulog/testdata/get-windowsupdatelog.log")), 400, "send it as windowsupdatelog"},
		{"/api/v1/clients/pc1/evidence/regquery", "hello\r\n", 400, "line 1"},
		{"/api/v1/clients/pc1/evidence/windowsupdatelog?utc_offset=CET", "x", 422, "utc_offset"},
		{"/api/v1/clients/pc%201/evidence/regquery", "x", 400, "not a host name"},
		{"/api/v1/servers/wsus01/evidence/regquery", "x", 404, "regquery is client evidence"},
		{"/api/v1/servers/wsus01/evidence/auto", string(sample(t, "regquery/testdata/reg-query-s.txt")), 400, "send it to /api/v1/clients/{name}/evidence/regquery"},
	}
	for _, tc := range cases {
		res := e.do("POST", tc.path, e.ingest, strings.NewReader(tc.body))
		p := res.problem(t)
		text := p.Detail
		for _, fe := range p.Errors {
			text += " | " + fe.String()
		}
		if res.status != tc.status || !strings.Contains(text, tc.words) {
			t.Errorf("%s: %d %q; want %d saying %q", tc.path, res.status, text, tc.status, tc.words)
		}
	}
	if res := e.do("GET", "/api/v1/clients/pc1", "", nil); res.status != 404 {
		t.Errorf("refused evidence stored something: %d %s", res.status, res.body)
	}
}

// Server evidence of the new kinds lands in the sections the rules read.
func TestServerEvidenceNewKinds(t *testing.T) {
	e := newEnv(t, web.Config{})
	for _, tc := range []struct{ kind, file string }{
		{"httperr", "httperr/testdata/httperr1.log"},
		{"events", "eventtext/testdata/viewer-copy-en.txt"},
		{"softwaredistributionlog", "sdlog/testdata/SoftwareDistribution.utf16le.log"},
	} {
		res := e.do("POST", "/api/v1/servers/wsus01.corp.example/evidence/auto", e.ingest, bytes.NewReader(sample(t, tc.file)))
		var got map[string]any
		res.json(t, &got)
		if res.status != 201 || got["kind"] != tc.kind {
			t.Errorf("%s: %d %s", tc.kind, res.status, res.body)
		}
	}
	var st probes.ServerState
	e.do("GET", "/api/v1/servers/wsus01.corp.example", "", nil).json(t, &st)
	if st.HTTPErr == nil || st.HTTPErr.Groups[0].Reason != "AppOffline" || st.SDLog == nil || len(st.SDLog.Issues) == 0 || len(st.Events) != 2 ||
		st.Events[0].ID != 12072 || st.Events[1].Source != "Microsoft-Windows-WAS" {
		t.Errorf("sections: httperr %+v sdlog %+v events %+v", st.HTTPErr, st.SDLog, st.Events)
	}
}

// The OpenAPI document describes the client endpoints' real answers.
func TestClientEndpointsMatchOpenAPI(t *testing.T) {
	e := newEnvWith(t, web.Config{}, store.Options{Diagnose: rules.Diagnose})
	stoppedPool(t, e)
	reg := e.do("POST", "/api/v1/clients/pc0042.corp.example/evidence/auto", e.ingest, bytes.NewReader(sample(t, "regquery/testdata/reg-query-s.txt")))
	logRes := e.do("POST", "/api/v1/clients/pc0042.corp.example/evidence/windowsupdatelog", e.ingest, bytes.NewReader(sample(t, "wulog/testdata/windowsupdate-classic.log")))
	detail := e.do("GET", "/api/v1/clients/pc0042.corp.example", "", nil)
	schema := openAPISchemas(t, e)
	for name, res := range map[string]response{"ClientEvidence": reg, "ClientEvidence ": logRes, "ClientDetail": detail} {
		if res.status >= 300 {
			t.Fatalf("%s: %d %s", name, res.status, res.body)
		}
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(res.body))
		if err != nil {
			t.Fatal(err)
		}
		if err := schema(strings.TrimSpace(name)).Validate(inst); err != nil {
			t.Errorf("%s does not match the OpenAPI schema: %v", name, err)
		}
	}
}

func openAPISchemas(t *testing.T, e *env) func(string) *jsonschema.Schema {
	t.Helper()
	docRes := e.do("GET", "/api/v1/openapi.json", "", nil)
	raw, err := jsonschema.UnmarshalJSON(bytes.NewReader(docRes.body))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource("openapi.json", raw); err != nil {
		t.Fatal(err)
	}
	return func(name string) *jsonschema.Schema {
		s, err := c.Compile("openapi.json#/components/schemas/" + name)
		if err != nil {
			t.Fatalf("schema %s: %v", name, err)
		}
		return s
	}
}

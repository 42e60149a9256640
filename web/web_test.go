package web_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
	"github.com/wsusfleet/wsusfleet/web"
)

var _ web.Store = (*store.Store)(nil)

// env is a dashboard on a real SQLite store with one token of each scope.
type env struct {
	t                   *testing.T
	st                  *store.Store
	h                   http.Handler
	clock               *storetest.Clock
	ingest, read, admin string
}

func newEnv(t *testing.T, cfg web.Config) *env {
	t.Helper()
	return newEnvWith(t, cfg, store.Options{})
}

// newEnvWith is newEnv with store options (e.g. the real rules).
func newEnvWith(t *testing.T, cfg web.Config, opts store.Options) *env {
	t.Helper()
	return newEnvOn(t, cfg, opts, storetest.OpenSQLite)
}

// newEnvOn is newEnvWith on a store open makes (a dialect of storetest.Dialects).
func newEnvOn(t *testing.T, cfg web.Config, opts store.Options, open storetest.Opener) *env {
	t.Helper()
	clock := storetest.NewClock(storetest.T0)
	opts.Now = clock.Now
	st := open(t, opts)
	cfg.Now = clock.Now
	e := &env{t: t, st: st, h: web.New(st, cfg), clock: clock}
	e.ingest = e.token(probes.ScopeIngest)
	e.read = e.token(probes.ScopeRead)
	e.admin = e.token(probes.ScopeAdmin)
	return e
}

func (e *env) token(scope string) string {
	e.t.Helper()
	secret, _, err := e.st.CreateToken(e.t.Context(), "test-"+scope, scope)
	if err != nil {
		e.t.Fatal(err)
	}
	return secret
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("status %d body %q: %v", r.status, r.body, err)
	}
}

func (r response) problem(t *testing.T) web.Problem {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type %q, want application/problem+json (body %s)", ct, r.body)
	}
	var p web.Problem
	r.json(t, &p)
	if p.Status != r.status || p.Title == "" || p.Detail == "" {
		t.Errorf("incomplete problem: %+v", p)
	}
	return p
}

func (e *env) do(method, path, token string, body io.Reader, header ...string) response {
	e.t.Helper()
	req := httptest.NewRequest(method, path, body)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	checkAgainstOpenAPI(e.t, req, rec.Code, rec.Header(), rec.Body.Bytes())
	return response{rec.Code, rec.Header(), rec.Body.Bytes()}
}

func (e *env) post(path, token string, v any) response {
	e.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.do(http.MethodPost, path, token, bytes.NewReader(b), "Content-Type", "application/json")
}

func (e *env) serverCount() int {
	e.t.Helper()
	list, err := e.st.ListServers(e.t.Context())
	if err != nil {
		e.t.Fatal(err)
	}
	return len(list)
}

func TestPostReport(t *testing.T) {
	e := newEnv(t, web.Config{})
	r := storetest.Report("rep-1", "WSUS01.corp.example", storetest.T0)

	if res := e.post("/api/v1/reports", "", r); res.status != 401 || !strings.HasPrefix(res.header.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("no token: %d %s", res.status, res.body)
	} else {
		res.problem(t)
	}
	if res := e.post("/api/v1/reports", "wsf_notatoken", r); res.status != 401 {
		t.Errorf("unknown token: %d", res.status)
	}
	if res := e.post("/api/v1/reports", e.read, r); res.status != 403 {
		t.Errorf("read token: %d", res.status)
	} else if p := res.problem(t); !strings.Contains(p.Detail, "scope read") {
		t.Errorf("403 should say which scope: %q", p.Detail)
	}
	if n := e.serverCount(); n != 0 {
		t.Fatalf("rejected requests stored %d servers", n)
	}

	res := e.post("/api/v1/reports", e.ingest, r)
	if res.status != 201 {
		t.Fatalf("ingest: %d %s", res.status, res.body)
	}
	var receipt map[string]any
	res.json(t, &receipt)
	if receipt["id"] != "rep-1" || receipt["server"] != "wsus01.corp.example" || len(receipt) != 2 {
		t.Errorf("201 body = %v", receipt)
	}
	if loc := res.header.Get("Location"); loc != "/api/v1/servers/wsus01.corp.example" {
		t.Errorf("Location %q", loc)
	}
	again := e.post("/api/v1/reports", e.admin, r) // admin may ingest too
	if again.status != 200 || !bytes.Equal(again.body, res.body) {
		t.Errorf("replay: %d %s; want 200 with %s", again.status, again.body, res.body)
	}
	other := storetest.Report("rep-1", "wsus02", storetest.T0)
	if res := e.post("/api/v1/reports", e.ingest, other); res.status != 409 {
		t.Errorf("reused id: %d %s", res.status, res.body)
	}

	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	json.NewEncoder(zw).Encode(storetest.Report("rep-gz", "wsus03", storetest.T0))
	zw.Close()
	if res := e.do("POST", "/api/v1/reports", e.ingest, &gz, "Content-Encoding", "gzip"); res.status != 201 {
		t.Errorf("gzip body: %d %s", res.status, res.body)
	}
	if n := e.serverCount(); n != 2 {
		t.Errorf("%d servers stored, want 2", n)
	}
}

func TestBadReportsStoreNothing(t *testing.T) {
	e := newEnv(t, web.Config{MaxReportBytes: 64 << 10})
	valid, _ := json.Marshal(storetest.Report("ok", "wsus01", storetest.T0))
	swap := func(old, new string) string { return strings.Replace(string(valid), old, new, 1) }
	cases := []struct {
		name     string
		body     string
		header   []string
		status   int
		pointers []string
	}{
		{"not JSON", "{schema: x", nil, 400, nil},
		{"empty", "", nil, 400, nil},
		{"wrong type", swap(`"status":200`, `"status":"200"`), nil, 422, []string{"/vdir_checks/0/status"}},
		{"unknown field", swap(`"schema"`, `"hacker":1,"schema"`), nil, 422, []string{"/hacker"}},
		{"missing id and bad time", swap(`"id":"ok",`, ``), nil, 422, []string{"/id"}},
		{"absurd time", swap(`2026-11-21T12:00:00Z`, `2031-01-01T00:00:00Z`), nil, 422, []string{"/collected_at"}},
		{"other schema", swap(`wsusfleet.report.v1`, `wsusfleet.report.v9`), nil, 422, []string{"/schema"}},
		{"control chars", swap(`"storetest"`, `"store\u0000test"`), nil, 422, []string{"/collector/name"}},
		{"kilobytes of junk", swap(`"agent01"`, `"`+strings.Repeat("A", 4000)+`"`), nil, 422, []string{"/collector/host"}},
		{"oversized", `{"schema":"` + strings.Repeat("x", 70<<10) + `"}`, nil, 413, nil},
		{"bad gzip", "not gzip", []string{"Content-Encoding", "gzip"}, 400, nil},
		{"unknown encoding", string(valid), []string{"Content-Encoding", "br"}, 415, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := e.do("POST", "/api/v1/reports", e.ingest, strings.NewReader(tc.body), tc.header...)
			if res.status != tc.status {
				t.Fatalf("status %d, want %d: %s", res.status, tc.status, res.body)
			}
			p := res.problem(t)
			for _, ptr := range tc.pointers {
				found := false
				for _, fe := range p.Errors {
					found = found || fe.Pointer == ptr
				}
				if !found {
					t.Errorf("problem does not name %s: %+v", ptr, p.Errors)
				}
			}
		})
	}
	if n := e.serverCount(); n != 0 {
		t.Errorf("bad requests stored %d servers", n)
	}
	big := strings.Repeat(" ", 70<<10) + string(valid) // too big only once decompressed
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(big))
	zw.Close()
	if res := e.do("POST", "/api/v1/reports", e.ingest, &gz, "Content-Encoding", "gzip"); res.status != 413 {
		t.Errorf("gzip bomb: %d", res.status)
	}
}

func seed(t *testing.T, e *env) {
	t.Helper()
	r := storetest.Report("seed", "wsus01.corp.example", storetest.T0)
	r.Clients = &probes.ClientList{Complete: true, Items: storetest.Clients(150, storetest.T0, func(i int) time.Duration {
		switch i % 3 {
		case 0:
			return -1
		case 1:
			return 10 * 24 * time.Hour
		}
		return time.Hour
	})}
	r.Clients.Items[5].OS = "=cmd|' /C calc'!A0" // a formula must not run in Excel
	r.Services = []probes.Service{{Name: "WsusService", State: "Stopped"}}
	if res := e.post("/api/v1/reports", e.ingest, r); res.status != 201 {
		t.Fatalf("seed: %d %s", res.status, res.body)
	}
	if _, _, err := e.st.Settle(t.Context()); err != nil { // what serve does every few seconds
		t.Fatal(err)
	}
}

func TestReadAPI(t *testing.T) {
	e := newEnv(t, web.Config{})
	seed(t, e)
	var list web.ServerList
	e.do("GET", "/api/v1/servers", "", nil).json(t, &list)
	if len(list.Servers) != 1 || list.Servers[0].Clients != (probes.ClientCounts{Total: 150, Stale: 50, Never: 50, Ages: probes.ReportAges{Day: 50, Month: 50, Never: 50}}) || list.Servers[0].Status != "ok" {
		t.Errorf("servers = %+v", list)
	}
	var st probes.ServerState
	res := e.do("GET", "/api/v1/servers/WSUS01.corp.example", "", nil)
	res.json(t, &st)
	if res.status != 200 || len(st.VDirChecks) != 9 || st.Services[0].State != "Stopped" || st.ClientSummary.Total != 150 || st.AppPool != nil {
		t.Errorf("server = %d %+v", res.status, st)
	}
	if !bytes.Contains(res.body, []byte(`"app_pool":null`)) || !bytes.Contains(res.body, []byte(`"findings":[]`)) {
		t.Errorf("sections never collected must be null, findings a list: %s", res.body)
	}
	if res := e.do("GET", "/api/v1/servers/nope", "", nil); res.status != 404 {
		t.Errorf("unknown server: %d", res.status)
	} else {
		res.problem(t)
	}

	var page probes.ClientPage
	e.do("GET", "/api/v1/servers/wsus01.corp.example/clients?gap=stale_report&limit=20", "", nil).json(t, &page)
	if page.Total != 50 || len(page.Clients) != 20 || page.NextCursor == "" {
		t.Errorf("stale page: total %d, %d rows, cursor %q", page.Total, len(page.Clients), page.NextCursor)
	}
	var next probes.ClientPage
	e.do("GET", "/api/v1/servers/wsus01.corp.example/clients?gap=stale_report&limit=20&cursor="+page.NextCursor, "", nil).json(t, &next)
	if len(next.Clients) != 20 || next.Clients[0].Name <= page.Clients[19].Name {
		t.Errorf("second page does not continue the first")
	}
	e.do("GET", "/api/v1/servers/wsus01.corp.example/clients?gap=stale_report&older_than=30d", "", nil).json(t, &page)
	if page.Total != 0 {
		t.Errorf("older_than=30d: %d", page.Total)
	}
	for _, q := range []string{"gap=late", "older_than=soon", "limit=x", "limit=0", "cursor=%%%", "sort=ip"} {
		res := e.do("GET", "/api/v1/servers/wsus01.corp.example/clients?"+q, "", nil)
		if res.status != 422 && res.status != 400 {
			t.Errorf("%s: %d", q, res.status)
			continue
		}
		if p := res.problem(t); res.status == 422 && (len(p.Errors) == 0 || p.Errors[0].Parameter == "") {
			t.Errorf("%s: problem does not name the parameter: %+v", q, p)
		}
	}

	csvRes := e.do("GET", "/api/v1/servers/wsus01.corp.example/clients?gap=never_reported", "", nil, "Accept", "text/csv")
	lines := strings.Split(strings.TrimSpace(string(csvRes.body)), "\n")
	if csvRes.status != 200 || !strings.HasPrefix(csvRes.header.Get("Content-Type"), "text/csv") || len(lines) != 51 || !strings.HasPrefix(lines[0], "server,name,id") {
		t.Errorf("csv: %d %q, %d lines", csvRes.status, csvRes.header.Get("Content-Type"), len(lines))
	}
	all := e.do("GET", "/api/v1/servers/wsus01.corp.example/clients?format=csv", "", nil)
	if !bytes.Contains(all.body, []byte(`'=cmd|`)) || bytes.Contains(all.body, []byte(`,=cmd`)) {
		t.Errorf("a formula in a CSV cell must be defused")
	}

	var hist web.VDirHistory
	e.do("GET", "/api/v1/servers/wsus01.corp.example/vdirs?since=48h", "", nil).json(t, &hist)
	if len(hist.Checks) != 9 {
		t.Errorf("vdir history: %d checks", len(hist.Checks))
	}
	if res := e.do("GET", "/api/v1/servers/wsus01.corp.example/vdirs?since=yesterday", "", nil); res.status != 422 {
		t.Errorf("bad since: %d", res.status)
	}
}

func TestReadAuthToken(t *testing.T) {
	e := newEnv(t, web.Config{ReadAuth: web.ReadAuthToken})
	for _, tc := range []struct {
		token  string
		status int
	}{{"", 401}, {e.ingest, 403}, {e.read, 200}, {e.admin, 200}} {
		if res := e.do("GET", "/api/v1/servers", tc.token, nil); res.status != tc.status {
			t.Errorf("token %.8q: %d, want %d", tc.token, res.status, tc.status)
		}
	}
	if res := e.do("GET", "/healthz", "", nil); res.status != 200 {
		t.Errorf("healthz must stay open: %d", res.status)
	}
}

func TestHostileNamesStayData(t *testing.T) {
	e := newEnv(t, web.Config{})
	name := `<script>alert(1)</script>`
	r := storetest.Report("x", name, storetest.T0)
	r.Server.URL, r.VDirChecks = "", nil
	if res := e.post("/api/v1/reports", e.ingest, r); res.status != 422 {
		t.Fatalf("markup as a server name: %d %s", res.status, res.body)
	}
	// Stored before names were checked, it is still data, never markup.
	r.Normalize()
	if _, _, err := e.st.SaveReport(t.Context(), r, ""); err != nil {
		t.Fatal(err)
	}
	res := e.do("GET", "/api/v1/servers/%3Cscript%3Ealert%281%29%3C%2Fscript%3E", "", nil)
	if res.status != 200 || bytes.Contains(res.body, []byte("<script>")) {
		t.Errorf("%d: JSON must escape markup: %s", res.status, res.body)
	}
}

func TestHeadersAndErrors(t *testing.T) {
	e := newEnv(t, web.Config{})
	for _, path := range []string{"/healthz", "/readyz", "/api/v1/servers", "/api/v1/openapi.json", "/nope"} {
		res := e.do("GET", path, "", nil)
		for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "X-Request-ID"} {
			if res.header.Get(h) == "" {
				t.Errorf("%s lacks %s", path, h)
			}
		}
		if csp := res.header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("CSP %q", csp)
		}
	}
	if res := e.do("GET", "/nope", "", nil); res.status != 404 {
		t.Errorf("unknown path: %d", res.status)
	} else {
		res.problem(t)
	}
	if res := e.do("DELETE", "/api/v1/reports", e.admin, nil); res.status != 405 {
		t.Errorf("wrong method: %d", res.status)
	}
	if res := e.do("GET", "/readyz", "", nil); res.status != 200 {
		t.Errorf("readyz on a migrated store: %d %s", res.status, res.body)
	}
}

func TestRegisterServer(t *testing.T) {
	e := newEnv(t, web.Config{})
	reg := map[string]string{"url": "http://WSUS05.corp.example:8530"}
	if res := e.post("/api/v1/servers", e.ingest, reg); res.status != 403 {
		t.Errorf("ingest token may not register: %d", res.status)
	}
	res := e.post("/api/v1/servers", e.admin, reg)
	var got probes.Registration
	res.json(t, &got)
	if res.status != 201 || got.Name != "wsus05.corp.example" {
		t.Fatalf("register: %d %+v", res.status, got)
	}
	if res := e.post("/api/v1/servers", e.admin, map[string]string{"name": "wsus05.corp.example", "url": "https://wsus05.corp.example:8531"}); res.status != 200 {
		t.Errorf("re-register: %d", res.status)
	}
	for _, bad := range []map[string]string{
		{"url": "ftp://wsus05:21"}, {"url": "wsus05:8530"}, {"url": "http://wsus05:8530/ClientWebService"}, {}, {"url": "http://x", "colour": "red"},
	} {
		res := e.post("/api/v1/servers", e.admin, bad)
		if res.status != 422 {
			t.Errorf("%v: %d %s", bad, res.status, res.body)
			continue
		}
		if p := res.problem(t); len(p.Errors) == 0 || p.Errors[0].Pointer == "" {
			t.Errorf("%v: problem does not name the field: %+v", bad, p)
		}
	}
	var st probes.ServerState
	e.do("GET", "/api/v1/servers/wsus05.corp.example", "", nil).json(t, &st)
	if !st.Registered || st.URL != "https://wsus05.corp.example:8531" {
		t.Errorf("registered server: %+v", st)
	}
	if res := e.do("DELETE", "/api/v1/servers/wsus05.corp.example", e.admin, nil); res.status != 204 {
		t.Errorf("delete: %d", res.status)
	}
	if res := e.do("DELETE", "/api/v1/servers/wsus05.corp.example", e.admin, nil); res.status != 404 {
		t.Errorf("delete again: %d", res.status)
	}
}

package web_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/go-chi/chi/v5"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/store/storetest"
	"github.com/wsusfleet/wsusfleet/web"
)

// apiDoc is the served OpenAPI document, loaded and checked by kin-openapi
// once, with a router over its paths.
var apiDoc = sync.OnceValues(func() (*openapi3.T, routers.Router) {
	rec := httptest.NewRecorder()
	web.New(nil, web.Config{}).ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/openapi.json", nil))
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(rec.Body.Bytes())
	if err != nil {
		panic("openapi.json does not load: " + err.Error())
	}
	router, err := legacy.NewRouter(doc) // validates the document itself
	if err != nil {
		panic("openapi.json is not a valid OpenAPI document: " + err.Error())
	}
	return doc, router
})

// checkAgainstOpenAPI validates a response of the JSON API (or the health
// endpoints) against the document: its status is described, and its body
// matches the schema of its status and content type. env.do calls it for
// every request, so every API response of the web tests is checked.
func checkAgainstOpenAPI(t reporter, req *http.Request, status int, header http.Header, body []byte) {
	t.Helper()
	if !strings.HasPrefix(req.URL.Path, "/api/") && req.URL.Path != "/healthz" && req.URL.Path != "/readyz" {
		return // pages: HTML for people, checked by the page and browser tests
	}
	_, router := apiDoc()
	// Match on the escaped path, as chi does: a {name} may hold %2F.
	find := req.Clone(req.Context())
	find.URL.Path, find.URL.RawPath = req.URL.EscapedPath(), ""
	route, params, err := router.FindRoute(find)
	if err != nil {
		if status == http.StatusNotFound || status == http.StatusMethodNotAllowed {
			return // an unknown endpoint or method: no operation to match
		}
		t.Errorf("OpenAPI: %s %s has no operation in the document: %v", req.Method, req.URL.Path, err)
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		t.Errorf("OpenAPI: the %d answer to %s %s does not match the document: %v\n%.2000s", status, req.Method, req.URL, err, body)
	}
}

// reporter is the part of testing.TB the check needs.
type reporter interface {
	Helper()
	Errorf(format string, args ...any)
}

// failures records what a check reported.
type failures []string

func (f *failures) Helper() {}
func (f *failures) Errorf(format string, args ...any) {
	*f = append(*f, fmt.Sprintf(format, args...))
}

// TestRoutesAndDocumentAgree: every route of the router is described in the
// OpenAPI document, and the document describes no route that is not there.
func TestRoutesAndDocumentAgree(t *testing.T) {
	// With single sign-on configured, so its two routes are served too (the
	// provider is only asked for its keys on first use).
	sso := &web.OIDCConfig{Issuer: "https://sso.corp.example", ClientID: "wsusfleet", RedirectURL: "https://dash.corp.example/auth/oidc/callback",
		Claim: "groups", GroupScopes: map[string]string{"wsus-admins": "admin"}}
	routes, ok := web.New(nil, web.Config{OIDC: sso}).(chi.Routes)
	if !ok {
		t.Fatal("web.New is not a chi router")
	}
	methods := map[string][]string{}
	err := chi.Walk(routes, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		route = strings.Replace(route, "/*", "/{asset}", 1) // the static files
		methods[route] = append(methods[route], method)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var served []string
	for route, ms := range methods {
		if len(ms) >= 9 { // r.Handle: every method; what it answers is GET
			ms = []string{"GET"}
		}
		for _, m := range ms {
			served = append(served, m+" "+route)
		}
	}
	doc, _ := apiDoc()
	var documented []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	slices.Sort(served)
	slices.Sort(documented)
	for _, r := range served {
		if !slices.Contains(documented, r) {
			t.Errorf("%s is served but not described in the OpenAPI document: add an endpoints method (web/openapi_endpoints.go)", r)
		}
	}
	for _, d := range documented {
		if !slices.Contains(served, d) {
			t.Errorf("%s is described in the OpenAPI document but not served", d)
		}
	}
	if len(served) < 30 {
		t.Errorf("only %d routes walked: %v", len(served), served)
	}
}

// TestResponsesMatchOpenAPI drives every API endpoint once, successes and
// refusals; env.do validates each answer against the document.
func TestResponsesMatchOpenAPI(t *testing.T) {
	e := newEnv(t, web.Config{})
	seed(t, e)
	doc := e.do("GET", "/api/v1/openapi.json", "", nil)
	if doc.status != 200 || !bytes.Contains(doc.body, []byte(`"openapi": "3.1.0"`)) {
		t.Fatalf("openapi.json: %d", doc.status)
	}
	full := storetest.Report("full", "wsus02", storetest.T0)
	full.Events = []probes.Event{{ID: 12072, Source: "Windows Server Update Services", Level: "Error", Time: full.CollectedAt, Message: "The WSUS content directory is not accessible."}}
	full.Sync = &probes.Sync{From: probes.SyncFromMicrosoftUpdate, Last: &probes.SyncRun{StartedAt: full.CollectedAt, Result: "Succeeded"}}
	for _, want := range []struct {
		res    response
		status int
	}{
		{e.post("/api/v1/reports", e.ingest, full), 201},
		{e.post("/api/v1/reports", e.ingest, full), 200},
		{e.do("POST", "/api/v1/reports", e.ingest, strings.NewReader(`{"id":1}`)), 422},
		{e.do("POST", "/api/v1/reports", e.ingest, strings.NewReader(`{`)), 400},
		{e.do("POST", "/api/v1/reports", "", strings.NewReader(`{}`)), 401},
		{e.do("POST", "/api/v1/reports", e.read, strings.NewReader(`{}`)), 403},
		{e.do("GET", "/api/v1/servers", "", nil), 200},
		{e.do("GET", "/api/v1/servers/wsus01.corp.example", "", nil), 200},
		{e.do("GET", "/api/v1/servers/wsus02", "", nil), 200},
		{e.do("GET", "/api/v1/servers/none", "", nil), 404},
		{e.do("GET", "/api/v1/servers/wsus01.corp.example/clients?limit=5", "", nil), 200},
		{e.do("GET", "/api/v1/servers/wsus01.corp.example/clients?format=csv", "", nil), 200},
		{e.do("GET", "/api/v1/servers/wsus01.corp.example/clients?limit=0", "", nil), 422},
		{e.do("GET", "/api/v1/servers/wsus01.corp.example/vdirs", "", nil), 200},
		{e.do("GET", "/api/v1/servers/wsus01.corp.example/iislog", "", nil), 200},
		{e.post("/api/v1/client-reports", e.ingest, clientReport("pc9.corp.example", "http://wsus02:8530", "http://wsus02:8530", "x", nil)), 201},
		{e.post("/api/v1/inventory", e.ingest, probes.Inventory{Schema: probes.SchemaInventory, ID: "i1", CollectedAt: full.CollectedAt,
			Source: "ad", Complete: true, Items: []probes.InventoryItem{{Name: "pc9.corp.example", Enabled: true}}}), 201},
		{e.do("POST", "/api/v1/servers/wsus01.corp.example/evidence/procmon", e.ingest, bytes.NewReader(sample(t, "procmon/testdata/denied-capture.csv"))), 201},
		{e.do("GET", "/api/v1/gaps", "", nil), 200},
		{e.do("GET", "/api/v1/gaps/stale_report?limit=3", "", nil), 200},
		{e.do("GET", "/api/v1/gaps/stale_report?format=csv", "", nil), 200},
		{e.do("GET", "/api/v1/findings", "", nil), 200},
		{e.do("GET", "/api/v1/findings", "", nil, "Accept", "text/csv"), 200},
		{e.do("GET", "/api/v1/hierarchy", "", nil), 200},
		{e.post("/api/v1/servers", e.admin, probes.Registration{URL: "http://wsus07.corp.example:8530"}), 201},
		{e.do("DELETE", "/api/v1/servers/wsus07.corp.example", e.admin, nil), 204},
		{e.do("GET", "/healthz", "", nil), 200},
		{e.do("GET", "/readyz", "", nil), 200},
	} {
		if want.res.status != want.status {
			t.Errorf("status %d, want %d: %s", want.res.status, want.status, want.res.body)
		}
	}
}

// TestOpenAPIValidationCatchesDrift: the check env.do runs fails an answer
// that does not match its schema (it is not a check that always passes).
func TestOpenAPIValidationCatchesDrift(t *testing.T) {
	req := httptest.NewRequest("GET", "/api/v1/servers", nil)
	for _, bad := range []struct {
		status int
		ct     string
		body   string
	}{
		{200, "application/json", `{"servers":[{"name":7}]}`},
		{200, "text/plain", `servers`},
		{201, "application/json", `{"servers":[]}`}, // matches default: a problem document
		{400, "application/problem+json", `{"status":"400"}`},
	} {
		var f failures
		checkAgainstOpenAPI(&f, req, bad.status, http.Header{"Content-Type": {bad.ct}}, []byte(bad.body))
		if len(f) == 0 {
			t.Errorf("%d %s %s passed the OpenAPI check", bad.status, bad.ct, bad.body)
		}
	}
	var f failures
	checkAgainstOpenAPI(&f, req, 200, http.Header{"Content-Type": {"application/json"}}, []byte(`{"servers":[]}`))
	if len(f) != 0 {
		t.Errorf("a valid answer failed: %v", f)
	}
}

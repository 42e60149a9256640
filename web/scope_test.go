package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/store/storetest"
	"github.com/wsusfleet/wsusfleet/web"
)

// TestClientScope: the token on every Windows client may post that client's
// report and nothing a server reports; ingest and admin may post both.
func TestClientScope(t *testing.T) {
	e := newEnv(t, web.Config{})
	client := e.token(probes.ScopeClient)

	// A server with ten clients, as its collector (ingest) sent it.
	rep := storetest.Report("rep-1", "wsus01.corp.example", storetest.T0)
	rep.Clients = &probes.ClientList{Complete: true, Items: storetest.Clients(10, storetest.T0, func(int) time.Duration { return time.Hour })}
	if res := e.post("/api/v1/reports", e.ingest, rep); res.status != 201 {
		t.Fatalf("ingest report: %d %s", res.status, res.body)
	}

	cr := clientReport("pc0042.corp.example", "http://wsus01.corp.example:8530", "http://wsus01.corp.example:8530", "sus-42", nil)
	if res := e.post("/api/v1/client-reports", client, cr); res.status != 201 {
		t.Errorf("client token, client report: %d %s", res.status, res.body)
	}
	cr.ID = probes.NewID()
	if res := e.post("/api/v1/client-reports", e.ingest, cr); res.status != 201 {
		t.Errorf("ingest token, client report: %d %s", res.status, res.body)
	}
	cr.ID = probes.NewID()
	if res := e.post("/api/v1/client-reports", e.admin, cr); res.status != 201 {
		t.Errorf("admin token, client report: %d %s", res.status, res.body)
	}
	if res := e.post("/api/v1/client-reports", e.read, cr); res.status != 403 {
		t.Errorf("read token, client report: %d", res.status)
	}

	// What a leaked client token must not do: one empty "complete" list
	// would mark every client of the server removed.
	wipe := storetest.Report("rep-wipe", "wsus01.corp.example", storetest.T0)
	wipe.Clients = &probes.ClientList{Complete: true, Items: []probes.Client{}}
	inv := probes.Inventory{Schema: probes.SchemaInventory, ID: probes.NewID(), CollectedAt: probes.TimeOf(storetest.T0), Source: "ad", Complete: true,
		Items: []probes.InventoryItem{{Name: "pc1.corp.example", Enabled: true}}}
	for _, tc := range []struct {
		path string
		body any
		raw  string
	}{
		{path: "/api/v1/reports", body: wipe},
		{path: "/api/v1/inventory", body: inv},
		{path: "/api/v1/servers/wsus01.corp.example/evidence/iislog", raw: wsusLog},
		{path: "/api/v1/servers", body: map[string]string{"url": "http://wsus02.corp.example:8530"}},
	} {
		var res response
		if tc.body != nil {
			res = e.post(tc.path, client, tc.body)
		} else {
			res = e.do(http.MethodPost, tc.path, client, strings.NewReader(tc.raw))
		}
		if res.status != 403 {
			t.Errorf("client token, POST %s: %d, want 403", tc.path, res.status)
			continue
		}
		if p := res.problem(t); !strings.Contains(p.Detail, "scope client") {
			t.Errorf("POST %s: the 403 should name the token's scope: %q", tc.path, p.Detail)
		}
	}
	if n := len(allClients(t, e, "wsus01.corp.example")); n != 10 {
		t.Errorf("the server has %d clients after the refused wipe, want 10", n)
	}
	if _, _, err := e.st.CreateToken(t.Context(), "x", "clients"); err == nil {
		t.Errorf("an unknown scope was accepted")
	}
}

// TestClientTokenReadsNothingWithReadAuth: client is no read scope.
func TestClientTokenReadsNothingWithReadAuth(t *testing.T) {
	e := newEnv(t, web.Config{ReadAuth: web.ReadAuthToken})
	client := e.token(probes.ScopeClient)
	res := e.do(http.MethodGet, "/api/v1/servers", client, nil)
	if res.status != 403 || !strings.Contains(res.problem(t).Detail, "read (or admin)") {
		t.Errorf("client token reading the fleet: %d %s", res.status, res.body)
	}
}

func allClients(t *testing.T, e *env, server string) []probes.ClientRecord {
	t.Helper()
	page, err := e.st.Clients(t.Context(), probes.ClientQuery{Server: server, Gap: "all", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var live []probes.ClientRecord
	for _, c := range page.Clients {
		if c.RemovedAt == nil {
			live = append(live, c)
		}
	}
	return live
}

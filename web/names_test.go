package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/idna"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/store/storetest"
	"github.com/wsusfleet/wsusfleet/web"
)

// TestNamesAreHostNames: every name a write stores (a report's server and
// clients, an inventory's computers, a registration, the {name} of an
// evidence upload) is a host name; what cannot be one is refused naming
// the field, and nothing is stored.
func TestNamesAreHostNames(t *testing.T) {
	e := newEnv(t, web.Config{})
	for i, bad := range []string{"../..", "<b>wsus</b>", "javascript:alert(1)", "p\u0430ypal.example", "pc\u202e01"} {
		r := storetest.Report(fmt.Sprint("bad-", i), "wsus01.corp.example", storetest.T0)
		r.Server.Name = bad
		res := e.post("/api/v1/reports", e.ingest, r)
		if res.status != 422 {
			t.Errorf("server %q: %d %s", bad, res.status, res.body)
			continue
		}
		if p := res.problem(t); len(p.Errors) != 1 || p.Errors[0].Pointer != "/server/name" {
			t.Errorf("server %q: the problem does not name /server/name: %+v", bad, p)
		}
		r = storetest.Report(fmt.Sprint("badclient-", i), "wsus01.corp.example", storetest.T0)
		r.Clients = &probes.ClientList{Complete: true, Items: []probes.Client{{Name: "pc1.corp.example"}, {Name: bad}}}
		if res := e.post("/api/v1/reports", e.ingest, r); res.status != 422 || !strings.Contains(string(res.body), `"/clients/items/1/name"`) {
			t.Errorf("client %q: %d %s", bad, res.status, res.body)
		}
		inv := probes.Inventory{Schema: probes.SchemaInventory, ID: fmt.Sprint("inv-", i), CollectedAt: probes.TimeOf(storetest.T0), Source: "ad", Items: []probes.InventoryItem{{Name: bad}}}
		if res := e.post("/api/v1/inventory", e.ingest, inv); res.status != 422 || !strings.Contains(string(res.body), `"/items/0/name"`) {
			t.Errorf("inventory %q: %d %s", bad, res.status, res.body)
		}
		if res := e.post("/api/v1/servers", e.admin, probes.Registration{Name: bad, URL: "http://wsus09:8530"}); res.status != 422 || !strings.Contains(string(res.body), `"/name"`) {
			t.Errorf("registration %q: %d %s", bad, res.status, res.body)
		}
		res = e.do("POST", "/api/v1/servers/"+url.PathEscape(bad)+"/evidence/procmon", e.ingest, strings.NewReader("x"))
		if res.status != 422 || !strings.Contains(string(res.body), `"parameter":"name"`) {
			t.Errorf("evidence for %q: %d %s", bad, res.status, res.body)
		}
	}
	if res := e.post("/api/v1/servers", e.admin, probes.Registration{URL: "http://wsus_01%2F..:8530"}); res.status != 422 {
		t.Errorf("a registration named by a URL whose host is no name: %d %s", res.status, res.body)
	}
	if n := e.serverCount(); n != 0 {
		t.Errorf("%d servers stored from refused requests", n)
	}
}

// TestRealFleetNamesAccepted: names real WSUS fleets hold are stored, in one
// form whatever their spelling.
func TestRealFleetNamesAccepted(t *testing.T) {
	e := newEnv(t, web.Config{})
	r := storetest.Report("real", "MÜLLER-WSUS.Corp.Example.", storetest.T0)
	r.Clients = &probes.ClientList{Complete: true, Items: []probes.Client{
		{Name: "CONTOSO"}, {Name: "sql_srv01.corp.example"}, {Name: "WKS-0042.CORP.EXAMPLE."}, {Name: "東京-pc.corp.example"}, {Name: "10.1.2.42"},
	}}
	if res := e.post("/api/v1/reports", e.ingest, r); res.status != 201 {
		t.Fatalf("a real fleet's names: %d %s", res.status, res.body)
	}
	var st probes.ServerState
	alabel, err := idna.Lookup.ToASCII("müller-wsus.corp.example")
	if err != nil || !strings.HasPrefix(alabel, "xn--") {
		t.Fatal(alabel, err)
	}
	if res := e.do("GET", "/api/v1/servers/"+alabel, "", nil); res.status != 200 {
		t.Fatalf("the server by its A-label: %d %s", res.status, res.body)
	} else {
		res.json(t, &st)
	}
	if st.Name != "müller-wsus.corp.example" {
		t.Errorf("stored as %q", st.Name)
	}
	var page probes.ClientPage
	e.do("GET", "/api/v1/servers/m%C3%BCller-wsus.corp.example/clients", "", nil).json(t, &page)
	var names []string
	for _, c := range page.Clients {
		names = append(names, c.Name)
	}
	if strings.Join(names, " ") != "10.1.2.42 contoso sql_srv01.corp.example wks-0042.corp.example 東京-pc.corp.example" {
		t.Errorf("clients stored as %q", names)
	}
}

// TestInvalidUTF8Refused: a body that is not UTF-8 is a 400; before, each
// bad byte became U+FFFD and "pc\xfc" and "pc\xe9" were one computer.
func TestInvalidUTF8Refused(t *testing.T) {
	e := newEnv(t, web.Config{})
	for i, name := range []string{"pc\xfc.corp.example", "pc\xe9.corp.example"} {
		b, _ := json.Marshal(storetest.Report("latin1-"+string(rune('a'+i)), "wsus01.corp.example", storetest.T0))
		b = bytes.Replace(b, []byte(`"wsus01.corp.example"`), []byte(`"`+name+`"`), 1)
		res := e.do("POST", "/api/v1/reports", e.ingest, bytes.NewReader(b), "Content-Type", "application/json")
		if res.status != 400 || !strings.Contains(res.problem(t).Detail, "not UTF-8") {
			t.Errorf("%q: %d %s", name, res.status, res.body)
		}
	}
	if n := e.serverCount(); n != 0 {
		t.Errorf("%d servers stored from bodies that are not UTF-8", n)
	}
}

// TestRegisterRefusesLinkLocal: registering the cloud metadata address is
// refused naming the field, unless the dashboard allows it.
func TestRegisterRefusesLinkLocal(t *testing.T) {
	e := newEnv(t, web.Config{})
	for _, u := range []string{"http://169.254.169.254", "http://[fe80::1]:8530", "http://metadata.google.internal"} {
		res := e.post("/api/v1/servers", e.admin, probes.Registration{URL: u})
		if res.status != 422 {
			t.Errorf("%s: %d %s", u, res.status, res.body)
			continue
		}
		if p := res.problem(t); len(p.Errors) != 1 || p.Errors[0].Pointer != "/url" {
			t.Errorf("%s: %+v", u, p)
		}
	}
	if res := e.post("/api/v1/servers", e.admin, probes.Registration{URL: "http://10.1.2.3:8530"}); res.status != 201 {
		t.Errorf("a private address: %d %s", res.status, res.body)
	}
	allowed := newEnv(t, web.Config{AllowLinkLocal: true})
	if res := allowed.post("/api/v1/servers", allowed.admin, probes.Registration{Name: "lab", URL: "http://169.254.10.20:8530"}); res.status != 201 {
		t.Errorf("with AllowLinkLocal: %d %s", res.status, res.body)
	}
}

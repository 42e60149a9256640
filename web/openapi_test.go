package web_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/store/storetest"
	"github.com/wsusfleet/wsusfleet/web"
)

// TestResponsesMatchOpenAPI checks real responses against the schemas the
// served OpenAPI document publishes for them.
func TestResponsesMatchOpenAPI(t *testing.T) {
	e := newEnv(t, web.Config{})
	seed(t, e)
	docRes := e.do("GET", "/api/v1/openapi.json", "", nil)
	var doc map[string]any
	docRes.json(t, &doc)
	if doc["openapi"] != "3.1.0" {
		t.Fatalf("openapi = %v", doc["openapi"])
	}
	raw, err := jsonschema.UnmarshalJSON(bytes.NewReader(docRes.body))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource("openapi.json", raw); err != nil {
		t.Fatal(err)
	}
	schema := func(name string) *jsonschema.Schema {
		s, err := c.Compile("openapi.json#/components/schemas/" + name)
		if err != nil {
			t.Fatalf("schema %s: %v", name, err)
		}
		return s
	}
	check := func(name string, res response) {
		t.Helper()
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(res.body))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := schema(name).Validate(inst); err != nil {
			t.Errorf("a real %s response does not match the OpenAPI schema: %v\n%s", name, err, res.body)
		}
	}
	full := storetest.Report("full", "wsus02", storetest.T0)
	full.Events = []probes.Event{{ID: 12072, Source: "Windows Server Update Services", Level: "Error", Time: full.CollectedAt, Message: "The WSUS content directory is not accessible."}}
	full.Sync = &probes.Sync{From: probes.SyncFromMicrosoftUpdate, Last: &probes.SyncRun{StartedAt: full.CollectedAt, Result: "Succeeded"}}
	check("Receipt", e.post("/api/v1/reports", e.ingest, full))
	check("ServerList", e.do("GET", "/api/v1/servers", "", nil))
	check("ServerState", e.do("GET", "/api/v1/servers/wsus01.corp.example", "", nil))
	check("ServerState", e.do("GET", "/api/v1/servers/wsus02", "", nil))
	check("ClientPage", e.do("GET", "/api/v1/servers/wsus01.corp.example/clients?limit=5", "", nil))
	check("VDirHistory", e.do("GET", "/api/v1/servers/wsus01.corp.example/vdirs", "", nil))
	check("Problem", e.do("GET", "/api/v1/servers/none", "", nil))
	check("Problem", e.do("POST", "/api/v1/reports", e.ingest, bytes.NewReader([]byte(`{"id":1}`))))
	cr := clientReport("pc9.corp.example", "http://wsus02:8530", "http://wsus02:8530", "x", nil)
	check("ClientReceipt", e.post("/api/v1/client-reports", e.ingest, cr))
	check("InventoryReceipt", e.post("/api/v1/inventory", e.ingest, probes.Inventory{Schema: probes.SchemaInventory, ID: "i1", CollectedAt: full.CollectedAt,
		Source: "ad", Complete: true, Items: []probes.InventoryItem{{Name: "pc9.corp.example", Enabled: true}}}))
	check("FleetGaps", e.do("GET", "/api/v1/gaps", "", nil))
	check("GapPage", e.do("GET", "/api/v1/gaps/stale_report?limit=3", "", nil))
	check("FindingList", e.do("GET", "/api/v1/findings", "", nil))
	check("Hierarchy", e.do("GET", "/api/v1/hierarchy", "", nil))
	var body map[string]any
	b, _ := json.Marshal(full)
	json.Unmarshal(b, &body)
	check("Report", response{body: b})
}

package probes

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// compileDocumentSchema round-trips the generated schema through JSON, as a
// consumer of the published document would see it.
func compileDocumentSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	b, err := json.Marshal(DocumentSchema())
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
	s, err := c.Compile("schema.json")
	if err != nil {
		t.Fatalf("generated schema does not compile: %v", err)
	}
	return s
}

func TestDocumentSchemaMatchesDecoder(t *testing.T) {
	s := compileDocumentSchema(t)
	valid := []string{"report-design-example.json", "client-report-design-example.json", "inventory-design-example.json"}
	for _, name := range valid {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(readFile(t, "testdata/"+name)))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(doc); err != nil {
			t.Errorf("%s: the schema rejects a document the decoder accepts: %v", name, err)
		}
	}
	// Documents the decoder rejects for shape reasons must fail the schema too.
	for _, body := range []string{
		minimal(`"server":{`, `"severs":1,"server":{`),
		minimal(`"status":200`, `"status":"200"`),
		minimal(`"vdir":"ClientWebService"`, `"vdir":"Foo"`),
		minimal(`"id":"r-1",`, ``),
		minimal(`"name":"wsus01"`, `"name":"`+strings.Repeat("x", 300)+`"`),
	} {
		if _, err := DecodeReport([]byte(body), testNow); err == nil {
			t.Fatalf("decoder accepted %s", body)
		}
		doc, _ := jsonschema.UnmarshalJSON(strings.NewReader(body))
		if err := s.Validate(doc); err == nil {
			t.Errorf("schema accepts a document the decoder rejects: %s", body)
		}
	}
}

func TestSchemaCoversEveryField(t *testing.T) {
	defs := DocumentSchema()["$defs"].(map[string]any)
	for _, name := range []string{"Report", "ServerInfo", "VDirCheck", "TLSInfo", "VDirConfig", "AppPool", "Service", "ACL", "Event", "Sync", "Upstream", "SyncRun", "ClientList", "Client", "ClientReport", "ClientView", "Inventory", "InventoryItem"} {
		if _, ok := defs[name]; !ok {
			t.Errorf("schema has no definition for %s", name)
		}
	}
	props := defs["Report"].(map[string]any)["properties"].(map[string]any)
	for _, section := range []string{"server", "vdir_checks", "vdir_config", "app_pool", "services", "acls", "events", "sync", "clients"} {
		if _, ok := props[section]; !ok {
			t.Errorf("Report schema lacks section %s", section)
		}
	}
}

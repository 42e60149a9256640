package probes

import (
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Validate reports every problem in the server report.
func (r *Report) Validate(now time.Time) error {
	var p problems
	validateStruct(reflect.ValueOf(r), "", now, &p)
	if r.Collector.Vantage == VantageClient {
		p.add("/collector/vantage", "a server report's vantage is server, remote or dashboard; client views go to /api/v1/client-reports")
	}
	if r.Server.URL != "" {
		if err := CheckServerURL(r.Server.URL); err != nil {
			p.add("/server/url", "%s", err.Error())
		}
	}
	if r.Sync != nil && r.Sync.From == SyncFromUpstream && r.Sync.Upstream == nil {
		p.add("/sync/upstream", "is required when from is %q", SyncFromUpstream)
	}
	if r.Clients != nil {
		seen := make(map[string]int, len(r.Clients.Items))
		for i, c := range r.Clients.Items {
			key, field := c.Key(), "/id"
			if c.ID == "" {
				field = "/name"
			}
			if j, dup := seen[key]; dup {
				p.add("/clients/items/"+strconv.Itoa(i)+field, "duplicates /clients/items/%d", j)
				continue
			}
			seen[key] = i
		}
	}
	return p.err()
}

// Validate reports every problem in the client report.
func (r *ClientReport) Validate(now time.Time) error {
	var p problems
	validateStruct(reflect.ValueOf(r), "", now, &p)
	if r.Collector.Vantage != "" && r.Collector.Vantage != VantageClient {
		p.add("/collector/vantage", "must be %q in a client report", VantageClient)
	}
	return p.err()
}

// Validate reports every problem in the inventory.
func (inv *Inventory) Validate(now time.Time) error {
	var p problems
	validateStruct(reflect.ValueOf(inv), "", now, &p)
	seen := make(map[string]int, len(inv.Items))
	for i, it := range inv.Items {
		key := NormalizeName(it.Name)
		if j, dup := seen[key]; dup {
			p.add("/items/"+strconv.Itoa(i)+"/name", "duplicates /items/%d", j)
			continue
		}
		seen[key] = i
	}
	return p.err()
}

// Key identifies a computer target within one server's list: its SusClientId
// when known, otherwise its name.
func (c Client) Key() string {
	if c.ID != "" {
		return "id:" + strings.ToLower(strings.Trim(c.ID, "{}"))
	}
	return "name:" + NormalizeName(c.Name)
}

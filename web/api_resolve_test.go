package web_test

import (
	"net/url"
	"testing"

	"github.com/wsusfleet/wsusfleet/web"
)

// GET /api/v1/resolve answers which known server a URL names, by any of its
// names, for agents holding an ingest token.
func TestResolveServer(t *testing.T) {
	e := newEnv(t, web.Config{})
	seed(t, e) // wsus01.corp.example at http://wsus01.corp.example:8530
	get := func(token, u string) response {
		return e.do("GET", "/api/v1/resolve?url="+url.QueryEscape(u), token, nil)
	}
	var got web.Resolution
	res := get(e.ingest, "http://WSUS01:8530")
	res.json(t, &got)
	if res.status != 200 || got.Server != "wsus01.corp.example" || got.MatchedBy != "short" {
		t.Errorf("short name: %d %+v", res.status, got)
	}
	for u, status := range map[string]int{"http://wsus01.corp.example:9999": 404, "http://10.20.30.40:8530": 404, "wsus01": 422} {
		res := get(e.ingest, u)
		if res.status != status {
			t.Errorf("%s: %d, want %d", u, res.status, status)
			continue
		}
		if p := res.problem(t); status == 422 && (len(p.Errors) == 0 || p.Errors[0].Parameter != "url") {
			t.Errorf("%s: the problem must name url: %+v", u, p)
		}
	}
	if res := e.do("GET", "/api/v1/resolve", e.ingest, nil); res.status != 422 {
		t.Errorf("no url: %d", res.status)
	}
	if res := get(e.read, "http://wsus01.corp.example:8530"); res.status != 403 {
		t.Errorf("a read token: %d, want 403", res.status)
	}
	if res := get("", "http://wsus01.corp.example:8530"); res.status != 401 {
		t.Errorf("no token: %d, want 401", res.status)
	}
}

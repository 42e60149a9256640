package prober

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/wsusfleet/wsusfleet/probes/sim"
)

// simPage returns the body the simulator sends for path under profile.
func simPage(tb testing.TB, opts sim.Options, path string) (int, []byte) {
	tb.Helper()
	h, err := sim.NewHandler(opts)
	if err != nil {
		tb.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://wsus01:8530"+path, nil))
	b, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, b
}

func TestSubstatus(t *testing.T) {
	cases := []struct {
		name   string
		status int
		body   string
		want   int // -1: nil
	}{
		{"IIS detailed", 401, "<h3>HTTP Error 401.2 - Unauthorized</h3>", 2},
		{"IIS 6 style", 401, "HTTP Error 401.1 - Unauthorized: Access is denied due to invalid credentials.", 1},
		{"title only", 500, "<title>IIS 10.0 Detailed Error - 500.24 - Internal Server Error</title>", 24},
		{"HTTP.sys", 503, "<hr><p>HTTP Error 503. The service is unavailable.</p>", 0},
		{"HTTP.sys bad hostname", 400, "<p>HTTP Error 400. The request hostname is invalid.</p>", 0},
		{"other status quoted", 404, "<h3>HTTP Error 401.2 - Unauthorized</h3>", -1},
		{"custom error page", 401, "<h2>401 - Unauthorized: Access is denied due to invalid credentials.</h2>", -1},
		{"plain page", 200, "<html>ok</html>", -1},
		{"empty", 403, "", -1},
		{"absurd", 401, "HTTP Error 401.99999 - x", -1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := substatus(tc.status, []byte(tc.body))
			if (got == nil) != (tc.want < 0) || (got != nil && *got != tc.want) {
				t.Errorf("substatus = %v; want %d", deref(got), tc.want)
			}
		})
	}
}

// The simulator's real pages, within the default MaxBody.
func TestSubstatusOfSimPages(t *testing.T) {
	for _, tc := range []struct {
		profile, path string
		want          int
	}{
		{sim.AnonDisabled, "/ClientWebService/client.asmx", 2},
		{sim.IUSRCredentials, "/Inventory/", 1},
		{sim.ContentACL, "/Content/", 3},
		{sim.Healthy, "/Content/", 14},
		{sim.Impersonation, "/selfupdate/wuident.cab", 24},
		{sim.ClientCertRequired, "/Content/", 7},
		{sim.SelfUpdateMissing, "/selfupdate/wuident.cab", 0},
		{sim.PoolStopped, "/Content/", 0},
	} {
		status, body := simPage(t, sim.Options{Profile: tc.profile}, tc.path)
		if len(body) > DefaultMaxBody {
			body = body[:DefaultMaxBody]
		}
		if got := substatus(status, body); got == nil || *got != tc.want {
			t.Errorf("%s %s: substatus %v; want %d", tc.profile, tc.path, deref(got), tc.want)
		}
	}
}

func deref(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

// FuzzSubstatus: never panics, and a result is always a plausible substatus of
// the status asked for.
func FuzzSubstatus(f *testing.F) {
	for _, seed := range []struct {
		profile, path string
	}{{sim.AnonDisabled, "/ClientWebService/client.asmx"}, {sim.PoolStopped, "/"}, {sim.Healthy, "/Content/"}, {sim.CatalogBloat, "/ClientWebService/client.asmx"}} {
		status, body := simPage(f, sim.Options{Profile: seed.profile, Latency: 1}, seed.path)
		f.Add(status, body)
	}
	f.Add(401, []byte("HTTP Error 401.2 - "))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if got := substatus(status, body); got != nil && (*got < 0 || *got > 999) {
			t.Errorf("substatus %d out of range", *got)
		}
	})
}

package sim

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

// serve runs one request through a handler with the given options.
func serve(tb testing.TB, opts Options, method, path string) *http.Response {
	tb.Helper()
	h, err := NewHandler(opts)
	if err != nil {
		tb.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, "http://wsus01:8530"+path, nil))
	return rec.Result()
}

func body(tb testing.TB, resp *http.Response) string {
	tb.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

func TestAnswers(t *testing.T) {
	negotiate := []string{"Negotiate", "NTLM"}
	cases := []struct {
		profile, path string
		status        int
		contains      string   // in the body
		auth          []string // WWW-Authenticate values, in order
		server        string   // "" means Microsoft-IIS/10.0
	}{
		{Healthy, "/ClientWebService/client.asmx", 200, "GetConfig", nil, ""},
		{Healthy, "/clientwebservice/CLIENT.ASMX", 200, "SyncUpdates", nil, ""},
		{Healthy, "/ClientWebService/wusserverversion.xml", 200, "<ServerVersion", nil, ""},
		{Healthy, "/SimpleAuthWebService/SimpleAuth.asmx", 200, "GetAuthorizationCookie", nil, ""},
		{Healthy, "/DssAuthWebService/DssAuthWebService.asmx", 200, "DssAuthWebService", nil, ""},
		{Healthy, "/ServerSyncWebService/ServerSyncWebService.asmx", 200, "GetRevisionIdList", nil, ""},
		{Healthy, "/ReportingWebService/ReportingWebService.asmx", 200, "ReportEventBatch", nil, ""},
		{Healthy, "/ApiRemoting30/WebService.asmx", 401, "<h3>HTTP Error 401.2 - Unauthorized</h3>", negotiate, ""},
		{Healthy, "/apiremoting30/nothing-here.aspx", 401, "HTTP Error 401.2 - Unauthorized", negotiate, ""},
		{Healthy, "/Inventory/", 200, "Inventory", nil, ""},
		{Healthy, "/Inventory", 301, "Object Moved", nil, ""},
		{Healthy, "/selfupdate/wuident.cab", 200, "MSCF", nil, ""},
		{Healthy, "/SelfUpdate/iuident.cab", 200, "MSCF", nil, ""},
		{Healthy, "/Content/", 403, "<h3>HTTP Error 403.14 - Forbidden</h3>", nil, ""},
		{Healthy, strings.ToLower(ContentFile), 200, "MSCF", nil, ""},
		{Healthy, "/Content/00/missing.cab", 404, "HTTP Error 404.0 - Not Found", nil, ""},
		{Healthy, "/", 404, "<title>IIS 10.0 Detailed Error - 404.0 - Not Found</title>", nil, ""},
		{Healthy, "/ClientWebService/", 403, "HTTP Error 403.14 - Forbidden", nil, ""},
		{PoolStopped, "/ClientWebService/client.asmx", 503, "HTTP Error 503. The service is unavailable.", nil, "Microsoft-HTTPAPI/2.0"},
		{PoolStopped, "/Content/", 503, "<h2>Service Unavailable</h2>", nil, "Microsoft-HTTPAPI/2.0"},
		{PoolStopped, "/nothing", 503, "Service Unavailable", nil, "Microsoft-HTTPAPI/2.0"},
		{AnonDisabled, "/ClientWebService/client.asmx", 401, "<h3>HTTP Error 401.2 - Unauthorized</h3>", negotiate, ""},
		{AnonDisabled, "/Content/", 401, "No authentication protocol (including anonymous) is selected in IIS.", negotiate, ""},
		{AnonDisabled, "/ApiRemoting30/WebService.asmx", 401, "HTTP Error 401.2", negotiate, ""},
		{AnonDisabledCWS, "/ClientWebService/client.asmx", 401, "HTTP Error 401.2 - Unauthorized", negotiate, ""},
		{AnonDisabledCWS, "/SimpleAuthWebService/SimpleAuth.asmx", 200, "SimpleAuthWebService", nil, ""},
		{IUSRCredentials, "/SimpleAuthWebService/SimpleAuth.asmx", 401, "HTTP Error 401.1 - Unauthorized", nil, ""},
		{ContentACL, "/Content/", 401, "<h3>HTTP Error 401.3 - Unauthorized</h3>", nil, ""},
		{ContentACL, ContentFile, 401, "access control list (ACL)", nil, ""},
		{ContentACL, "/ClientWebService/client.asmx", 200, "GetConfig", nil, ""},
		{Impersonation, "/SelfUpdate/wuident.cab", 500, "<h3>HTTP Error 500.24 - Internal Server Error</h3>", nil, ""},
		{Impersonation, "/ApiRemoting30/WebService.asmx", 500, "system.web/identity@impersonate is set to true.", nil, ""},
		{ClientCertRequired, "/ClientWebService/client.asmx", 403, "HTTP Error 403.7 - Forbidden", nil, ""},
		{SiteSSLRequired, "/Content/", 403, "HTTP Error 403.4 - Forbidden", nil, ""},
		{SSLCertExpired, "/ClientWebService/client.asmx", 200, "GetConfig", nil, ""},
		{SelfUpdateMissing, "/selfupdate/wuident.cab", 404, "HTTP Error 404.0 - Not Found", nil, ""},
		{SelfUpdateMissing, "/Inventory/", 200, "", nil, ""},
		{CatalogBloat, "/ClientWebService/client.asmx", 500, "System.Web.HttpException: Request timed out.", nil, ""},
		{CatalogBloat, "/ClientWebService/wusserverversion.xml", 200, "ServerVersion", nil, ""},
		{Slow, "/SimpleAuthWebService/SimpleAuth.asmx", 200, "GetAuthorizationCookie", nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.profile+tc.path, func(t *testing.T) {
			resp := serve(t, Options{Profile: tc.profile, Latency: time.Millisecond}, http.MethodGet, tc.path)
			if resp.StatusCode != tc.status {
				t.Errorf("status = %d; want %d", resp.StatusCode, tc.status)
			}
			if b := body(t, resp); !strings.Contains(b, tc.contains) {
				t.Errorf("body lacks %q:\n%.600s", tc.contains, b)
			}
			if got := resp.Header.Values("WWW-Authenticate"); !slices.Equal(got, tc.auth) {
				t.Errorf("WWW-Authenticate = %q; want %q", got, tc.auth)
			}
			wantServer := tc.server
			if wantServer == "" {
				wantServer = "Microsoft-IIS/10.0"
			}
			if got := resp.Header.Get("Server"); got != wantServer {
				t.Errorf("Server = %q; want %q", got, wantServer)
			}
			if powered := resp.Header.Get("X-Powered-By"); (wantServer == "Microsoft-IIS/10.0") != (powered == "ASP.NET") {
				t.Errorf("X-Powered-By = %q with Server %q", powered, wantServer)
			}
		})
	}
}

// Every probe path of the reference table answers as §7.1 says on a healthy
// server, so the simulator cannot drift from the table.
func TestHealthyMatchesReferenceTable(t *testing.T) {
	for _, v := range probes.VDirs() {
		for _, p := range append([]string{v.Path}, v.AltPaths...) {
			resp := serve(t, Options{}, http.MethodGet, p)
			if !slices.Contains(v.Healthy, resp.StatusCode) {
				t.Errorf("%s %s: status %d; §7.1 says %v", v.Name, p, resp.StatusCode, v.Healthy)
			}
		}
	}
}

func TestCabContentType(t *testing.T) {
	resp := serve(t, Options{}, http.MethodGet, "/selfupdate/wuident.cab")
	if ct := resp.Header.Get("Content-Type"); ct != "application/vnd.ms-cab-compressed" {
		t.Errorf("Content-Type = %q", ct)
	}
	if n := len(body(t, resp)); n == 0 || n > 1024 {
		t.Errorf("cab body is %d bytes; want small and non-empty", n)
	}
}

func TestRedirectIsAbsoluteOnSameHost(t *testing.T) {
	resp := serve(t, Options{}, http.MethodGet, "/Inventory")
	if loc := resp.Header.Get("Location"); loc != "http://wsus01:8530/Inventory/" {
		t.Errorf("Location = %q", loc)
	}
}

func TestCustomErrorsHideSubstatus(t *testing.T) {
	resp := serve(t, Options{Profile: AnonDisabled, CustomErrors: true}, http.MethodGet, "/ClientWebService/client.asmx")
	b := body(t, resp)
	if resp.StatusCode != 401 || !strings.Contains(b, "401 - Unauthorized: Access is denied due to invalid credentials.") {
		t.Fatalf("status %d, body:\n%s", resp.StatusCode, b)
	}
	if strings.Contains(b, "401.2") {
		t.Error("a remote custom error page must not reveal the substatus")
	}
	if got := resp.Header.Values("WWW-Authenticate"); len(got) != 2 {
		t.Errorf("WWW-Authenticate = %q; the challenges stay", got)
	}
}

func TestDetailedPageEscapesRequest(t *testing.T) {
	b := body(t, serve(t, Options{}, http.MethodGet, "/x%3Cscript%3Ealert(1)%3C/script%3E"))
	if strings.Contains(b, "<script>") {
		t.Error("request path reflected unescaped")
	}
}

func TestProfiles(t *testing.T) {
	ps := Profiles()
	seen := map[string]bool{}
	for _, p := range ps {
		if p.Name == "" || p.Description == "" || strings.Contains(p.Description, "\n") {
			t.Errorf("profile %+v needs a name and a one-line description", p)
		}
		if seen[p.Name] {
			t.Errorf("duplicate profile %q", p.Name)
		}
		seen[p.Name] = true
		if _, err := NewHandler(Options{Profile: p.Name}); err != nil {
			t.Error(err)
		}
	}
	for _, want := range []string{Healthy, PoolStopped, AnonDisabled, ContentACL, Impersonation, SSLCertExpired, Slow, SelfUpdateMissing} {
		if !seen[want] {
			t.Errorf("missing profile %q", want)
		}
	}
	if _, err := NewHandler(Options{Profile: "no-such"}); err == nil {
		t.Error("unknown profile accepted")
	}
	h, _ := NewHandler(Options{})
	if err := h.SetProfile("nope"); err == nil || h.Profile() != Healthy {
		t.Errorf("SetProfile(nope) = %v, profile %q", err, h.Profile())
	}
}

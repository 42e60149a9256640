package probes

import (
	"strings"
	"testing"
	"time"
)

func intp(i int) *int { return &i }

func TestJudge(t *testing.T) {
	negotiate := []string{"Negotiate", "NTLM"}
	soon := TimeOf(testNow.Add(10 * 24 * time.Hour))
	later := TimeOf(testNow.Add(400 * 24 * time.Hour))
	past := TimeOf(testNow.Add(-time.Hour))
	cases := []struct {
		name    string
		c       VDirCheck
		verdict string
		reason  string
	}{
		{"client web service 200", VDirCheck{VDir: "ClientWebService", Status: 200, Substatus: intp(0)}, VerdictOK, "200.0 as expected"},
		{"api remoting 401 negotiate is healthy", VDirCheck{VDir: "ApiRemoting30", Status: 401, WWWAuthenticate: negotiate}, VerdictOK, "401 with Negotiate/NTLM"},
		{"api remoting anonymous", VDirCheck{VDir: "ApiRemoting30", Status: 200}, VerdictWarning, "answers anonymously"},
		{"api remoting 401 without windows auth", VDirCheck{VDir: "ApiRemoting30", Status: 401, WWWAuthenticate: []string{"Basic realm=\"x\""}}, VerdictWarning, "Windows authentication looks off"},
		{"anonymous vdir 401 + negotiate = 401.2", VDirCheck{VDir: "SimpleAuthWebService", Status: 401, WWWAuthenticate: negotiate}, VerdictFault, "401.2: anonymous authentication is disabled"},
		{"explicit 401.2", VDirCheck{VDir: "ClientWebService", Status: 401, Substatus: intp(2)}, VerdictFault, "401.2"},
		{"401.1 iusr", VDirCheck{VDir: "ClientWebService", Status: 401, Substatus: intp(1), WWWAuthenticate: negotiate}, VerdictFault, "401.1: IIS cannot log on the anonymous identity"},
		{"401.3 ntfs", VDirCheck{VDir: "Content", Status: 401, Substatus: intp(3)}, VerdictFault, "401.3: NTFS permissions"},
		{"bare 401", VDirCheck{VDir: "Inventory", Status: 401}, VerdictFault, "unauthorized on an anonymous vDir"},
		{"content listing off", VDirCheck{VDir: "Content", Status: 403}, VerdictOK, "directory listing off"},
		{"content 403.14", VDirCheck{VDir: "Content", Status: 403, Substatus: intp(14)}, VerdictOK, "directory listing off"},
		{"403 elsewhere", VDirCheck{VDir: "ClientWebService", Status: 403}, VerdictFault, "forbidden"},
		{"ssl required on content", VDirCheck{VDir: "Content", Status: 403, Substatus: intp(4)}, VerdictFault, "403.4: SSL is required on a vDir that must not"},
		{"ssl required in ssl mode", VDirCheck{VDir: "ClientWebService", Status: 403, Substatus: intp(4)}, VerdictOK, "expected in SSL mode"},
		{"client cert", VDirCheck{VDir: "ClientWebService", Status: 403, Substatus: intp(7)}, VerdictFault, "client certificate"},
		{"impersonation", VDirCheck{VDir: "SelfUpdate", Status: 500, Substatus: intp(24)}, VerdictFault, "500.24: ASP.NET impersonation"},
		{"server error", VDirCheck{VDir: "ClientWebService", Status: 500, Substatus: intp(0)}, VerdictFault, "500.0: server error"},
		{"pool stopped", VDirCheck{VDir: "ClientWebService", Status: 503}, VerdictFault, "WsusPool stopped"},
		{"selfupdate missing", VDirCheck{VDir: "SelfUpdate", Status: 404}, VerdictFault, "404 Not Found"},
		{"inventory redirect", VDirCheck{VDir: "Inventory", Status: 301}, VerdictOK, "301 as expected"},
		{"unexpected redirect", VDirCheck{VDir: "ClientWebService", Status: 302}, VerdictWarning, "unexpected redirect"},
		{"dss any 2xx", VDirCheck{VDir: "DssAuthWebService", Status: 204}, VerdictOK, "as expected"},
		{"refused", VDirCheck{VDir: "ClientWebService", ErrorKind: ErrorConnect, Error: "connection refused"}, VerdictFault, "cannot connect"},
		{"dns", VDirCheck{VDir: "ClientWebService", ErrorKind: ErrorDNS}, VerdictFault, "does not resolve"},
		{"timeout", VDirCheck{VDir: "ClientWebService", ErrorKind: ErrorTimeout}, VerdictFault, "no answer in time"},
		{"slow", VDirCheck{VDir: "ClientWebService", Status: 200, LatencyMS: 4200}, VerdictWarning, "slow: 4.2 s"},
		{"cert expired", VDirCheck{VDir: "ClientWebService", Status: 200, TLS: &TLSInfo{NotAfter: past, ChainValid: false, NameMatches: true}}, VerdictFault, "certificate expired"},
		{"cert untrusted", VDirCheck{VDir: "ClientWebService", Status: 200, TLS: &TLSInfo{NotAfter: later, NameMatches: true, Error: "unknown authority"}}, VerdictFault, "not trusted: unknown authority"},
		{"cert wrong name", VDirCheck{VDir: "ClientWebService", Status: 200, TLS: &TLSInfo{NotAfter: later, ChainValid: true}}, VerdictFault, "does not match"},
		{"cert expiring", VDirCheck{VDir: "ClientWebService", Status: 200, TLS: &TLSInfo{NotAfter: soon, ChainValid: true, NameMatches: true}}, VerdictWarning, "expires in 10 days"},
		{"cert fine", VDirCheck{VDir: "ClientWebService", Status: 200, TLS: &TLSInfo{NotAfter: later, ChainValid: true, NameMatches: true}}, VerdictOK, "as expected"},
		{"fault beats expiring cert", VDirCheck{VDir: "ClientWebService", Status: 503, TLS: &TLSInfo{NotAfter: soon, ChainValid: true, NameMatches: true}}, VerdictFault, "WsusPool"},
		{"unknown vdir", VDirCheck{VDir: "Nope", Status: 200}, VerdictWarning, "not a WSUS vDir"},
		{"combined challenge header", VDirCheck{VDir: "ApiRemoting30", Status: 401, WWWAuthenticate: []string{"Negotiate, NTLM"}}, VerdictOK, "401 with Negotiate/NTLM"},
		{"combined challenge on anonymous vdir", VDirCheck{VDir: "ClientWebService", Status: 401, WWWAuthenticate: []string{"Basic realm=x, NTLM"}}, VerdictFault, "401.2"},
		{"catalog bloat", VDirCheck{VDir: "ClientWebService", Status: 500, LatencyMS: 45000}, VerdictFault, "catalog bloat"},
		{"quick 500 is not bloat", VDirCheck{VDir: "ClientWebService", Status: 500, LatencyMS: 40}, VerdictFault, "500: server error"},
		{"inventory redirect elsewhere", VDirCheck{VDir: "Inventory", URL: "http://wsus01:8530/Inventory/", Status: 301, Location: "http://evil.example/x"}, VerdictWarning, "redirects to another server: http://evil.example/x"},
		{"inventory redirect same server", VDirCheck{VDir: "Inventory", URL: "http://wsus01:8530/Inventory/", Status: 301, Location: "http://WSUS01:8530/Inventory/default.aspx"}, VerdictOK, "301 as expected"},
		{"relative redirect", VDirCheck{VDir: "Inventory", URL: "http://wsus01/Inventory", Status: 301, Location: "/Inventory/"}, VerdictOK, "as expected"},
		{"https default port", VDirCheck{VDir: "Inventory", URL: "https://wsus01/Inventory", Status: 302, Location: "https://wsus01:443/Inventory/"}, VerdictOK, "as expected"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, r := Judge(tc.c, testNow)
			if v != tc.verdict || !strings.Contains(r, tc.reason) {
				t.Errorf("Judge = %s %q; want %s containing %q", v, r, tc.verdict, tc.reason)
			}
		})
	}
}

func TestVDirReference(t *testing.T) {
	names := VDirNames()
	if len(names) != 9 {
		t.Fatalf("DESIGN §7.1 lists 9 vDirs, table has %d", len(names))
	}
	for _, tc := range []struct{ path, want string }{
		{"/ClientWebService/Client.asmx", "ClientWebService"},
		{"/clientwebservice/client.asmx", "ClientWebService"},
		{"/reportingwebservice/reportingwebservice.asmx", "ReportingWebService"},
		{"/selfupdate/iuident.cab", "SelfUpdate"},
		{"/Content/0A/ABC.cab", "Content"},
		{"/Inventory", "Inventory"},
		{"/apiremoting30/WebService.asmx", "ApiRemoting30"},
	} {
		v, ok := VDirOfPath(tc.path)
		if !ok || v.Name != tc.want {
			t.Errorf("VDirOfPath(%q) = %q, %v; want %q", tc.path, v.Name, ok, tc.want)
		}
	}
	for _, p := range []string{"/", "/iisstart.htm", "/ClientWebServiceX/a", ""} {
		if v, ok := VDirOfPath(p); ok {
			t.Errorf("VDirOfPath(%q) = %q; want no vDir", p, v.Name)
		}
	}
	api, _ := LookupVDir("apiremoting30")
	if !api.WindowsAuth || api.Anonymous {
		t.Error("ApiRemoting30 must be Windows auth only")
	}
}

// When SelfUpdate answers on the WSUS port, a closed port 80 matters only to
// legacy agents: a warning, so the strip's SelfUpdate cell is not a fault.
func TestJudgeChecksSelfUpdatePort80(t *testing.T) {
	run := func(port80 VDirCheck, wsusPort int) []VDirCheck {
		cs := []VDirCheck{
			{VDir: "ClientWebService", URL: "http://wsus01.corp.example:8530/ClientWebService/client.asmx", Status: 200},
			{VDir: "SelfUpdate", URL: "http://wsus01.corp.example:8530/selfupdate/wuident.cab", Status: wsusPort},
			port80,
		}
		JudgeChecks(cs, testNow)
		return cs
	}
	refused := VDirCheck{VDir: "SelfUpdate", URL: "http://wsus01.corp.example/selfupdate/wuident.cab", ErrorKind: ErrorConnect, Error: "connection refused"}
	cs := run(refused, 200)
	if c := cs[2]; c.Verdict != VerdictWarning || !strings.Contains(c.Reason, "port 80: cannot connect") || !strings.Contains(c.Reason, "legacy clients") {
		t.Errorf("port 80 refused while SelfUpdate answers on 8530: %s %q", c.Verdict, c.Reason)
	}
	if cell := Cells(cs)[7]; cell.VDir != "SelfUpdate" || cell.Verdict != VerdictWarning {
		t.Errorf("the strip's SelfUpdate cell: %+v", cell)
	}
	missing := VDirCheck{VDir: "SelfUpdate", URL: "http://wsus01.corp.example:80/selfupdate/wuident.cab", Status: 404}
	if c := run(missing, 200)[2]; c.Verdict != VerdictWarning {
		t.Errorf("port 80 404: %s %q", c.Verdict, c.Reason)
	}
	// SelfUpdate broken on the WSUS port too: both are faults.
	cs = run(refused, 404)
	if cs[1].Verdict != VerdictFault || cs[2].Verdict != VerdictFault {
		t.Errorf("both broken: %s / %s", cs[1].Verdict, cs[2].Verdict)
	}
	if cell := Cells(cs)[7]; cell.Verdict != VerdictFault {
		t.Errorf("the strip hides a broken SelfUpdate: %+v", cell)
	}
}

// CertExpiryWarned is true only when the certificate's coming expiry is the
// verdict's one complaint.
func TestCertExpiryWarned(t *testing.T) {
	soon := &TLSInfo{NotAfter: TimeOf(testNow.Add(10 * 24 * time.Hour)), ChainValid: true, NameMatches: true}
	later := &TLSInfo{NotAfter: TimeOf(testNow.Add(60 * 24 * time.Hour)), ChainValid: true, NameMatches: true}
	past := &TLSInfo{NotAfter: TimeOf(testNow.Add(-time.Hour)), ChainValid: true, NameMatches: true}
	cwsURL := "https://wsus01.corp.example:8531/ClientWebService/client.asmx"
	for _, tc := range []struct {
		name string
		c    VDirCheck
		want bool
	}{
		{"expiring soon", VDirCheck{VDir: "ClientWebService", URL: cwsURL, Status: 200, TLS: soon}, true},
		{"expiring soon and slow (the verdict names the certificate)", VDirCheck{VDir: "ClientWebService", URL: cwsURL, Status: 200, LatencyMS: 5000, TLS: soon}, true},
		{"expiring later", VDirCheck{VDir: "ClientWebService", URL: cwsURL, Status: 200, TLS: later}, false},
		{"expired", VDirCheck{VDir: "ClientWebService", URL: cwsURL, Status: 200, TLS: past}, false},
		{"no TLS", VDirCheck{VDir: "ClientWebService", URL: cwsURL, Status: 200}, false},
		{"expiring soon with a 404", VDirCheck{VDir: "ClientWebService", URL: cwsURL, Status: 404, TLS: soon}, false},
		{"expiring soon with a redirect away", VDirCheck{VDir: "ClientWebService", URL: cwsURL, Status: 302, Location: "https://elsewhere.corp.example/", TLS: soon}, false},
	} {
		if got := CertExpiryWarned(tc.c, testNow); got != tc.want {
			v, r := Judge(tc.c, testNow)
			t.Errorf("%s: %v, want %v (verdict %s: %s)", tc.name, got, tc.want, v, r)
		}
	}
}

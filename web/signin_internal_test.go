package web

import "testing"

// TestLocalPathRefusesWhatBrowsersNormaliseOffSite: browsers drop tabs and
// newlines anywhere in a Location, trim control characters and spaces at its
// ends and read "\" as "/", so each of these would leave the dashboard.
func TestLocalPathRefusesWhatBrowsersNormaliseOffSite(t *testing.T) {
	for _, hostile := range []string{
		"/\t/evil.example", "/\n/evil.example", "/\r/evil.example", "/\r\n/evil.example", "\t//evil.example",
		"/\t\t/evil.example/x", "/ /evil.example", " //evil.example", "/\x00/evil.example", "/\x0b/evil.example",
		"/\x7f/evil.example", "//evil.example", "///evil.example", "/\\evil.example", "\\\\evil.example",
		"/\\/evil.example", "\\/evil.example", "https://evil.example/", "https:evil.example", "http:/evil.example",
		"javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,x", "evil.example", "", "./x", "?next=//evil",
		"/%2F%2Fevil.example", "/%2f/evil.example", "//user@evil.example", "/ok\r\nSet-Cookie: x=1",
		"/" + string(make([]byte, 3000)),
	} {
		if got := localPath(hostile); got != "/" {
			t.Errorf("localPath(%q) = %q, want /", hostile, got)
		}
	}
	for _, fine := range []string{
		"/", "/gaps", "/servers/wsus01.corp.example?gap=removed&older_than=7d", "/gaps/stale_report?cursor=abc%2F1",
		"/servers/wsus%2F01", "/settings/tokens#x", "/servers/x/clients.csv?q=a+b",
	} {
		if got := localPath(fine); got != fine {
			t.Errorf("localPath(%q) = %q, want it kept", fine, got)
		}
	}
}

package probes

import (
	"slices"
	"testing"
)

func TestServerNames(t *testing.T) {
	got := ServerNames("wsus01.corp.example", "http://WSUS01.corp.example:8530", []string{"WSUS01", "updates.corp.example.", "10.1.2.3"},
		[]string{"10.1.2.3", "fe80::1", "[2001:db8::10]"})
	want := []KnownName{{"wsus01.corp.example", NameKindName}, {"wsus01", NameKindAlias}, {"updates.corp.example", NameKindAlias},
		{"10.1.2.3", NameKindAddress}, {"fe80::1", NameKindAddress}, {"2001:db8::10", NameKindAddress}, {"updates", NameKindShort}}
	if !slices.Equal(got, want) {
		t.Errorf("ServerNames =\n%v\nwant\n%v", got, want)
	}
	// Registered by address: the URL host is the address, no short name of it.
	got = ServerNames("wsus02.corp.example", "http://10.0.0.7:8530", nil, nil)
	want = []KnownName{{"wsus02.corp.example", NameKindName}, {"10.0.0.7", NameKindURL}, {"wsus02", NameKindShort}}
	if !slices.Equal(got, want) {
		t.Errorf("ServerNames = %v, want %v", got, want)
	}
}

func TestShortName(t *testing.T) {
	for in, want := range map[string]string{"wsus01.corp.example": "wsus01", "WSUS01.Corp.Example.": "wsus01", "wsus01": "", "10.0.0.7": "", "fe80::1": ""} {
		if got := ShortName(in); got != want {
			t.Errorf("ShortName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMatchIdentities(t *testing.T) {
	ports := ServerPorts{HTTP: 8530, HTTPS: 8531}
	fleet := map[string]ServerIdentity{
		"wsus01.corp.example":  {Names: ServerNames("wsus01.corp.example", "http://wsus01.corp.example:8530", []string{"WSUS01", "updates.corp.example"}, []string{"10.1.2.3"}), Ports: ports},
		"wsus02.east.example":  {Names: ServerNames("wsus02.east.example", "", nil, nil), Ports: ports},
		"wsus02.west.example":  {Names: ServerNames("wsus02.west.example", "", nil, nil), Ports: ports},
		"sim-a.example":        {Names: ServerNames("sim-a.example", "http://127.0.0.1:40001", nil, nil), Ports: PortsFromURL("http://127.0.0.1:40001")},
		"sim-b.example":        {Names: ServerNames("sim-b.example", "http://127.0.0.1:40003", nil, nil), Ports: PortsFromURL("http://127.0.0.1:40003")},
		"wsus03.corp.example":  {Names: ServerNames("wsus03.corp.example", "", []string{"wsus03"}, nil), Ports: ports},
		"wsus03.other.example": {Names: ServerNames("wsus03.other.example", "", nil, nil), Ports: ports},
	}
	cases := []struct {
		host      string
		port      int
		server    string
		kind      string
		ambiguous []string
	}{
		{"wsus01.corp.example", 8530, "wsus01.corp.example", NameKindName, nil},
		{"WSUS01", 8530, "wsus01.corp.example", NameKindAlias, nil},
		{"updates.corp.example", 8530, "wsus01.corp.example", NameKindAlias, nil},
		{"updates", 8530, "wsus01.corp.example", NameKindShort, nil},
		{"10.1.2.3", 8530, "wsus01.corp.example", NameKindAddress, nil},
		{"wsus01.corp.example", 8535, "wsus01.corp.example", NameKindName, nil}, // a wrong port is still that server (and a bad URL)
		{"wsus02", 8530, "", "", []string{"wsus02.east.example", "wsus02.west.example"}},
		{"wsus02.east", 8530, "", "", nil}, // two labels are no short name
		{"127.0.0.1", 40003, "sim-b.example", NameKindURL, nil},
		{"127.0.0.1", 9999, "", "", []string{"sim-a.example", "sim-b.example"}},
		{"wsus03", 8530, "wsus03.corp.example", NameKindAlias, nil}, // its collector claims the short name: the other's first label yields
		{"wsus-old.corp.example", 8530, "", "", nil},
		{"10.9.9.9", 8530, "", "", nil},
	}
	for _, tc := range cases {
		m := MatchIdentities(tc.host, tc.port, fleet)
		if m.Server != tc.server || m.Kind != tc.kind || !slices.Equal(m.Ambiguous, tc.ambiguous) {
			t.Errorf("%s:%d = %+v; want %s by %s, ambiguous %v", tc.host, tc.port, m, tc.server, tc.kind, tc.ambiguous)
		}
	}
}

func TestPortsOf(t *testing.T) {
	on := true
	cases := []struct {
		info *ServerInfo
		url  string
		want ServerPorts
	}{
		{nil, "http://wsus01:8530", ServerPorts{HTTP: 8530, HTTPS: 8531}},
		{nil, "https://wsus01:8531", ServerPorts{HTTP: 8530, HTTPS: 8531}},
		{nil, "https://wsus3x", ServerPorts{HTTP: 80, HTTPS: 443}},
		{nil, "", ServerPorts{}},
		{&ServerInfo{Version: "10.0.17763.1"}, "http://wsus01:8530", ServerPorts{HTTP: 8530, HTTPS: 8531}}, // no ports said: SSL stays unknown
		{&ServerInfo{HTTPPort: 8530, HTTPSPort: 8531, SSL: true}, "", ServerPorts{HTTP: 8530, HTTPS: 8531, SSL: &on}},
	}
	for _, tc := range cases {
		got := PortsOf(tc.info, tc.url)
		if got.HTTP != tc.want.HTTP || got.HTTPS != tc.want.HTTPS || (got.SSL == nil) != (tc.want.SSL == nil) || (got.SSL != nil && *got.SSL != *tc.want.SSL) {
			t.Errorf("PortsOf(%+v, %q) = %+v, want %+v", tc.info, tc.url, got, tc.want)
		}
	}
}

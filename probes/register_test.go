package probes

import (
	"net/netip"
	"strings"
	"testing"
)

// TestRegistrationRefusesLinkLocal: the dashboard's prober must not be
// pointed at the cloud metadata service (SSRF); WSUS's private ranges stay.
func TestRegistrationRefusesLinkLocal(t *testing.T) {
	for _, u := range []string{
		"http://169.254.169.254", "http://169.254.10.20:8530", "http://[fe80::1]:8530", "http://[fe80::1%25eth0]:8530",
		"http://[::ffff:169.254.169.254]:80", "http://[fd00:ec2::254]", "http://100.100.100.200", "http://168.63.129.16",
		"http://metadata.google.internal", "http://METADATA.google.internal.:80", "http://instance-data:8530",
	} {
		reg := Registration{URL: u}
		err := reg.CheckTarget()
		if err == nil || !strings.Contains(err.Error(), "/url") || !strings.Contains(err.Error(), "--allow-link-local") {
			t.Errorf("%s: %v", u, err)
		}
	}
	for _, u := range []string{
		"http://10.0.0.5:8530", "http://192.168.1.10:8530", "https://172.16.0.1:8531", "http://127.0.0.1:8530",
		"http://wsus01.corp.example:8530", "http://[fd12:3456::5]:8530", "http://169.253.1.1",
	} {
		reg := Registration{URL: u}
		if err := reg.CheckTarget(); err != nil {
			t.Errorf("%s refused: %v", u, err)
		}
	}
	if err := ProbeAddrAllowed(netip.MustParseAddr("::ffff:169.254.169.254")); err == nil {
		t.Error("an IPv4-mapped metadata address is allowed")
	}
}

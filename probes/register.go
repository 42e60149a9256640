package probes

import (
	"crypto/rand"
	"fmt"
	"net/netip"
	"net/url"
	"reflect"
	"slices"
	"time"
)

// Registration asks the dashboard to probe a WSUS server at its URL.
type Registration struct {
	Name string `json:"name,omitempty" v:"max=253,host"` // default: the URL's host
	URL  string `json:"url" v:"required,max=2048"`
}

// Validate checks the registration; the URL must be the server's http(s)
// base URL, e.g. http://wsus01.corp.example:8530.
func (r *Registration) Validate(now time.Time) error {
	var p problems
	validateStruct(reflect.ValueOf(r), "", now, &p)
	if r.URL != "" {
		if err := CheckServerURL(r.URL); err != nil {
			p.add("/url", "%s", err.Error())
		} else if u, _ := url.Parse(r.URL); r.Name == "" {
			if err := CheckName(u.Hostname()); err != nil {
				p.add("/url", "names the server by its host, which %s", err.Error())
			}
		}
	}
	return p.err()
}

// CheckTarget refuses a registration the dashboard must not probe: a URL
// whose host is a link-local address (169.254.0.0/16, fe80::/10) or a cloud
// metadata endpoint, where a probe would fetch the host's credentials
// (server-side request forgery). Private ranges stay allowed: that is where
// WSUS lives. A name that resolves to such an address is refused when the
// prober dials it (ProbeAddrAllowed), whatever it resolved to here.
func (r *Registration) CheckTarget() error {
	u, err := url.Parse(r.URL)
	if err != nil {
		return nil // Validate said so
	}
	if err := checkProbeHost(u.Hostname()); err != nil {
		return Invalid("/url", "%s; a dashboard started with --allow-link-local probes it", err.Error())
	}
	return nil
}

// metadataNames are the cloud metadata services' well-known names.
var metadataNames = []string{"metadata", "metadata.google.internal", "metadata.goog", "instance-data", "instance-data.ec2.internal", "metadata.azure.com", "metadata.tencentyun.com"}

// metadataAddrs are cloud metadata and platform endpoints outside the
// link-local ranges: AWS's IPv6 endpoint, Alibaba Cloud's, Azure's
// WireServer.
var metadataAddrs = []netip.Addr{netip.MustParseAddr("fd00:ec2::254"), netip.MustParseAddr("100.100.100.200"), netip.MustParseAddr("168.63.129.16")}

func checkProbeHost(host string) error {
	if ip, err := netip.ParseAddr(host); err == nil {
		return ProbeAddrAllowed(ip)
	}
	name := NormalizeName(host)
	if slices.Contains(metadataNames, name) {
		return fmt.Errorf("%s is a cloud metadata service, not a WSUS server", name)
	}
	return nil
}

// ProbeAddrAllowed refuses link-local and cloud metadata addresses (also
// written as IPv4-mapped IPv6); loopback and private ranges are allowed.
func ProbeAddrAllowed(ip netip.Addr) error {
	ip = ip.WithZone("").Unmap()
	if ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || slices.Contains(metadataAddrs, ip) {
		return fmt.Errorf("%s is a link-local or cloud metadata address, not a WSUS server", ip)
	}
	return nil
}

// ServerName is the registered name: given, or the URL's host.
func (r *Registration) ServerName() string {
	if r.Name != "" {
		return NormalizeName(r.Name)
	}
	return URLHost(r.URL)
}

// URLHost is the normalized host name of a server URL; "" when it has none.
func URLHost(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return NormalizeName(u.Hostname())
}

// ProbeTarget is a registered server due for probing.
type ProbeTarget struct {
	Name string
	URL  string
}

// NewID returns a random (version 4) UUID, the id of a new document.
func NewID() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

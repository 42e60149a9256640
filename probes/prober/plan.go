package prober

import (
	"net"
	"net/url"
	"strconv"

	"github.com/wsusfleet/wsusfleet/probes"
)

// target is one request of a probe.
type target struct {
	vdir string
	url  *url.URL
	tls  bool
	host string // host name or address, without brackets
	port string
}

// plan lists the requests for one server: every vDir of §7.1 at its probe
// path on the server's own port, then the extra checks of §7.1 — SelfUpdate
// over http on port 80 (clients fetch it there), and in SSL mode Content on
// the http port, where clients download update files.
func plan(base *url.URL, o *Options) []target {
	host, port := base.Hostname(), base.Port()
	if port == "" {
		port = "80"
		if base.Scheme == "https" {
			port = "443"
		}
	}
	ssl := base.Scheme == "https"
	var ts []target
	add := func(vdir, scheme, hostport, port, path string) {
		u := &url.URL{Scheme: scheme, Host: hostport, Path: path}
		ts = append(ts, target{vdir: vdir, url: u, tls: scheme == "https", host: host, port: port})
	}
	for _, v := range probes.VDirs() {
		add(v.Name, base.Scheme, base.Host, port, v.Path)
		if o.AltPaths {
			for _, p := range v.AltPaths {
				add(v.Name, base.Scheme, base.Host, port, p)
			}
		}
	}
	if sp := o.SelfUpdatePort; sp > 0 && (ssl || strconv.Itoa(sp) != port) {
		add("SelfUpdate", "http", net.JoinHostPort(host, strconv.Itoa(sp)), strconv.Itoa(sp), "/selfupdate/wuident.cab")
	}
	if hp := httpPort(port, o.HTTPPort); ssl && hp > 0 {
		add("Content", "http", net.JoinHostPort(host, strconv.Itoa(hp)), strconv.Itoa(hp), "/Content/")
	}
	return ts
}

// httpPort is the http port of a server in SSL mode: the SSL port − 1, or 80
// when SSL is on 443 (§7.1), unless overridden (>0) or switched off (<0).
func httpPort(sslPort string, override int) int {
	if override != 0 {
		return override
	}
	n, err := strconv.Atoi(sslPort)
	if err != nil || n <= 1 {
		return -1
	}
	if n == 443 {
		return 80
	}
	return n - 1
}

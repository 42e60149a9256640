package probes

import (
	"cmp"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// How a host can name a fleet server, most specific first: a client's
// WUServer, a downstream's upstream or a prober's URL may use any of them.
const (
	NameKindName    = "name"    // the server's own name
	NameKindURL     = "url"     // the host of its URL (its registration or its report)
	NameKindAlias   = "alias"   // a NetBIOS name or CNAME its collector reported
	NameKindAddress = "address" // an IP address its collector reported
	NameKindShort   = "short"   // the first label of one of its full names
)

func nameKindRank(kind string) int {
	return slices.Index([]string{NameKindName, NameKindURL, NameKindAlias, NameKindAddress, NameKindShort}, kind)
}

// ServerPorts are the ports a WSUS server serves clients on and whether it
// is in SSL mode (clients then use HTTPS on HTTPS; content stays on HTTP).
type ServerPorts struct {
	HTTP  int   `json:"http_port,omitempty"`  // 0 when unknown
	HTTPS int   `json:"https_port,omitempty"` // 0 when unknown
	SSL   *bool `json:"ssl,omitempty"`        // nil when unknown
}

// Serves reports whether port is one of the server's.
func (p ServerPorts) Serves(port int) bool { return port != 0 && (port == p.HTTP || port == p.HTTPS) }

// PortsFromURL derives a WSUS server's ports from its URL: in SSL mode the
// HTTP port is the SSL port - 1 (80 when SSL is on 443). Whether it is in SSL
// mode stays unknown: a URL does not prove it.
func PortsFromURL(raw string) ServerPorts {
	u, err := url.Parse(raw)
	if err != nil || raw == "" {
		return ServerPorts{}
	}
	port, _ := strconv.Atoi(u.Port())
	switch {
	case strings.EqualFold(u.Scheme, "https") && (port == 0 || port == 443):
		return ServerPorts{HTTP: 80, HTTPS: 443}
	case strings.EqualFold(u.Scheme, "https"):
		return ServerPorts{HTTP: port - 1, HTTPS: port}
	case port == 0 || port == 80:
		return ServerPorts{HTTP: 80, HTTPS: 443}
	}
	return ServerPorts{HTTP: port, HTTPS: port + 1}
}

// PortsOf is what a server's own report says of its ports, falling back to
// its URL for what the report does not say. The report's ssl flag counts
// only when the report gives ports: an absent flag is not "off".
func PortsOf(info *ServerInfo, rawURL string) ServerPorts {
	p := PortsFromURL(rawURL)
	if info == nil || (info.HTTPPort == 0 && info.HTTPSPort == 0 && !info.SSL) {
		return p
	}
	ssl := info.SSL
	p.SSL = &ssl
	if info.HTTPPort != 0 {
		p.HTTP = info.HTTPPort
	}
	if info.HTTPSPort != 0 {
		p.HTTPS = info.HTTPSPort
	}
	return p
}

// KnownName is one name a server is known by, and how.
type KnownName struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
}

// ServerNames lists the names of a server: its own, its URL's host, the
// aliases and addresses its collector reported, and the short name of each
// full one. Each name appears once, with its most specific kind.
func ServerNames(name, rawURL string, aliases, addresses []string) []KnownName {
	var out []KnownName
	add := func(n, kind string) {
		n = NormalizeHost(n)
		if n == "" || slices.ContainsFunc(out, func(k KnownName) bool { return k.Name == n }) {
			return
		}
		out = append(out, KnownName{n, kind})
	}
	add(name, NameKindName)
	add(URLHost(rawURL), NameKindURL)
	for _, a := range aliases {
		if IsAddress(a) {
			add(a, NameKindAddress)
		} else {
			add(a, NameKindAlias)
		}
	}
	for _, a := range addresses {
		add(a, NameKindAddress)
	}
	for _, k := range slices.Clone(out) {
		if s := ShortName(k.Name); s != "" {
			add(s, NameKindShort)
		}
	}
	return out
}

// NormalizeHost puts a host name or address in its stored form: lower case,
// no trailing dot, IPv6 without brackets or zone.
func NormalizeHost(h string) string {
	h = strings.Trim(NormalizeName(h), "[]")
	if ip := net.ParseIP(h); ip != nil {
		return ip.String()
	}
	return h
}

// IsAddress reports whether h is an IP address rather than a name.
func IsAddress(h string) bool { return net.ParseIP(strings.Trim(h, "[]")) != nil }

// ShortName is the first label of a full name ("wsus01" of
// "wsus01.corp.example"), the NetBIOS-style name clients may use; "" for an
// address or a name that is already one label.
func ShortName(host string) string {
	host = NormalizeHost(host)
	if IsAddress(host) {
		return ""
	}
	label, _, found := strings.Cut(host, ".")
	if !found {
		return ""
	}
	return label
}

// NameCandidate is a fleet server a host may name, and how it names it.
type NameCandidate struct {
	Server string
	Kind   string
	Ports  ServerPorts
}

// ServerMatch is the fleet server a host (and port) names. Server is "" when
// none does; Ambiguous then lists the servers it could mean when several do
// and nothing tells them apart.
type ServerMatch struct {
	Server    string
	Kind      string
	Ports     ServerPorts
	Ambiguous []string
}

// Known reports whether the host named a fleet server.
func (m ServerMatch) Known() bool { return m.Server != "" }

// MatchServer picks the server that host:port names among the candidates
// (the servers known by host in any way). A name, URL host, alias or address
// wins over a short name; among several servers the one serving port wins
// (two WSUS servers can share an address), then the most specific kind. A
// short name counts only for a one-label host and only when it is the first
// label of exactly one server's names: "wsus01" for both
// wsus01.east.example and wsus01.west.example matches neither.
func MatchServer(host string, port int, cands []NameCandidate) ServerMatch {
	host = NormalizeHost(host)
	var exact, short []NameCandidate
	for _, c := range cands {
		if c.Kind == NameKindShort {
			if !strings.Contains(host, ".") && !IsAddress(host) {
				short = append(short, c)
			}
			continue
		}
		exact = append(exact, c)
	}
	if m := pickServer(exact, port); m.Known() || len(m.Ambiguous) > 0 {
		return m
	}
	return pickServer(short, port)
}

func pickServer(cands []NameCandidate, port int) ServerMatch {
	// One candidate per server: the most specific way the host names it.
	best := map[string]NameCandidate{}
	for _, c := range cands {
		if b, ok := best[c.Server]; !ok || nameKindRank(c.Kind) < nameKindRank(b.Kind) {
			best[c.Server] = c
		}
	}
	list := make([]NameCandidate, 0, len(best))
	for _, c := range best {
		list = append(list, c)
	}
	slices.SortFunc(list, func(a, b NameCandidate) int {
		return cmp.Or(cmp.Compare(nameKindRank(a.Kind), nameKindRank(b.Kind)), cmp.Compare(a.Server, b.Server))
	})
	switch len(list) {
	case 0:
		return ServerMatch{}
	case 1:
		return ServerMatch{Server: list[0].Server, Kind: list[0].Kind, Ports: list[0].Ports}
	}
	if serving := slices.DeleteFunc(slices.Clone(list), func(c NameCandidate) bool { return !c.Ports.Serves(port) }); len(serving) > 0 {
		list = serving
	}
	if len(list) == 1 || nameKindRank(list[0].Kind) < nameKindRank(list[1].Kind) {
		return ServerMatch{Server: list[0].Server, Kind: list[0].Kind, Ports: list[0].Ports}
	}
	m := ServerMatch{}
	for _, c := range list {
		if c.Kind == list[0].Kind {
			m.Ambiguous = append(m.Ambiguous, c.Server)
		}
	}
	return m
}

// ServerIdentity is how a fleet server can be named, for matching in memory
// (the store keeps the same names indexed).
type ServerIdentity struct {
	Names []KnownName
	Ports ServerPorts
}

// MatchIdentities is MatchServer over identities by server name.
func MatchIdentities(host string, port int, ids map[string]ServerIdentity) ServerMatch {
	host = NormalizeHost(host)
	var cands []NameCandidate
	for server, id := range ids {
		for _, n := range id.Names {
			if n.Name == host {
				cands = append(cands, NameCandidate{Server: server, Kind: n.Kind, Ports: id.Ports})
			}
		}
	}
	return MatchServer(host, port, cands)
}

// How a URL (a client's WUServer, a downstream's upstream) misses the fleet
// server it names.
const (
	URLFaultNoPort      = "no_port"            // no port: it goes to 80 or 443, which the server does not serve
	URLFaultPort        = "port"               // a port the server does not serve
	URLFaultHTTPSOnHTTP = "https_on_http_port" // HTTPS to the server's HTTP port
	URLFaultHTTPOnHTTPS = "http_on_https_port" // plain HTTP to its HTTPS port
	URLFaultHTTPToSSL   = "http_to_ssl_mode"   // plain HTTP to a server in SSL mode
)

// URLJudgement is how a URL fits the server it names: Fault is "" when it
// fits (or nothing is known of the server's ports); else Port is where the
// URL goes and Fix the scheme and port that work (the URL's host kept).
type URLJudgement struct {
	Fault string
	Port  int
	Fix   WUServerURL
}

// JudgeURL judges the scheme and port of a URL against the fleet server it
// names. Nothing is judged against ports that are not known; HTTPS to a
// server not in SSL mode is left alone (its HTTPS binding may well work).
func JudgeURL(u WUServerURL, m ServerMatch) URLJudgement {
	p, port := m.Ports, u.EffectivePort()
	if p.HTTP == 0 && p.HTTPS == 0 {
		return URLJudgement{}
	}
	ssl := p.SSL != nil && *p.SSL
	j := URLJudgement{Port: port, Fix: WUServerURL{Scheme: "http", Host: u.Host, Port: p.HTTP}}
	if ssl || (u.Scheme == "https" && p.SSL == nil && p.HTTPS != 0) || p.HTTP == 0 {
		j.Fix.Scheme, j.Fix.Port = "https", p.HTTPS
	}
	switch {
	case !p.Serves(port) && u.Port == 0:
		j.Fault = URLFaultNoPort
	case !p.Serves(port):
		j.Fault = URLFaultPort
	case u.Scheme == "https" && port == p.HTTP && p.HTTP != p.HTTPS:
		j.Fault = URLFaultHTTPSOnHTTP
	case u.Scheme == "http" && port == p.HTTPS && p.HTTP != p.HTTPS:
		j.Fault = URLFaultHTTPOnHTTPS
	case u.Scheme == "http" && ssl:
		j.Fault = URLFaultHTTPToSSL
	default:
		return URLJudgement{}
	}
	return j
}

// String writes the URL as scheme://host:port.
func (w WUServerURL) String() string {
	host := w.Host
	if strings.Contains(host, ":") {
		host = "[" + host + "]" // IPv6
	}
	if w.Port == 0 {
		return w.Scheme + "://" + host
	}
	return w.Scheme + "://" + host + ":" + strconv.Itoa(w.Port)
}

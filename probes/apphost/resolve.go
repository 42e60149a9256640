package apphost

import (
	"slices"
	"strconv"
	"strings"

	"github.com/wsusfleet/wsusfleet/probes"
)

// IIS schema defaults (%windir%\System32\inetsrv\config\schema\IIS_schema.xml)
// for what applicationHost.config leaves unsaid. A stock IIS install writes
// anonymous enabled with userName IUSR at the server level; the schema
// default itself is disabled.
const (
	defaultAnonymousUser = "IUSR"
	defaultAppPool       = "DefaultAppPool"
	defaultSSLFlags      = "None"
)

// PoolIdentity is the AnonymousUser of a vDir whose anonymous
// authentication runs as the application pool identity (userName=""), in the
// words of IIS Manager's "Edit Anonymous Authentication Credentials".
const PoolIdentity = "Application pool identity"

// wsusSite is the site WSUS setup creates.
const wsusSite = "WSUS Administration"

// placed is one WSUS vDir as it sits in the site.
type placed struct {
	vdir         probes.VDir
	written      string // its path segment as written, e.g. "selfupdate"
	appPath      string // normalised site/app path of the application holding it
	pool         string
	physicalPath string
}

// findSite picks the WSUS site: by name, else the site holding a
// /ClientWebService application (WSUS installed into Default Web Site).
func findSite(doc *document, name string) (*site, error) {
	if !doc.sawSites {
		return nil, invalid(true, "no <sites> section: this is not applicationHost.config (a web.config?); expected %s", fileHint)
	}
	want := name
	if want == "" {
		want = wsusSite
	}
	for i := range doc.sites {
		if eq(doc.sites[i].name, want) {
			return &doc.sites[i], nil
		}
	}
	if name == "" {
		for i := range doc.sites {
			for _, p := range placeVDirs(doc, &doc.sites[i]) {
				if p.vdir.Name == "ClientWebService" {
					return &doc.sites[i], nil
				}
			}
		}
	}
	var names []string
	for _, s := range doc.sites {
		if len(names) == 10 {
			names = append(names, "…")
			break
		}
		names = append(names, strconv.Quote(s.name))
	}
	if name != "" {
		return nil, invalid(false, "no site named %q (sites: %s)", name, strings.Join(names, ", "))
	}
	return nil, invalid(false, "no WSUS site: no site named %q and no site with a /ClientWebService application (sites: %s)", wsusSite, strings.Join(names, ", "))
}

// placeVDirs finds the WSUS vDirs of a site in dashboard order. A vDir is an
// application (/ClientWebService) or a virtual directory of the root
// application (/Content, /selfupdate); either way its full path is one
// segment, matched case-insensitively.
func placeVDirs(doc *document, s *site) []placed {
	var found []placed
	for _, a := range s.apps {
		appPath := "/" + strings.Trim(strings.ReplaceAll(a.path, `\`, "/"), "/")
		pool := defaultAppPool
		switch {
		case a.pool != nil:
			pool = *a.pool
		case s.defaultPool != nil:
			pool = *s.defaultPool
		case doc.defaultPool != nil:
			pool = *doc.defaultPool
		}
		for _, v := range a.vdirs {
			full := strings.Trim(strings.TrimRight(appPath, "/")+"/"+strings.Trim(strings.ReplaceAll(v.path, `\`, "/"), "/"), "/")
			if full == "" || strings.Contains(full, "/") {
				continue
			}
			vd, ok := probes.LookupVDir(full)
			if !ok || slices.ContainsFunc(found, func(p placed) bool { return p.vdir.Name == vd.Name }) {
				continue // IIS refuses duplicates; keep the first
			}
			found = append(found, placed{vdir: vd, written: full, appPath: normPath(s.name + appPath), pool: pool, physicalPath: v.physicalPath})
		}
	}
	order := probes.VDirNames()
	slices.SortFunc(found, func(a, b placed) int {
		return slices.Index(order, a.vdir.Name) - slices.Index(order, b.vdir.Name)
	})
	return found
}

// effective merges, attribute by attribute, the scopes that apply to target
// (a normalised site/vdir path) from the server level down: the most
// specific location wins. A location with inheritInChildApplications="false"
// stops at the application boundary below it.
func effective(doc *document, target, appPath string) attrs {
	out := attrs{}
	for _, depth := range scopeChain(target) {
		for _, loc := range doc.locations {
			if loc.path != depth {
				continue
			}
			if !loc.inheritChild && len(loc.path) < len(appPath) {
				continue
			}
			for k, v := range loc.set {
				out[k] = v
			}
		}
	}
	return out
}

// scopeChain lists target and its ancestors, the server level ("") first.
func scopeChain(target string) []string {
	chain := []string{""}
	for i := range len(target) {
		if target[i] == '/' {
			chain = append(chain, target[:i])
		}
	}
	return append(chain, target)
}

// vdirConfig resolves one vDir's settings.
func vdirConfig(doc *document, siteName string, p placed) (probes.VDirConfig, error) {
	set := effective(doc, normPath(siteName+"/"+p.written), p.appPath)
	c := probes.VDirConfig{VDir: p.vdir.Name, AppPool: p.pool, PhysicalPath: p.physicalPath, AnonymousUser: defaultAnonymousUser, Site: siteName}
	var err error
	flag := func(key string, dst *bool) {
		if err != nil {
			return
		}
		*dst, err = boolAttr(set, key, false)
	}
	flag("anonymousAuthentication/enabled", &c.Anonymous)
	flag("windowsAuthentication/enabled", &c.WindowsAuth)
	flag("basicAuthentication/enabled", &c.BasicAuth)
	flag("digestAuthentication/enabled", &c.DigestAuth)
	flag("identity/impersonate", &c.ASPNETImpersonation)
	if err != nil {
		return c, err
	}
	if v, ok := set["anonymousAuthentication/userName"]; ok {
		c.AnonymousUser = v.s
		if v.s == "" {
			c.AnonymousUser = PoolIdentity
		}
	}
	flags := defaultSSLFlags
	if v, ok := set["access/sslFlags"]; ok {
		flags = v.s
	}
	c.RequireSSL, c.ClientCerts, err = sslFlags(flags, set["access/sslFlags"].line)
	return c, err
}

// sslFlags reads access sslFlags: "Ssl" requires SSL; SslRequireCert
// requires a client certificate, SslNegotiateCert accepts one.
func sslFlags(s string, line int) (requireSSL bool, clientCerts string, err error) {
	clientCerts = "ignore"
	negotiate, require := false, false
	for f := range strings.SplitSeq(s, ",") {
		switch f = strings.TrimSpace(f); {
		case f == "" || eq(f, "None") || eq(f, "Ssl128") || eq(f, "SslMapCert"):
		case eq(f, "Ssl"):
			requireSSL = true
		case eq(f, "SslNegotiateCert"):
			negotiate = true
		case eq(f, "SslRequireCert"):
			require = true
		default:
			return false, "", invalid(false, "line %d: access sslFlags=%.80q: %.40q is not an IIS SSL flag (None, Ssl, SslNegotiateCert, SslRequireCert, Ssl128)", line, s, f)
		}
	}
	switch {
	case require:
		clientCerts = "require"
	case negotiate:
		clientCerts = "accept"
	}
	return requireSSL, clientCerts, nil
}

// boolAttr reads an IIS boolean ("true"/"false", any case).
func boolAttr(set attrs, key string, def bool) (bool, error) {
	v, ok := set[key]
	if !ok {
		return def, nil
	}
	switch strings.ToLower(strings.TrimSpace(v.s)) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, invalid(false, "line %d: %s=%.40q is not true or false", v.line, describe(key), v.s)
}

// quote shows untrusted text in a note, bounded.
func quote(s string) string {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return strconv.Quote(s)
}

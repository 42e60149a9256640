package apphost

import (
	"encoding/xml"
	"errors"
	"io"
	"strings"
)

// value is one attribute as written, with its line for error messages.
type value struct {
	s    string
	line int
}

// attrs holds the attributes of interest of one configuration scope, keyed
// by element path and attribute name, e.g. "anonymousAuthentication/enabled".
type attrs map[string]value

// location is one <location path="..."> block (or the file's top level, path "").
type location struct {
	path         string // normalised: lower case, "/" separated, no outer slashes
	inheritChild bool   // inheritInChildApplications (default true)
	set          attrs
}

type site struct {
	name        string
	defaultPool *string // <site><applicationDefaults applicationPool>
	apps        []app
}

type app struct {
	path  string
	pool  *string
	vdirs []vdir
}

type vdir struct {
	path, physicalPath string
}

type pool struct {
	name string
	set  attrs
}

// document is what the walk keeps of applicationHost.config.
type document struct {
	locations    []location // the top level first, then <location> blocks in file order
	sites        []site
	sawSites     bool
	defaultPool  *string // <sites><applicationDefaults applicationPool>
	pools        []pool
	poolDefaults attrs
}

// section paths (below system.webServer or system.web) whose attributes we keep.
var sectionAttrs = map[string][]string{
	"system.webServer/security/authentication/anonymousAuthentication": {"enabled", "userName"},
	"system.webServer/security/authentication/windowsAuthentication":   {"enabled"},
	"system.webServer/security/authentication/basicAuthentication":     {"enabled"},
	"system.webServer/security/authentication/digestAuthentication":    {"enabled"},
	"system.webServer/security/access":                                 {"sslFlags"},
	"system.web/identity":                                              {"impersonate"},
}

// poolAttrs are the WsusPool settings of DESIGN §7.4, by path below <add>.
var poolAttrs = map[string][]string{
	"":                          {"queueLength", "autoStart"},
	"processModel":              {"idleTimeout", "pingingEnabled", "identityType", "userName"},
	"recycling/periodicRestart": {"privateMemory", "time"},
	"failure":                   {"rapidFailProtection"},
}

// walk reads the XML once, keeping only what the vDir and pool settings need.
func walk(data []byte) (*document, error) {
	d := newDecoder(data)
	doc := &document{locations: []location{{inheritChild: true, set: attrs{}}}, poolDefaults: attrs{}}
	var stack []string
	cur := &doc.locations[0] // scope receiving section attributes
	var curSite *site
	var curApp *app
	var curPool attrs
	sawRoot := false
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, xmlProblem(err, d)
		}
		switch t := tok.(type) {
		case xml.Directive:
			return nil, refuseDirective(t, d)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
			switch {
			case len(stack) == 1: // left a <location> or a top-level section
				cur = &doc.locations[0]
			case len(stack) == 3 && curSite != nil && eq(t.Name.Local, "site"):
				curSite = nil
			case len(stack) == 4 && curApp != nil && eq(t.Name.Local, "application"):
				curApp = nil
			}
		case xml.StartElement:
			name := t.Name.Local
			stack = append(stack, name)
			line, _ := d.InputPos()
			if len(stack) > maxDepth {
				return nil, invalid(true, "line %d: elements nested more than %d deep: not an applicationHost.config", line, maxDepth)
			}
			if len(stack) == 1 {
				if !eq(name, "configuration") {
					return nil, invalid(true, "the root element is <%.40s>, not <configuration>: expected %s", name, fileHint)
				}
				sawRoot = true
				continue
			}
			if len(stack) == 2 && eq(name, "location") {
				loc := location{inheritChild: true, set: attrs{}}
				loc.path = normPath(attr(t, "path"))
				if v := attr(t, "inheritInChildApplications"); v != "" && eq(v, "false") {
					loc.inheritChild = false
				}
				doc.locations = append(doc.locations, loc)
				cur = &doc.locations[len(doc.locations)-1]
				continue
			}
			// rel is the element path below <configuration> or <location>.
			rel := stack[1:]
			if eq(stack[1], "location") {
				rel = stack[2:]
			}
			relPath := strings.Join(rel, "/")
			if key, keys, ok := lookupFold(sectionAttrs, relPath); ok {
				keep(cur.set, t, key[strings.LastIndexByte(key, '/')+1:], keys, line)
				continue
			}
			if eq(stack[1], "location") || !eq(rel[0], "system.applicationHost") || len(rel) < 2 {
				continue
			}
			switch {
			case eq(rel[1], "applicationPools") && len(rel) >= 3:
				if len(rel) == 3 {
					curPool = nil
					switch {
					case eq(rel[2], "add"):
						doc.pools = append(doc.pools, pool{name: attr(t, "name"), set: attrs{}})
						curPool = doc.pools[len(doc.pools)-1].set
					case eq(rel[2], "applicationPoolDefaults"):
						curPool = doc.poolDefaults
					}
				}
				if curPool != nil {
					below := strings.Join(rel[3:], "/")
					if key, keys, ok := lookupFold(poolAttrs, below); ok {
						keep(curPool, t, key, keys, line)
					}
				}
			case eq(rel[1], "sites"):
				doc.sawSites = true
				walkSites(doc, rel, t, &curSite, &curApp)
			}
		}
	}
	if !sawRoot {
		return nil, invalid(true, "no XML element found: expected %s", fileHint)
	}
	return doc, nil
}

// walkSites records sites, their applications and virtual directories.
func walkSites(doc *document, rel []string, t xml.StartElement, curSite **site, curApp **app) {
	switch {
	case len(rel) == 3 && eq(rel[2], "applicationDefaults"):
		doc.defaultPool = attrPtr(t, "applicationPool")
	case len(rel) == 3 && eq(rel[2], "site"):
		doc.sites = append(doc.sites, site{name: attr(t, "name")})
		*curSite = &doc.sites[len(doc.sites)-1]
	case *curSite == nil:
	case len(rel) == 4 && eq(rel[3], "applicationDefaults"):
		(*curSite).defaultPool = attrPtr(t, "applicationPool")
	case len(rel) == 4 && eq(rel[3], "application"):
		s := *curSite
		s.apps = append(s.apps, app{path: attr(t, "path"), pool: attrPtr(t, "applicationPool")})
		*curApp = &s.apps[len(s.apps)-1]
	case len(rel) == 5 && eq(rel[4], "virtualDirectory") && *curApp != nil:
		a := *curApp
		a.vdirs = append(a.vdirs, vdir{path: attr(t, "path"), physicalPath: attr(t, "physicalPath")})
	}
}

// keep stores the listed attributes of t under prefix/name.
func keep(dst attrs, t xml.StartElement, prefix string, keys []string, line int) {
	for _, k := range keys {
		for _, a := range t.Attr {
			if eq(a.Name.Local, k) {
				key := k
				if prefix != "" {
					key = prefix + "/" + k
				}
				dst[key] = value{a.Value, line}
			}
		}
	}
}

func attr(t xml.StartElement, name string) string {
	if p := attrPtr(t, name); p != nil {
		return *p
	}
	return ""
}

// attrPtr distinguishes an absent attribute (nil) from an empty one: for
// anonymousAuthentication userName "" means the app pool identity.
func attrPtr(t xml.StartElement, name string) *string {
	for _, a := range t.Attr {
		if eq(a.Name.Local, name) {
			v := a.Value
			return &v
		}
	}
	return nil
}

// lookupFold finds key in m case-insensitively and returns its canonical spelling.
func lookupFold(m map[string][]string, key string) (string, []string, bool) {
	if v, ok := m[key]; ok {
		return key, v, true
	}
	for k, v := range m {
		if eq(k, key) {
			return k, v, true
		}
	}
	return "", nil, false
}

func eq(a, b string) bool { return strings.EqualFold(a, b) }

// normPath normalises a location path or site/app path for comparison: IIS
// compares them case-insensitively, and "." or "" is the server level.
func normPath(p string) string {
	p = strings.Trim(strings.ReplaceAll(strings.TrimSpace(p), `\`, "/"), "/")
	if p == "." {
		return ""
	}
	return strings.ToLower(p)
}

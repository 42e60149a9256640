package sim

import (
	"fmt"
	"net/http"
	"strings"
)

// Profile names. Each simulates one fault a WSUS administrator would recognise.
const (
	Healthy            = "healthy"
	PoolStopped        = "pool-stopped"
	AnonDisabled       = "anon-disabled"
	AnonDisabledCWS    = "anon-disabled-cws"
	IUSRCredentials    = "iusr-credentials"
	ContentACL         = "content-acl"
	Impersonation      = "impersonation"
	ClientCertRequired = "client-cert-required"
	SiteSSLRequired    = "site-ssl-required"
	SSLCertExpired     = "ssl-cert-expired"
	Slow               = "slow"
	CatalogBloat       = "catalog-bloat"
	SelfUpdateMissing  = "selfupdate-missing"
)

// Profile describes one simulated server state, for --help and listings.
type Profile struct {
	Name        string
	Description string
	// TLS is true when the fault only shows over https; Start serves TLS for it.
	TLS bool
}

// profile is a Profile with its behaviour: which requests wait, and which
// answer replaces the healthy one.
type profile struct {
	Profile
	// delayed reports whether the request waits Options.Latency first.
	delayed func(rt route) bool
	// fault returns the answer that replaces the healthy one, or ok=false.
	fault func(rt route, r *http.Request, o *Options) (a answer, ok bool)
	// expiredCert makes the TLS listener present an expired leaf certificate.
	expiredCert bool
}

// profileTable is read-only; the order is the order of Profiles().
var profileTable = []profile{
	{Profile: Profile{Name: Healthy, Description: "every vDir answers as a healthy WSUS server does"}},
	{Profile: Profile{Name: PoolStopped, Description: "WsusPool stopped: HTTP.sys answers 503 on every URL"},
		fault: func(route, *http.Request, *Options) (answer, bool) { return serviceUnavailable(), true }},
	{Profile: Profile{Name: AnonDisabled, Description: "anonymous authentication off on the site: anonymous vDirs answer 401.2 with Negotiate/NTLM"},
		fault: onAnonymousVDirs(func(rt route, r *http.Request, o *Options) answer { return iisFault(r, rt, o, 401, 2) })},
	{Profile: Profile{Name: AnonDisabledCWS, Description: "anonymous authentication off on ClientWebService only: 401.2 with Negotiate/NTLM there"},
		fault: func(rt route, r *http.Request, o *Options) (answer, bool) {
			if rt.vdir != "ClientWebService" {
				return answer{}, false
			}
			return iisFault(r, rt, o, 401, 2), true
		}},
	{Profile: Profile{Name: IUSRCredentials, Description: "anonymous user (IUSR) password wrong or out of sync: anonymous vDirs answer 401.1"},
		fault: onAnonymousVDirs(func(rt route, r *http.Request, o *Options) answer { return iisFault(r, rt, o, 401, 1) })},
	{Profile: Profile{Name: ContentACL, Description: "NTFS permissions deny the anonymous identity on WsusContent: 401.3 on /Content/"},
		fault: func(rt route, r *http.Request, o *Options) (answer, bool) {
			if rt.vdir != "Content" {
				return answer{}, false
			}
			return iisFault(r, rt, o, 401, 3), true
		}},
	{Profile: Profile{Name: Impersonation, Description: "ASP.NET impersonation enabled: 500.24 on every vDir"},
		fault: onVDirs(func(rt route, r *http.Request, o *Options) answer { return iisFault(r, rt, o, 500, 24) })},
	{Profile: Profile{Name: ClientCertRequired, Description: "client certificates set to Require: 403.7 on every vDir"},
		fault: onVDirs(func(rt route, r *http.Request, o *Options) answer { return iisFault(r, rt, o, 403, 7) })},
	{Profile: Profile{Name: SiteSSLRequired, Description: "Require SSL set on the whole site: 403.4 on every vDir over http"},
		fault: func(rt route, r *http.Request, o *Options) (answer, bool) {
			if rt.vdir == "" || r.TLS != nil {
				return answer{}, false
			}
			return iisFault(r, rt, o, 403, 4), true
		}},
	{Profile: Profile{Name: SSLCertExpired, Description: "the site's TLS certificate has expired (https only)", TLS: true},
		expiredCert: true},
	{Profile: Profile{Name: Slow, Description: "every vDir answers correctly but only after the configured latency"},
		delayed: func(route) bool { return true }},
	{Profile: Profile{Name: CatalogBloat, Description: "scan storm / catalog bloat: client.asmx answers 500 (request timed out) after the configured latency"},
		delayed: isClientASMX,
		fault: func(rt route, _ *http.Request, _ *Options) (answer, bool) {
			if !isClientASMX(rt) {
				return answer{}, false
			}
			return aspnetRequestTimedOut(rt), true
		}},
	{Profile: Profile{Name: SelfUpdateMissing, Description: "the selfupdate vDir is missing: 404.0 on /selfupdate/"},
		fault: func(rt route, r *http.Request, o *Options) (answer, bool) {
			if rt.vdir != "SelfUpdate" {
				return answer{}, false
			}
			return iisFault(r, rt, o, 404, 0), true
		}},
}

func isClientASMX(rt route) bool { return rt.kind == kindASMX && rt.vdir == "ClientWebService" }

// onVDirs applies f to every request inside a WSUS vDir.
func onVDirs(f func(route, *http.Request, *Options) answer) func(route, *http.Request, *Options) (answer, bool) {
	return func(rt route, r *http.Request, o *Options) (answer, bool) {
		if rt.vdir == "" {
			return answer{}, false
		}
		return f(rt, r, o), true
	}
}

// onAnonymousVDirs applies f to the vDirs that must allow anonymous access
// (all but ApiRemoting30, which keeps its healthy 401).
func onAnonymousVDirs(f func(route, *http.Request, *Options) answer) func(route, *http.Request, *Options) (answer, bool) {
	return func(rt route, r *http.Request, o *Options) (answer, bool) {
		if rt.vdir == "" || rt.vdir == "ApiRemoting30" {
			return answer{}, false
		}
		return f(rt, r, o), true
	}
}

// Profiles lists every profile with a one-line description, for --help.
func Profiles() []Profile {
	out := make([]Profile, len(profileTable))
	for i, p := range profileTable {
		out[i] = p.Profile
	}
	return out
}

func lookupProfile(name string) (*profile, error) {
	if name == "" {
		name = Healthy
	}
	for i := range profileTable {
		if strings.EqualFold(profileTable[i].Name, name) {
			return &profileTable[i], nil
		}
	}
	names := make([]string, len(profileTable))
	for i, p := range profileTable {
		names[i] = p.Name
	}
	return nil, fmt.Errorf("sim: unknown profile %q (known: %s)", name, strings.Join(names, ", "))
}

package sim

import (
	"net/http"
	"strings"

	"github.com/wsusfleet/wsusfleet/probes"
)

// ContentFile is a file under /Content/ that the simulator serves with 200,
// the "known file" of DESIGN §7.1 (WSUS names content by its SHA-1 hash, in a
// folder named after the hash's last two hex digits).
const ContentFile = "/Content/D4/3A5E0B1C7F9D2E4A6B8C0D1E2F3A4B5C6D7E8FD4.cab"

type kind int

const (
	kindNotFound    kind = iota // no such file: 404.0
	kindASMX                    // an ASP.NET web service: its help page
	kindVersionXML              // ClientWebService/wusserverversion.xml
	kindCab                     // a static .cab file
	kindInventory               // /Inventory/: 200
	kindContentFile             // a file in WsusContent: 200
	kindDirListing              // a vDir folder without default document: 403.14
	kindAddSlash                // a vDir named without its trailing slash: 301
)

// route is what IIS would map a request path to.
type route struct {
	vdir string // canonical vDir name; "" outside the WSUS vDirs
	kind kind
	svc  *service // the web service behind a kindASMX route
	phys string   // physical path, for detailed error pages
}

// service is an .asmx web service and the operations its help page lists.
type service struct {
	name string
	ops  []string
}

// files maps lower-case paths to what IIS serves there; IIS matches paths
// case-insensitively. Read-only after package initialisation.
var files = map[string]route{
	"/clientwebservice/client.asmx": {kind: kindASMX, svc: &service{"Client", []string{"GetConfig", "GetConfig2",
		"GetCookie", "GetExtendedUpdateInfo", "GetExtendedUpdateInfo2", "GetFileLocations", "GetTimestamps",
		"RefreshCache", "RegisterComputer", "StartCategoryScan", "SyncPrinterCatalog", "SyncUpdates"}}},
	"/clientwebservice/wusserverversion.xml":          {kind: kindVersionXML},
	"/simpleauthwebservice/simpleauth.asmx":           {kind: kindASMX, svc: &service{"SimpleAuthWebService", []string{"GetAuthorizationCookie"}}},
	"/dssauthwebservice/dssauthwebservice.asmx":       {kind: kindASMX, svc: &service{"DssAuthWebService", []string{"GetAuthorizationCookie"}}},
	"/serversyncwebservice/serversyncwebservice.asmx": {kind: kindASMX, svc: &service{"ServerSyncWebService", []string{"DownloadFiles", "GetAuthConfig", "GetCookie", "GetDeployments", "GetRelatedRevisionsForUpdates", "GetRevisionIdList", "GetUpdateData", "GetUpdateDecryptionData", "Ping"}}},
	"/apiremoting30/webservice.asmx":                  {kind: kindASMX, svc: &service{"ApiRemotingWebService", []string{"ExecuteSPGetUpdateById", "GetServerVersion"}}},
	"/reportingwebservice/reportingwebservice.asmx":   {kind: kindASMX, svc: &service{"ReportingWebService", []string{"GetRollupConfiguration", "Hello", "ReportEventBatch", "RollupComputers", "RollupDownstreamServers"}}},
	"/inventory/":                {kind: kindInventory},
	"/selfupdate/wuident.cab":    {kind: kindCab},
	"/selfupdate/iuident.cab":    {kind: kindCab},
	strings.ToLower(ContentFile): {kind: kindContentFile},
}

// physRoots are the vDirs' physical folders on a default WSUS install.
var physRoots = map[string]string{
	"SelfUpdate": `C:\Program Files\Update Services\Selfupdate`,
	"Inventory":  `C:\Program Files\Update Services\Inventory`,
	"Content":    `D:\WSUS\WsusContent`,
}

// lookup maps a request path to its route, as IIS would.
func lookup(path string) route {
	v, ok := probes.VDirOfPath(path)
	if !ok {
		return route{kind: kindNotFound, phys: physical("", path)}
	}
	lower := strings.ToLower(path)
	seg := "/" + strings.ToLower(strings.SplitN(strings.TrimPrefix(v.Path, "/"), "/", 2)[0])
	rt, found := files[lower]
	switch {
	case found:
	case lower == seg:
		rt.kind = kindAddSlash
	case lower == seg+"/":
		rt.kind = kindDirListing
	default:
		rt.kind = kindNotFound
	}
	rt.vdir = v.Name
	rt.phys = physical(v.Name, path)
	return rt
}

// physical renders the path the way a detailed error page shows it.
func physical(vdir, path string) string {
	rest := strings.ReplaceAll(strings.TrimPrefix(path, "/"), "/", `\`)
	if root, ok := physRoots[vdir]; ok {
		_, tail, _ := strings.Cut(rest, `\`)
		return root + `\` + tail
	}
	return `C:\Program Files\Update Services\WebServices\` + rest
}

// healthy is the answer of a correctly configured WSUS server.
func healthy(rt route, r *http.Request, o *Options) answer {
	if rt.vdir == "ApiRemoting30" {
		// Windows authentication only: authentication runs before IIS maps the
		// file, so every anonymous request gets 401.2 with the two challenges,
		// which is exactly what is healthy here.
		return iisFault(r, rt, o, 401, 2)
	}
	switch rt.kind {
	case kindASMX:
		return asmxHelpPage(r, rt.svc)
	case kindVersionXML:
		return staticFile("text/xml", serverVersionXML)
	case kindCab, kindContentFile:
		return staticFile("application/vnd.ms-cab-compressed", cabBody)
	case kindInventory:
		return answer{status: http.StatusOK, header: http.Header{"Content-Type": {"text/html"}}, body: inventoryPage}
	case kindAddSlash:
		return movedPermanently(r)
	case kindDirListing:
		return iisFault(r, rt, o, 403, 14)
	}
	return iisFault(r, rt, o, 404, 0)
}

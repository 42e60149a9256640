package probes

import "strings"

// VDir is one WSUS virtual directory of DESIGN §7.1 (site "WSUS
// Administration", app pool WsusPool) with how a healthy one answers an
// anonymous GET of its probe path.
type VDir struct {
	Name        string
	Path        string   // probe path, relative to the server URL
	AltPaths    []string // other well-known files in the vDir
	Anonymous   bool     // anonymous authentication on
	WindowsAuth bool     // Windows authentication on
	SSLInSSL    bool     // "Require SSL" when the server runs in SSL mode
	Healthy     []int    // statuses of a healthy anonymous GET
	Note        string   // what the healthy answer means, for people
}

// The order is the order of the 9-cell strip on the dashboard.
var vdirTable = [...]VDir{
	{Name: "ClientWebService", Path: "/ClientWebService/client.asmx", AltPaths: []string{"/ClientWebService/wusserverversion.xml"},
		Anonymous: true, SSLInSSL: true, Healthy: []int{200}, Note: "200"},
	{Name: "SimpleAuthWebService", Path: "/SimpleAuthWebService/SimpleAuth.asmx",
		Anonymous: true, SSLInSSL: true, Healthy: []int{200}, Note: "200"},
	{Name: "DssAuthWebService", Path: "/DssAuthWebService/DssAuthWebService.asmx",
		Anonymous: true, SSLInSSL: true, Healthy: []int{200}, Note: "200 (not confirmed; any 2xx is ok)"},
	{Name: "ServerSyncWebService", Path: "/ServerSyncWebService/ServerSyncWebService.asmx",
		Anonymous: true, SSLInSSL: true, Healthy: []int{200}, Note: "200 (not confirmed; any 2xx is ok)"},
	{Name: "ApiRemoting30", Path: "/ApiRemoting30/WebService.asmx",
		WindowsAuth: true, SSLInSSL: true, Healthy: []int{401}, Note: "401 with WWW-Authenticate: Negotiate, NTLM"},
	{Name: "ReportingWebService", Path: "/ReportingWebService/ReportingWebService.asmx",
		Anonymous: true, Healthy: []int{200}, Note: "200 (not confirmed; any 2xx is ok)"},
	{Name: "Inventory", Path: "/Inventory/",
		Anonymous: true, Healthy: []int{200, 301, 302}, Note: "301 or 200"},
	{Name: "SelfUpdate", Path: "/selfupdate/wuident.cab", AltPaths: []string{"/selfupdate/iuident.cab"},
		Anonymous: true, Healthy: []int{200}, Note: "200, on the WSUS port and on port 80"},
	{Name: "Content", Path: "/Content/",
		Anonymous: true, Healthy: []int{403, 200}, Note: "403 (directory listing off); a known file gives 200"},
}

// VDirs returns the reference table of DESIGN §7.1 in dashboard order.
func VDirs() []VDir { return append([]VDir(nil), vdirTable[:]...) }

// VDirNames returns the canonical vDir names in dashboard order.
func VDirNames() []string {
	names := make([]string, len(vdirTable))
	for i, v := range vdirTable {
		names[i] = v.Name
	}
	return names
}

// LookupVDir finds a vDir by its canonical name, case-insensitively.
func LookupVDir(name string) (VDir, bool) {
	for _, v := range vdirTable {
		if strings.EqualFold(v.Name, name) {
			return v, true
		}
	}
	return VDir{}, false
}

// VDirOfPath maps a request path (e.g. "/clientwebservice/Client.asmx" from an
// IIS log) to its vDir, case-insensitively; ok is false outside the WSUS vDirs.
func VDirOfPath(path string) (VDir, bool) {
	first := strings.TrimPrefix(path, "/")
	first, _, _ = strings.Cut(first, "/")
	for _, v := range vdirTable {
		seg := strings.TrimPrefix(v.Path, "/")
		seg, _, _ = strings.Cut(seg, "/")
		if strings.EqualFold(first, seg) {
			return v, true
		}
	}
	return VDir{}, false
}

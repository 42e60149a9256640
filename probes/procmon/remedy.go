package procmon

import (
	"strings"

	"github.com/wsusfleet/wsusfleet/probes"
)

// restart makes IIS and WSUS retry what was denied; the guide captures while
// restarting both.
var restart = probes.Step{
	Text:    "Restart IIS and the WSUS service, then capture again: Process Monitor should show no denial here",
	Command: "iisreset & net stop WsusService & net start WsusService",
}

// valueOperations name a registry value rather than a key in their Path.
var valueOperations = []string{"RegQueryValue", "RegSetValue", "RegDeleteValue"}

// remedy says which right NETWORK SERVICE needs on a denied path and how to
// grant it (DESIGN §7.5). w3wp.exe (WsusPool) and WsusService.exe run as
// NETWORK SERVICE; sqlservr.exe does not, so it gets no NETWORK SERVICE grant.
func remedy(process, operation, path string) (right, why string, steps []probes.Step) {
	registry := probes.IsRegistryPath(path)
	if registry && slicesContainsFold(valueOperations, operation) {
		if i := strings.LastIndexByte(path, '\\'); i > 0 {
			path = path[:i] // the key holding the value
		}
	}
	if strings.EqualFold(process, "sqlservr.exe") {
		return "", "sqlservr.exe runs as the SQL Server service account (for the Windows Internal Database NT SERVICE\\MSSQL$MICROSOFT##WID), not NETWORK SERVICE; " +
				"that account needs access to its database and log folders",
			[]probes.Step{probes.ShowACLCommand(path)}
	}
	if registry {
		return probes.RightReadKey, process + " runs as NETWORK SERVICE and was denied reading this registry key",
			[]probes.Step{probes.GrantCommand(path, probes.RightReadKey), restart}
	}
	need, ok := probes.NTFSRequirement(path)
	if !ok {
		return "", "not in the WSUS guide's list of folders NETWORK SERVICE needs (DESIGN §7.5)",
			[]probes.Step{probes.ShowACLCommand(path)}
	}
	return need.Right, need.Why, []probes.Step{probes.GrantCommand(need.Folder, need.Right), restart}
}

func slicesContainsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

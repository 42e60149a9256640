package procmon

import (
	"strings"

	"github.com/wsusfleet/wsusfleet/probes"
)

// restart makes IIS and WSUS retry what was denied; the guide captures while
// restarting both.
var restart = probes.Step{
	Text:    "Restart IIS and the WSUS service, then capture again: Process Monitor should show no denial here",
	Command: "iisreset; Restart-Service WsusService",
	Shell:   probes.ShellPowerShell,
}

// valueOperations name a registry value rather than a key in their Path.
var valueOperations = []string{"RegQueryValue", "RegSetValue", "RegDeleteValue"}

// updateServicesKey is the key Microsoft's WSUS permission appendix gives
// NETWORK SERVICE Full Control on; WSUS reads and writes its setup there.
const updateServicesKey = `HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Update Services`

// deniedUser is the account a row was denied as: the User column, else the
// process's usual identity (assumed is then true): NETWORK SERVICE for the
// WsusPool worker and the WSUS service, the Windows Internal Database's
// service account for sqlservr.exe.
func deniedUser(process, user string) (who probes.Principal, assumed bool) {
	if !strings.EqualFold(strings.TrimSpace(user), "n/a") {
		if p, ok := probes.PrincipalOf(user); ok {
			return p, false
		}
	}
	if strings.EqualFold(process, "sqlservr.exe") {
		return probes.WIDService, true
	}
	return probes.NetworkService, true
}

// remedy says which right who needs on a denied path and how to grant it:
// on the folders of DESIGN §7.5, NETWORK SERVICE gets the right the guide
// names there (inherited below); registry keys of WSUS get Full Control as
// Microsoft's permission appendix says; anywhere else the account gets what
// the row asked for, on that path only. asked is the widest right the rows
// asked for.
func remedy(process string, who probes.Principal, operation, path, asked string) (right, why string, steps []probes.Step) {
	registry := probes.IsRegistryPath(path)
	if registry && slicesContainsFold(valueOperations, operation) {
		if i := strings.LastIndexByte(path, '\\'); i > 0 {
			path = path[:i] // the key holding the value
		}
	}
	if asked == "" {
		asked = accessRight("", operation, registry)
	}
	if registry {
		key, wsus := wsusKey(path)
		right = asked
		why = process + " was denied " + probes.RightName(asked) + " on this registry key"
		if wsus && who != probes.AnonymousUser {
			right, path = probes.RightFullControl, key
			why = "WSUS keeps its setup under " + key + "; Microsoft's WSUS permission appendix gives NETWORK SERVICE Full Control there (a read grant leaves the denial in place)"
		}
		return right, why, []probes.Step{probes.Grant(who, path, right, true), restart}
	}
	need, ok := probes.NTFSRequirement(path)
	switch {
	case ok && who.IsNetworkService():
		right = need.Right
		if probes.RightRank(asked) > probes.RightRank(right) {
			right = asked
		}
		return right, need.Why, []probes.Step{probes.Grant(who, need.Folder, right, true), restart}
	case ok:
		return asked, need.Why + "; here " + who.Name + " was denied, so it gets what it asked for",
			[]probes.Step{probes.Grant(who, need.Folder, asked, true), restart}
	}
	return asked, "not among the folders the WSUS guide lists; the grant gives " + who.Name + " only what the row asked for, on that path only",
		[]probes.Step{probes.ShowACLCommand(path), probes.Grant(who, path, asked, false), restart}
}

// wsusKey reports whether path is under HKLM\SOFTWARE\Microsoft\Update
// Services, and returns the key to grant on: the Server\Setup key of the
// appendix when the denial is under it, the denied key otherwise.
func wsusKey(path string) (key string, ok bool) {
	full := probes.RegistryPathLong(path)
	if !hasPrefixFold(full, updateServicesKey) {
		return "", false
	}
	setup := updateServicesKey + `\Server\Setup`
	if hasPrefixFold(full, setup) {
		return setup, true
	}
	return full, true
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func slicesContainsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

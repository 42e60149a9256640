package probes

import (
	"strings"
	"unicode/utf8"
)

// NTFS rights as .NET FileSystemRights / RegistryRights names, the words
// Get-Acl prints and the ACL section carries.
const (
	RightFullControl    = "FullControl"
	RightModify         = "Modify" // "Change" in the guide: a remote content share
	RightReadAndExecute = "ReadAndExecute"
	RightReadKey        = "ReadKey" // registry
)

// NetworkServiceSID is NETWORK SERVICE, the WsusPool and WsusService identity.
// Commands use the SID because the account name is translated on non-English
// Windows ("NETZWERKDIENST", "SERVICE RÉSEAU").
const NetworkServiceSID = "S-1-5-20"

// NTFSFolder is one row of DESIGN §7.5: a folder NETWORK SERVICE needs a right on.
type NTFSFolder struct {
	Path  string // as the guide writes it; %windir% and "..." are placeholders
	Right string
	Why   string
}

// The order is the guide's; NTFSRequirement tries the most specific first.
var ntfsFolders = [...]NTFSFolder{
	{`%windir%\Microsoft.NET\Framework\v4.0.30319\Temporary ASP.NET Files`, RightFullControl,
		"ASP.NET compiles the WSUS web services into Temporary ASP.NET Files; w3wp.exe must write there"},
	{`%windir%\Microsoft.NET\Framework*\v*\CONFIG`, RightFullControl,
		"ASP.NET reads machine.config and web.config from the .NET CONFIG folder when WsusPool starts"},
	{`%windir%\Temp`, RightFullControl,
		"ASP.NET and the WSUS service write temporary files to %windir%\\Temp"},
	{`C:\temp`, RightFullControl,
		"the WSUS troubleshooting guide lists C:\\temp among the folders NETWORK SERVICE writes to"},
	{`...\WsusContent`, RightFullControl,
		"WsusService downloads update files into WsusContent and IIS serves them from /Content (401.3, event 12072 when denied)"},
	{`...\Update Services\WebServices`, RightReadAndExecute,
		"IIS runs the WSUS web services from Update Services\\WebServices; w3wp.exe must read them"},
}

// NTFSFolders returns the reference table of DESIGN §7.5.
func NTFSFolders() []NTFSFolder { return append([]NTFSFolder(nil), ntfsFolders[:]...) }

// NTFSNeed is what DESIGN §7.5 requires for one path: the right on the folder
// that should carry it (inherited by everything below).
type NTFSNeed struct {
	Folder string // the path cut to the §7.5 folder, spelled as given
	Right  string
	Why    string
}

// NTFSRequirement says which §7.5 folder a path is in (or is) and the right
// NETWORK SERVICE needs there. A WsusContent folder on a UNC share needs
// Modify for the WSUS server's computer account instead. ok is false for
// paths the guide says nothing about, including registry paths.
func NTFSRequirement(path string) (need NTFSNeed, ok bool) {
	segs := pathSegments(path)
	if len(segs) == 0 || IsRegistryPath(path) {
		return NTFSNeed{}, false
	}
	cut := func(n int, row int) (NTFSNeed, bool) {
		return NTFSNeed{Folder: strings.Join(segs[:n], `\`), Right: ntfsFolders[row].Right, Why: ntfsFolders[row].Why}, true
	}
	for i := 0; i+3 < len(segs); i++ {
		if strings.EqualFold(segs[i], "Microsoft.NET") && hasPrefixFold(segs[i+1], "Framework") && hasPrefixFold(segs[i+2], "v") {
			switch {
			case strings.EqualFold(segs[i+3], "Temporary ASP.NET Files"):
				return cut(i+4, 0)
			case strings.EqualFold(segs[i+3], "CONFIG"):
				return cut(i+4, 1)
			}
		}
	}
	for i := 0; i+1 < len(segs); i++ {
		if strings.EqualFold(segs[i], "Update Services") && strings.EqualFold(segs[i+1], "WebServices") {
			return cut(i+2, 5)
		}
	}
	for i, s := range segs {
		if strings.EqualFold(s, "WsusContent") {
			need, ok := cut(i+1, 4)
			if strings.HasPrefix(need.Folder, `\\`) {
				need.Right = RightModify
				need.Why += "; on a remote share the WSUS server's computer account needs Change (Modify)"
			}
			return need, ok
		}
	}
	root := segs[0]
	switch {
	case isWindirVar(root) && len(segs) > 1 && strings.EqualFold(segs[1], "Temp"):
		return cut(2, 2)
	case isDrive(root) && len(segs) > 2 && strings.EqualFold(segs[1], "Windows") && strings.EqualFold(segs[2], "Temp"):
		return cut(3, 2)
	case (strings.EqualFold(root, "C:") || strings.EqualFold(root, "%SystemDrive%")) && len(segs) > 1 && strings.EqualFold(segs[1], "temp"):
		return cut(2, 3)
	}
	return NTFSNeed{}, false
}

// pathSegments splits a Windows path into its components, keeping a UNC
// prefix on the first one and dropping \\?\ and \??\ prefixes.
func pathSegments(path string) []string {
	p := strings.TrimSpace(strings.ReplaceAll(path, "/", `\`))
	for _, prefix := range []string{`\\?\UNC\`, `\??\UNC\`} {
		if hasPrefixFold(p, prefix) {
			p = `\\` + p[len(prefix):]
		}
	}
	for _, prefix := range []string{`\\?\`, `\??\`} {
		p = strings.TrimPrefix(p, prefix)
	}
	unc := strings.HasPrefix(p, `\\`)
	var segs []string
	for s := range strings.SplitSeq(strings.Trim(p, `\`), `\`) {
		if s != "" {
			segs = append(segs, s)
		}
	}
	if unc && len(segs) > 0 {
		segs[0] = `\\` + segs[0]
	}
	return segs
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func isDrive(s string) bool {
	return len(s) == 2 && s[1] == ':' && ('A' <= s[0] && s[0] <= 'Z' || 'a' <= s[0] && s[0] <= 'z')
}

func isWindirVar(s string) bool {
	return strings.EqualFold(s, "%windir%") || strings.EqualFold(s, "%SystemRoot%")
}

// registryHives maps the hive spellings ProcMon and reg.exe use to the names
// the PowerShell Registry:: provider accepts.
var registryHives = []struct{ prefix, hive string }{
	{`HKEY_LOCAL_MACHINE`, "HKEY_LOCAL_MACHINE"},
	{`HKLM`, "HKEY_LOCAL_MACHINE"},
	{`\REGISTRY\MACHINE`, "HKEY_LOCAL_MACHINE"},
	{`HKEY_USERS`, "HKEY_USERS"},
	{`HKU`, "HKEY_USERS"},
	{`\REGISTRY\USER`, "HKEY_USERS"},
	{`HKEY_CLASSES_ROOT`, "HKEY_CLASSES_ROOT"},
	{`HKCR`, "HKEY_CLASSES_ROOT"},
	{`HKEY_CURRENT_CONFIG`, "HKEY_CURRENT_CONFIG"},
	{`HKCC`, "HKEY_CURRENT_CONFIG"},
	{`HKEY_CURRENT_USER`, "HKEY_CURRENT_USER"},
	{`HKCU`, "HKEY_CURRENT_USER"},
}

// IsRegistryPath reports whether path names a registry key (HKLM\..., HKEY_LOCAL_MACHINE\..., \REGISTRY\...).
func IsRegistryPath(path string) bool {
	_, _, ok := registryKey(path)
	return ok
}

// registryKey splits a registry path into its full hive name and the rest.
func registryKey(path string) (hive, rest string, ok bool) {
	p := strings.TrimSpace(path)
	for _, h := range registryHives {
		if hasPrefixFold(p, h.prefix) && (len(p) == len(h.prefix) || p[len(h.prefix)] == '\\') {
			return h.hive, strings.Trim(p[len(h.prefix):], `\`), true
		}
	}
	return "", "", false
}

// Principal is who a grant is for: a well-known SID when there is one, since
// commands that name accounts break on non-English Windows, where NETWORK
// SERVICE is "NETZWERKDIENST" or "SERVICE RÉSEAU".
type Principal struct {
	Name string // as an administrator reads it: NT AUTHORITY\NETWORK SERVICE, IIS APPPOOL\WsusPool
	SID  string // well-known SID, "" for other accounts (granted by name)
}

// The identities WSUS runs as.
var (
	NetworkService = Principal{Name: `NT AUTHORITY\NETWORK SERVICE`, SID: NetworkServiceSID}
	AnonymousUser  = Principal{Name: `NT AUTHORITY\IUSR`, SID: "S-1-5-17"} // the built-in IIS anonymous user
	LocalSystem    = Principal{Name: `NT AUTHORITY\SYSTEM`, SID: "S-1-5-18"}
	LocalService   = Principal{Name: `NT AUTHORITY\LOCAL SERVICE`, SID: "S-1-5-19"}
	// WIDService is the Windows Internal Database's service account.
	WIDService = Principal{Name: `NT SERVICE\MSSQL$MICROSOFT##WID`}
)

// wellKnown maps the spellings of the well-known identities (English, IIS
// identityType names, and common translations of the account names) to them.
var wellKnown = map[string]Principal{
	"NETWORK SERVICE": NetworkService, "NETWORKSERVICE": NetworkService, NetworkServiceSID: NetworkService,
	"NETZWERKDIENST": NetworkService, "SERVICE RÉSEAU": NetworkService, "SERVICIO DE RED": NetworkService,
	"SERVIZIO DI RETE": NetworkService, "NETWERKSERVICE": NetworkService, "SERVIÇO DE REDE": NetworkService,
	"IUSR": AnonymousUser, "S-1-5-17": AnonymousUser,
	"SYSTEM": LocalSystem, "LOCALSYSTEM": LocalSystem, "S-1-5-18": LocalSystem,
	"LOCAL SERVICE": LocalService, "LOCALSERVICE": LocalService, "S-1-5-19": LocalService, "LOKALER DIENST": LocalService,
	"SERVICE LOCAL": LocalService,
}

// PrincipalOf reads an account as ProcMon's User column, Get-Acl or IIS
// write it ("NT AUTHORITY\NETWORK SERVICE", "NetworkService", "IUSR",
// "IIS APPPOOL\WsusPool", "CORP\svc-wsus"). ok is false for an empty or
// unreadable name.
func PrincipalOf(account string) (p Principal, ok bool) {
	a := strings.TrimSpace(account)
	if a == "" || strings.ContainsFunc(a, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '"' }) {
		return Principal{}, false
	}
	short := a
	if i := strings.LastIndexByte(a, '\\'); i >= 0 {
		short = a[i+1:]
		domain := strings.ToUpper(a[:i])
		// Only the NT AUTHORITY domain (in any language) holds the well-known
		// accounts; CORP\SYSTEM would be an ordinary account.
		if !strings.HasPrefix(domain, "NT") && !strings.HasPrefix(domain, "AUTORIT") && domain != "BUILTIN" {
			return Principal{Name: a}, true
		}
	}
	if w, found := wellKnown[strings.ToUpper(short)]; found {
		return w, true
	}
	return Principal{Name: a}, true
}

// IsNetworkService reports whether p is NETWORK SERVICE.
func (p Principal) IsNetworkService() bool { return p.SID == NetworkServiceSID }

// icaclsPerms are the icacls rights for each right name.
var icaclsPerms = map[string]string{
	RightFullControl:    "F",
	RightModify:         "M",
	RightReadAndExecute: "RX",
}

// GrantCommand is the remediation step that grants NETWORK SERVICE right on
// path and everything below it (DESIGN §7.5): an icacls command for a folder
// (for a UNC path, Modify for the WSUS server's computer account), or a
// PowerShell Get-Acl/Set-Acl snippet for a registry key. When no exact
// command can be written safely (a path that cannot be quoted, a key in the
// caller's own user hive), the step only says what to do.
func GrantCommand(path, right string) Step { return Grant(NetworkService, path, right, true) }

// Grant is the step that grants who right on path: with tree, inherited by
// everything below a folder ((OI)(CI)); without, on the path itself only (a
// file, or a folder outside the reference list where nothing more is known
// to be needed). Every command is PowerShell.
func Grant(who Principal, path, right string, tree bool) Step {
	if hive, rest, ok := registryKey(path); ok {
		return registryGrant(who, hive, rest, right)
	}
	perms, known := icaclsPerms[right]
	quoted, quotable := psPath(path)
	name := rightName(right)
	whom := printable(who.Name)
	switch {
	case !known:
		return Step{Text: "Grant " + whom + " " + name + " on " + printable(path) + " (Properties > Security > Edit)"}
	case !quotable:
		return Step{Text: "Grant " + whom + " " + name + " on " + printable(path) +
			" (Properties > Security > Edit); this path cannot be put in a command safely"}
	}
	if tree {
		perms = "(OI)(CI)" + perms
	} else {
		perms = "(" + perms + ")"
	}
	if strings.HasPrefix(strings.TrimSpace(path), `\\`) && who.IsNetworkService() {
		// NETWORK SERVICE reaches a share as the server's computer account.
		return Step{
			Text: "On the WSUS server, in an elevated PowerShell run as a domain administrator, grant the server's computer account " + name +
				" on the share folder " + printable(path) + " (NETWORK SERVICE reaches a share as DOMAIN\\SERVER$)",
			Command: `$account = "$env:USERDOMAIN\$env:COMPUTERNAME" + '$'; icacls ` + quoted + ` /grant "${account}:` + perms + `"`,
			Shell:   ShellPowerShell,
		}
	}
	account, ok := icaclsAccount(who)
	if !ok {
		return Step{Text: "Grant " + whom + " " + name + " on " + printable(path) + " (Properties > Security > Edit)"}
	}
	scope := " (inherited by everything below it)"
	if !tree {
		scope = " (on that path only)"
	}
	return Step{
		Text:    "In an elevated PowerShell on the WSUS server, grant " + whom + " " + name + " on " + printable(path) + scope,
		Command: `icacls ` + quoted + ` /grant ` + psSingle(account+":"+perms),
		Shell:   ShellPowerShell,
	}
}

// icaclsAccount is how icacls names who: *SID for the well-known accounts.
func icaclsAccount(who Principal) (string, bool) {
	if who.SID != "" {
		return "*" + who.SID, true
	}
	if who.Name == "" || strings.ContainsAny(who.Name, ":*?\"<>|") {
		return "", false
	}
	return who.Name, true
}
func rightName(right string) string {
	switch right {
	case RightFullControl:
		return "Full Control"
	case RightModify:
		return "Modify"
	case RightReadAndExecute:
		return "Read & execute"
	case RightReadKey:
		return "Read"
	}
	return printable(right)
}

// RightRank orders rights: a grant of a higher one includes the lower ones.
func RightRank(right string) int {
	switch right {
	case RightReadKey, RightReadAndExecute, "Read", "ReadData", "ListDirectory", "Write", "WriteKey":
		return 1
	case RightModify:
		return 2
	case RightFullControl:
		return 3
	}
	return 0
}

func registryGrant(who Principal, hive, rest, right string) Step {
	key := hive
	if rest != "" {
		key += `\` + rest
	}
	if right != RightFullControl {
		right = RightReadKey
	}
	whom := printable(who.Name)
	if hive == "HKEY_CURRENT_USER" {
		// HKCU in ProcMon is the denied process's own hive, not the admin's.
		return Step{Text: "The key " + printable(key) + " is in the denied process's own user hive (HKEY_USERS\\<its SID>); grant " + whom + " " +
			rightName(right) + " there with regedit (Permissions…)"}
	}
	quoted, ok := psQuote(`Registry::` + key)
	var identity string
	switch {
	case who.SID != "":
		identity = `[System.Security.Principal.SecurityIdentifier]'` + who.SID + `'`
	default:
		if q, qok := psQuote(who.Name); qok && who.Name != "" {
			identity = `[System.Security.Principal.NTAccount]` + q
		} else {
			ok = false
		}
	}
	if !ok {
		return Step{Text: "Grant " + whom + " " + rightName(right) + " on the registry key " + printable(key) + " with regedit (Permissions…)"}
	}
	return Step{
		Text: "In an elevated PowerShell on the WSUS server, grant " + whom + " " + rightName(right) + " on the registry key " + printable(key) +
			" and its subkeys (or regedit > Permissions…)",
		Command: `$k = ` + quoted + `; $acl = Get-Acl -LiteralPath $k; ` +
			`$id = ` + identity + `; ` +
			`$rule = New-Object System.Security.AccessControl.RegistryAccessRule -ArgumentList $id, '` + right + `', 'ContainerInherit', 'None', 'Allow'; ` +
			`$acl.AddAccessRule($rule); Set-Acl -LiteralPath $k -AclObject $acl`,
		Shell: ShellPowerShell,
	}
}

// envVars are the environment variables a path may name on purpose, as the
// guide writes them, with their PowerShell spelling.
var envVars = []struct{ cmd, ps string }{
	{"%windir%", "$env:windir"}, {"%SystemRoot%", "$env:SystemRoot"}, {"%SystemDrive%", "$env:SystemDrive"},
	{"%ProgramFiles%", "$env:ProgramFiles"}, {"%ProgramData%", "$env:ProgramData"},
}

// psPath renders a Windows path as a PowerShell double-quoted string: the
// variables of envVars become $env: references, every other $ and ` (and
// the typographic double quotes PowerShell also ends strings on) are
// escaped. A trailing backslash is dropped (Windows PowerShell 5.1 would
// pass it to icacls as an escaped closing quote), except after a drive.
// Quotes and control characters cannot be in Windows paths and are refused,
// as is any other %NAME% (its author meant an expansion we cannot know).
func psPath(path string) (string, bool) {
	p := strings.TrimSpace(path)
	if p == "" || strings.ContainsFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '"' }) {
		return "", false
	}
	for len(p) > 3 && strings.HasSuffix(p, `\`) {
		p = p[:len(p)-1]
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(p); {
		if p[i] == '%' {
			matched := false
			for _, v := range envVars {
				if hasPrefixFold(p[i:], v.cmd) {
					b.WriteString(v.ps)
					i += len(v.cmd)
					matched = true
					break
				}
			}
			if matched {
				continue
			}
			if j := strings.IndexByte(p[i+1:], '%'); j > 0 && isVarName(p[i+1:i+1+j]) {
				return "", false
			}
		}
		r, size := utf8.DecodeRuneInString(p[i:])
		switch r {
		case '$', '`', '\u201c', '\u201d', '\u201e':
			b.WriteByte('`')
		}
		b.WriteString(p[i : i+size])
		i += size
	}
	b.WriteByte('"')
	return b.String(), true
}

func isVarName(s string) bool {
	return s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '(' || r == ')')
	})
}

// psQuote single-quotes s for PowerShell, where ' and the typographic single
// quotes all close a string and are escaped by doubling.
func psQuote(s string) (string, bool) {
	if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "", false
	}
	return psSingle(s), true
}

func psSingle(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for _, r := range s {
		if r == '\'' || r == '\u2018' || r == '\u2019' || r == '\u201a' || r == '\u201b' {
			b.WriteRune(r)
		}
		b.WriteRune(r)
	}
	b.WriteByte('\'')
	return b.String()
}

// PSQuote single-quotes s as a PowerShell literal string; ok is false when
// s holds control characters.
func PSQuote(s string) (string, bool) { return psQuote(s) }

// PSPath renders a Windows path (which may name %windir% and the like) as a
// PowerShell string; ok is false when it cannot be written safely.
func PSPath(path string) (string, bool) { return psPath(path) }

// printable replaces control characters so untrusted text stays one line.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}

// ShowACLCommand is the step that displays the current ACL of a folder or
// registry key: compare it with the same path on a healthy WSUS server.
func ShowACLCommand(path string) Step {
	text := "Show the current permissions of " + printable(path) + " and compare them with the same path on a healthy WSUS server"
	if hive, rest, ok := registryKey(path); ok {
		key := strings.TrimSuffix(hive+`\`+rest, `\`)
		if q, ok := psQuote(`Registry::` + key); ok && hive != "HKEY_CURRENT_USER" {
			return Step{Text: text + " (elevated PowerShell)", Command: `Get-Acl -LiteralPath ` + q + ` | Format-List`, Shell: ShellPowerShell}
		}
		return Step{Text: text + " (regedit > Permissions…)"}
	}
	if q, ok := psPath(path); ok {
		return Step{Text: text + " (elevated PowerShell)", Command: `icacls ` + q, Shell: ShellPowerShell}
	}
	return Step{Text: text + " (Properties > Security)"}
}

// RightName is a right as the Security tab names it ("Full Control").
func RightName(right string) string { return rightName(right) }

// RegistryPathLong spells a registry path with its full hive name
// (HKLM\… → HKEY_LOCAL_MACHINE\…), or returns it unchanged.
func RegistryPathLong(path string) string {
	hive, rest, ok := registryKey(path)
	if !ok {
		return path
	}
	if rest == "" {
		return hive
	}
	return hive + `\` + rest
}

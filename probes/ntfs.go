package probes

import (
	"strings"
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

// icaclsPerms are the icacls grants for each right: inherited by subfolders
// (CI) and files (OI) so a denial on a file is fixed by a grant on its folder.
var icaclsPerms = map[string]string{
	RightFullControl:    "(OI)(CI)F",
	RightModify:         "(OI)(CI)M",
	RightReadAndExecute: "(OI)(CI)RX",
}

// GrantCommand is the remediation step that grants NETWORK SERVICE right on
// path: an icacls command for a folder (for a UNC path, Modify for the WSUS
// server's computer account), or a PowerShell Get-Acl/Set-Acl snippet granting
// ReadKey for a registry key. When no exact command can be written safely (a
// path cmd cannot quote, a key in the caller's own user hive), the step only
// says what to do.
func GrantCommand(path, right string) Step {
	if hive, rest, ok := registryKey(path); ok {
		return registryGrant(hive, rest, right)
	}
	perms, known := icaclsPerms[right]
	quoted, quotable := cmdQuote(path)
	name := rightName(right)
	switch {
	case !known:
		return Step{Text: "Grant NETWORK SERVICE " + name + " on " + printable(path) + " (Properties > Security > Edit)"}
	case !quotable:
		return Step{Text: "Grant NETWORK SERVICE " + name + " on " + printable(path) +
			" (Properties > Security > Edit); this path cannot be put in a command safely"}
	}
	if strings.HasPrefix(strings.TrimSpace(path), `\\`) {
		return Step{
			Text:    "On the WSUS server, in an elevated Command Prompt, grant its computer account " + name + " on the share folder " + printable(path) + " (run as a domain user so %USERDOMAIN% is the server's domain)",
			Command: `icacls ` + quoted + ` /grant "%USERDOMAIN%\%COMPUTERNAME%$:` + perms + `"`,
		}
	}
	return Step{
		Text:    "In an elevated Command Prompt on the WSUS server, grant NETWORK SERVICE " + name + " on " + path + " (inherited by everything below it)",
		Command: `icacls ` + quoted + ` /grant *` + NetworkServiceSID + `:` + perms,
	}
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

func registryGrant(hive, rest, right string) Step {
	key := hive
	if rest != "" {
		key += `\` + rest
	}
	if right == "" || right == RightReadAndExecute {
		right = RightReadKey
	}
	if hive == "HKEY_CURRENT_USER" {
		// HKCU in ProcMon is the denied process's own hive, not the admin's.
		return Step{Text: "The key " + printable(key) + " is in the denied process's own user hive (HKEY_USERS\\<its SID>); grant its account " +
			rightName(right) + " there with regedit (Permissions…)"}
	}
	quoted, ok := psQuote(`Registry::` + key)
	if !ok || strings.ContainsFunc(right, func(r rune) bool { return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z') }) {
		return Step{Text: "Grant NETWORK SERVICE " + rightName(right) + " on the registry key " + printable(key) + " with regedit (Permissions…)"}
	}
	return Step{
		Text: "In an elevated PowerShell on the WSUS server, grant NETWORK SERVICE " + rightName(right) + " on the registry key " + key +
			" (or regedit > Permissions…)",
		Command: `$k = ` + quoted + `; $acl = Get-Acl -LiteralPath $k; ` +
			`$sid = [System.Security.Principal.SecurityIdentifier]'` + NetworkServiceSID + `'; ` +
			`$rule = New-Object System.Security.AccessControl.RegistryAccessRule -ArgumentList $sid, '` + right + `', 'ContainerInherit', 'None', 'Allow'; ` +
			`$acl.AddAccessRule($rule); Set-Acl -LiteralPath $k -AclObject $acl`,
	}
}

// cmdVars are the environment variables a path may name on purpose; any other
// % could be expanded by cmd into something else.
var cmdVars = []string{"%windir%", "%SystemRoot%", "%SystemDrive%", "%ProgramFiles%", "%ProgramData%"}

// cmdQuote double-quotes a path for cmd.exe and icacls (MSVCRT argument
// rules). Quotes and control characters cannot appear in Windows paths and
// are refused, as is a % that is not one of cmdVars.
func cmdQuote(path string) (string, bool) {
	p := strings.TrimSpace(path)
	if p == "" || strings.ContainsFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '"' }) {
		return "", false
	}
	rest := p
	for _, v := range cmdVars {
		rest = replaceFold(rest, v)
	}
	if strings.Contains(rest, "%") {
		return "", false
	}
	// A backslash run before the closing quote would escape it: double it.
	trail := len(p) - len(strings.TrimRight(p, `\`))
	return `"` + p + strings.Repeat(`\`, trail) + `"`, true
}

// replaceFold removes every ASCII-case-insensitive occurrence of v from s
// (byte-wise, so non-ASCII text cannot shift the indexes).
func replaceFold(s, v string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if hasPrefixFold(s[i:], v) {
			i += len(v)
			continue
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// psQuote single-quotes s for PowerShell, where ' and the typographic single
// quotes all close a string and are escaped by doubling.
func psQuote(s string) (string, bool) {
	if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "", false
	}
	var b strings.Builder
	b.WriteByte('\'')
	for _, r := range s {
		if r == '\'' || r == '\u2018' || r == '\u2019' || r == '\u201a' || r == '\u201b' {
			b.WriteRune(r)
		}
		b.WriteRune(r)
	}
	b.WriteByte('\'')
	return b.String(), true
}

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
// registry key, for paths the guide says nothing about: compare it with the
// same path on a healthy WSUS server before granting anything.
func ShowACLCommand(path string) Step {
	text := "Show the current permissions of " + printable(path) + " and compare them with the same path on a healthy WSUS server before granting anything"
	if hive, rest, ok := registryKey(path); ok {
		key := strings.TrimSuffix(hive+`\`+rest, `\`)
		if q, ok := psQuote(`Registry::` + key); ok && hive != "HKEY_CURRENT_USER" {
			return Step{Text: text + " (elevated PowerShell)", Command: `Get-Acl -LiteralPath ` + q + ` | Format-List`}
		}
		return Step{Text: text + " (regedit > Permissions…)"}
	}
	if q, ok := cmdQuote(path); ok {
		return Step{Text: text + " (Command Prompt)", Command: `icacls ` + q}
	}
	return Step{Text: text + " (Properties > Security)"}
}

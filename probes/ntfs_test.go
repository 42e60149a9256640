package probes

import (
	"strings"
	"testing"
)

func TestNTFSRequirement(t *testing.T) {
	cases := []struct {
		path, folder, right string
	}{
		{`C:\Windows\Microsoft.NET\Framework64\v4.0.30319\Temporary ASP.NET Files\root\d3a1b2c4\App_global.asax.dll`,
			`C:\Windows\Microsoft.NET\Framework64\v4.0.30319\Temporary ASP.NET Files`, RightFullControl},
		{`%windir%\Microsoft.NET\Framework\v4.0.30319\Temporary ASP.NET Files`,
			`%windir%\Microsoft.NET\Framework\v4.0.30319\Temporary ASP.NET Files`, RightFullControl},
		{`C:\WINDOWS\Microsoft.NET\Framework64\v4.0.30319\Config\machine.config`,
			`C:\WINDOWS\Microsoft.NET\Framework64\v4.0.30319\Config`, RightFullControl},
		{`C:\Windows\Temp\tmp1A2B.tmp`, `C:\Windows\Temp`, RightFullControl},
		{`c:\windows\temp`, `c:\windows\temp`, RightFullControl},
		{`%windir%\Temp`, `%windir%\Temp`, RightFullControl},
		{`%SystemRoot%\Temp\x`, `%SystemRoot%\Temp`, RightFullControl},
		{`C:\temp\wsus.log`, `C:\temp`, RightFullControl},
		{`D:\WSUS\WsusContent\A1\0123456789ABCDEF.cab`, `D:\WSUS\WsusContent`, RightFullControl},
		{`D:/WSUS/WsusContent/`, `D:\WSUS\WsusContent`, RightFullControl},
		{`\\?\C:\Windows\Temp\x`, `C:\Windows\Temp`, RightFullControl},
		{`\\fs01\wsus$\WsusContent\A1\x.cab`, `\\fs01\wsus$\WsusContent`, RightModify},
		{`\\?\UNC\fs01\wsus$\WsusContent`, `\\fs01\wsus$\WsusContent`, RightModify},
		{`C:\Program Files\Update Services\WebServices\ClientWebService\Web.config`,
			`C:\Program Files\Update Services\WebServices`, RightReadAndExecute},
		// Not in the guide: no requirement.
		{`C:\WINDOWS\Microsoft.NET\Framework`, "", ""},
		{`C:\WINDOWS\Microsoft.NET`, "", ""},
		{`D:\temp\x`, "", ""},
		{`C:\Windows\System32\inetsrv\config\applicationHost.config`, "", ""},
		{`C:\Program Files\Update Services\LogFiles\SoftwareDistribution.log`, "", ""},
		{`HKLM\SOFTWARE\Microsoft\Update Services\Server\Setup`, "", ""},
		{``, "", ""},
		{`\\`, "", ""},
	}
	for _, tc := range cases {
		need, ok := NTFSRequirement(tc.path)
		if ok != (tc.right != "") || need.Folder != tc.folder || need.Right != tc.right {
			t.Errorf("NTFSRequirement(%q) = %+v, %v; want folder %q right %q", tc.path, need, ok, tc.folder, tc.right)
		}
		if ok && need.Why == "" {
			t.Errorf("NTFSRequirement(%q): no reason", tc.path)
		}
	}
}

// Every row of the reference table must be recognised by NTFSRequirement.
func TestNTFSFoldersSelfConsistent(t *testing.T) {
	for _, f := range NTFSFolders() {
		p := strings.NewReplacer(`Framework*`, `Framework64`, `v*`, `v4.0.30319`, `...`, `C:\Program Files`).Replace(f.Path)
		need, ok := NTFSRequirement(p)
		if !ok || need.Right != f.Right || need.Why != f.Why {
			t.Errorf("table row %q (as %q): got %+v, %v", f.Path, p, need, ok)
		}
	}
}

func TestGrantCommand(t *testing.T) {
	const psGrant = `$id = [System.Security.Principal.SecurityIdentifier]'S-1-5-20'; ` +
		`$rule = New-Object System.Security.AccessControl.RegistryAccessRule -ArgumentList $id, 'ReadKey', 'ContainerInherit', 'None', 'Allow'; ` +
		`$acl.AddAccessRule($rule); Set-Acl -LiteralPath $k -AclObject $acl`
	cases := []struct {
		name, path, right, command, text string
	}{
		{"windows temp", `C:\Windows\Temp`, RightFullControl,
			`icacls "C:\Windows\Temp" /grant '*S-1-5-20:(OI)(CI)F'`, `grant NT AUTHORITY\NETWORK SERVICE Full Control on C:\Windows\Temp`},
		{"spaces", `C:\Windows\Microsoft.NET\Framework64\v4.0.30319\Temporary ASP.NET Files`, RightFullControl,
			`icacls "C:\Windows\Microsoft.NET\Framework64\v4.0.30319\Temporary ASP.NET Files" /grant '*S-1-5-20:(OI)(CI)F'`, "elevated PowerShell"},
		{"cmd variable becomes $env", `%windir%\Temp`, RightFullControl,
			`icacls "$env:windir\Temp" /grant '*S-1-5-20:(OI)(CI)F'`, ""},
		{"program files variable", `%ProgramFiles%\Update Services\WebServices`, RightReadAndExecute,
			`icacls "$env:ProgramFiles\Update Services\WebServices" /grant '*S-1-5-20:(OI)(CI)RX'`, "Read & execute"},
		{"trailing backslash dropped", `C:\temp\`, RightFullControl,
			`icacls "C:\temp" /grant '*S-1-5-20:(OI)(CI)F'`, ""},
		{"a drive keeps its backslash", `D:\`, RightFullControl,
			`icacls "D:\" /grant '*S-1-5-20:(OI)(CI)F'`, ""},
		{"ampersand is literal inside quotes", `D:\R&D\WsusContent`, RightFullControl,
			`icacls "D:\R&D\WsusContent" /grant '*S-1-5-20:(OI)(CI)F'`, ""},
		{"dollar escaped", `D:\$WSUS\WsusContent`, RightFullControl,
			"icacls \"D:\\`$WSUS\\WsusContent\" /grant '*S-1-5-20:(OI)(CI)F'", ""},
		{"remote share: computer account", `\\fs01\wsus$\WsusContent`, RightModify,
			"$account = \"$env:USERDOMAIN\\$env:COMPUTERNAME\" + '$'; icacls \"\\\\fs01\\wsus`$\\WsusContent\" /grant \"${account}:(OI)(CI)M\"",
			"computer account Modify"},
		{"quote cannot be quoted", `C:\a"b`, RightFullControl, "", "cannot be put in a command safely"},
		{"unknown variable", `C:\100%\%USERPROFILE%\x`, RightFullControl, "", "cannot be put in a command safely"},
		{"a lone percent sign is literal", `D:\100%\WsusContent`, RightFullControl, `icacls "D:\100%\WsusContent" /grant '*S-1-5-20:(OI)(CI)F'`, ""},
		{"control character", "C:\\a\nb", RightFullControl, "", "C:\\a?b"},
		{"unknown right", `C:\Windows\Temp`, "Everything", "", `Grant NT AUTHORITY\NETWORK SERVICE Everything on C:\Windows\Temp (Properties`},
		{"registry HKLM", `HKLM\SOFTWARE\Microsoft\Update Services\Server\Setup`, "",
			`$k = 'Registry::HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Update Services\Server\Setup'; $acl = Get-Acl -LiteralPath $k; ` + psGrant,
			"elevated PowerShell"},
		{"registry full control", `HKLM\SOFTWARE\Microsoft\Update Services\Server\Setup`, RightFullControl,
			`$k = 'Registry::HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Update Services\Server\Setup'; $acl = Get-Acl -LiteralPath $k; ` +
				strings.Replace(psGrant, "'ReadKey'", "'FullControl'", 1), "Full Control"},
		{"registry long hive", `HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\WsusService`, RightReadKey,
			`$k = 'Registry::HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\WsusService'; $acl = Get-Acl -LiteralPath $k; ` + psGrant, ""},
		{"registry kernel path", `\REGISTRY\MACHINE\SOFTWARE\Microsoft\Update Services`, RightReadKey,
			`$k = 'Registry::HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Update Services'; $acl = Get-Acl -LiteralPath $k; ` + psGrant, ""},
		{"registry quote doubled", `HKLM\SOFTWARE\O'Brien`, RightReadKey,
			`$k = 'Registry::HKEY_LOCAL_MACHINE\SOFTWARE\O''Brien'; $acl = Get-Acl -LiteralPath $k; ` + psGrant, ""},
		{"registry HKCU is the process's own hive", `HKCU\Software\Microsoft`, RightReadKey, "", "HKEY_USERS\\<its SID>"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := GrantCommand(tc.path, tc.right)
			if s.Command != tc.command {
				t.Errorf("command\n got %s\nwant %s", s.Command, tc.command)
			}
			if s.Command != "" && s.Shell != ShellPowerShell {
				t.Errorf("shell %q", s.Shell)
			}
			if !strings.Contains(s.Text, tc.text) {
				t.Errorf("text %q does not contain %q", s.Text, tc.text)
			}
		})
	}
}

// Grants go to whoever was denied, by SID when it is well known (account
// names are translated on non-English Windows), else by name.
func TestGrantToPrincipal(t *testing.T) {
	cases := []struct {
		account, path string
		tree          bool
		right, want   string
	}{
		{`NT AUTHORITY\IUSR`, `D:\WSUS\WsusContent`, true, RightReadAndExecute, `icacls "D:\WSUS\WsusContent" /grant '*S-1-5-17:(OI)(CI)RX'`},
		{`IUSR`, `D:\WSUS\WsusContent`, false, RightReadAndExecute, `icacls "D:\WSUS\WsusContent" /grant '*S-1-5-17:(RX)'`},
		{`NT-AUTORITÄT\NETZWERKDIENST`, `C:\Windows\Temp`, true, RightFullControl, `icacls "C:\Windows\Temp" /grant '*S-1-5-20:(OI)(CI)F'`},
		{`NetworkService`, `C:\Windows\Temp`, true, RightFullControl, `icacls "C:\Windows\Temp" /grant '*S-1-5-20:(OI)(CI)F'`},
		{`IIS APPPOOL\WsusPool`, `C:\Windows\Temp`, true, RightModify, `icacls "C:\Windows\Temp" /grant 'IIS APPPOOL\WsusPool:(OI)(CI)M'`},
		{`NT SERVICE\MSSQL$MICROSOFT##WID`, `C:\Windows\WID\Data`, true, RightModify, `icacls "C:\Windows\WID\Data" /grant 'NT SERVICE\MSSQL$MICROSOFT##WID:(OI)(CI)M'`},
		{`CORP\svc-wsus`, `D:\WSUS\WsusContent`, true, RightReadAndExecute, `icacls "D:\WSUS\WsusContent" /grant 'CORP\svc-wsus:(OI)(CI)RX'`},
		{`CORP\O'Neil`, `D:\WSUS`, false, RightReadAndExecute, `icacls "D:\WSUS" /grant 'CORP\O''Neil:(RX)'`},
		{`CORP\SYSTEM`, `D:\WSUS`, false, RightReadAndExecute, `icacls "D:\WSUS" /grant 'CORP\SYSTEM:(RX)'`},
		{`IIS APPPOOL\WsusPool`, `HKLM\SOFTWARE\Microsoft\Update Services\Server\Setup`, true, RightFullControl,
			`$id = [System.Security.Principal.NTAccount]'IIS APPPOOL\WsusPool'`},
	}
	for _, tc := range cases {
		p, ok := PrincipalOf(tc.account)
		if !ok {
			t.Errorf("PrincipalOf(%q) failed", tc.account)
			continue
		}
		if s := Grant(p, tc.path, tc.right, tc.tree); !strings.Contains(s.Command, tc.want) {
			t.Errorf("Grant(%s, %s) = %q, want %q", tc.account, tc.path, s.Command, tc.want)
		}
	}
	for _, bad := range []string{"", "  ", "a\nb", `x"y`} {
		if _, ok := PrincipalOf(bad); ok {
			t.Errorf("PrincipalOf(%q) accepted", bad)
		}
	}
}

func TestIsRegistryPath(t *testing.T) {
	for p, want := range map[string]bool{
		`HKLM\SOFTWARE`: true, `HKLM`: true, `hklm\software`: true, `HKEY_USERS\S-1-5-20`: true,
		`\REGISTRY\MACHINE\SYSTEM`: true, `HKLMX\foo`: false, `C:\HKLM\x`: false, `HKLM.txt`: false,
	} {
		if got := IsRegistryPath(p); got != want {
			t.Errorf("IsRegistryPath(%q) = %v", p, got)
		}
	}
}

func TestShowACLCommand(t *testing.T) {
	for path, want := range map[string]string{
		`C:\WINDOWS\Microsoft.NET`:                `icacls "C:\WINDOWS\Microsoft.NET"`,
		`%windir%\Microsoft.NET`:                  `icacls "$env:windir\Microsoft.NET"`,
		`HKLM\SOFTWARE\Microsoft\Update Services`: `Get-Acl -LiteralPath 'Registry::HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Update Services' | Format-List`,
		`HKLM`:          `Get-Acl -LiteralPath 'Registry::HKEY_LOCAL_MACHINE' | Format-List`,
		`HKCU\Software`: ``,
		`C:\a"b`:        ``,
	} {
		s := ShowACLCommand(path)
		if s.Command != want || !strings.Contains(s.Text, "healthy WSUS server") {
			t.Errorf("ShowACLCommand(%q) = %+v; want command %s", path, s, want)
		}
	}
}

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
	const psGrant = `$sid = [System.Security.Principal.SecurityIdentifier]'S-1-5-20'; ` +
		`$rule = New-Object System.Security.AccessControl.RegistryAccessRule -ArgumentList $sid, 'ReadKey', 'ContainerInherit', 'None', 'Allow'; ` +
		`$acl.AddAccessRule($rule); Set-Acl -LiteralPath $k -AclObject $acl`
	cases := []struct {
		name, path, right, command, text string
	}{
		{"windows temp", `C:\Windows\Temp`, RightFullControl,
			`icacls "C:\Windows\Temp" /grant *S-1-5-20:(OI)(CI)F`, "grant NETWORK SERVICE Full Control on C:\\Windows\\Temp"},
		{"spaces", `C:\Windows\Microsoft.NET\Framework64\v4.0.30319\Temporary ASP.NET Files`, RightFullControl,
			`icacls "C:\Windows\Microsoft.NET\Framework64\v4.0.30319\Temporary ASP.NET Files" /grant *S-1-5-20:(OI)(CI)F`, "elevated Command Prompt"},
		{"env var kept for cmd", `%windir%\Temp`, RightFullControl,
			`icacls "%windir%\Temp" /grant *S-1-5-20:(OI)(CI)F`, ""},
		{"trailing backslash doubled", `C:\temp\`, RightFullControl,
			`icacls "C:\temp\\" /grant *S-1-5-20:(OI)(CI)F`, ""},
		{"read for web services", `C:\Program Files\Update Services\WebServices`, RightReadAndExecute,
			`icacls "C:\Program Files\Update Services\WebServices" /grant *S-1-5-20:(OI)(CI)RX`, "Read & execute"},
		{"ampersand is literal inside quotes", `D:\R&D\WsusContent`, RightFullControl,
			`icacls "D:\R&D\WsusContent" /grant *S-1-5-20:(OI)(CI)F`, ""},
		{"remote share: computer account", `\\fs01\wsus$\WsusContent`, RightModify,
			`icacls "\\fs01\wsus$\WsusContent" /grant "%USERDOMAIN%\%COMPUTERNAME%$:(OI)(CI)M"`, "computer account Modify"},
		{"quote cannot be quoted", `C:\a"b`, RightFullControl, "", "cannot be put in a command safely"},
		{"unknown variable", `C:\100%\%USERPROFILE%\x`, RightFullControl, "", "cannot be put in a command safely"},
		{"control character", "C:\\a\nb", RightFullControl, "", "C:\\a?b"},
		{"unknown right", `C:\Windows\Temp`, "Everything", "", "Grant NETWORK SERVICE Everything on C:\\Windows\\Temp (Properties"},
		{"registry HKLM", `HKLM\SOFTWARE\Microsoft\Update Services\Server\Setup`, "",
			`$k = 'Registry::HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Update Services\Server\Setup'; $acl = Get-Acl -LiteralPath $k; ` + psGrant,
			"elevated PowerShell"},
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
			if !strings.Contains(s.Text, tc.text) {
				t.Errorf("text %q does not contain %q", s.Text, tc.text)
			}
		})
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

package apphost

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/wsusfleet/wsusfleet/probes"
)

const fixture = "testdata/wsus-2019.applicationHost.config"

func readFixture(tb testing.TB) string {
	tb.Helper()
	b, err := os.ReadFile(fixture)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// replaceOnce edits the fixture and fails when old is not there exactly once,
// so a variation cannot silently test nothing.
func replaceOnce(tb testing.TB, s, old, new string) string {
	tb.Helper()
	if n := strings.Count(s, old); n != 1 {
		tb.Fatalf("%q occurs %d times in the fixture", old, n)
	}
	return strings.Replace(s, old, new, 1)
}

// addLocation appends a <location> block at the end of the file.
func addLocation(tb testing.TB, s, block string) string {
	return replaceOnce(tb, s, "</configuration>", block+"\r\n</configuration>")
}

const webServices = `C:\Program Files\Update Services\WebServices\`

// stock is what the fixture must resolve to: WSUS setup's settings.
func stock() map[string]probes.VDirConfig {
	out := map[string]probes.VDirConfig{}
	for _, name := range probes.VDirNames() {
		out[name] = probes.VDirConfig{VDir: name, Anonymous: true, AnonymousUser: "IUSR", ClientCerts: "ignore",
			AppPool: "WsusPool", PhysicalPath: webServices + name}
	}
	api := out["ApiRemoting30"]
	api.Anonymous, api.WindowsAuth = false, true
	out["ApiRemoting30"] = api
	c := out["Content"]
	c.PhysicalPath = `D:\WSUS\WsusContent`
	out["Content"] = c
	su := out["SelfUpdate"]
	su.PhysicalPath = `C:\Program Files\Update Services\Selfupdate`
	out["SelfUpdate"] = su
	return out
}

func i64(n int64) *int64 { return &n }
func bp(b bool) *bool    { return &b }

func stockPool() probes.AppPool {
	return probes.AppPool{Name: "WsusPool", Identity: "NetworkService", PrivateMemoryKB: i64(1843200), QueueLength: i64(1000),
		IdleTimeoutMin: i64(20), PingEnabled: bp(true), PeriodicRestartMin: i64(1740), RapidFailProtection: bp(true)}
}

func poolString(p *probes.AppPool) string {
	if p == nil {
		return "<nil>"
	}
	d := func(n *int64) string {
		if n == nil {
			return "nil"
		}
		return fmt.Sprint(*n)
	}
	b := func(v *bool) string {
		if v == nil {
			return "nil"
		}
		return fmt.Sprint(*v)
	}
	return fmt.Sprintf("%s state=%q identity=%q mem=%s queue=%s idle=%s ping=%s restart=%s rapidfail=%s", p.Name, p.State, p.Identity,
		d(p.PrivateMemoryKB), d(p.QueueLength), d(p.IdleTimeoutMin), b(p.PingEnabled), d(p.PeriodicRestartMin), b(p.RapidFailProtection))
}

func TestParseVariations(t *testing.T) {
	base := readFixture(t)
	siteOnly := regexp.MustCompile(`(?s)\s*<location path="WSUS Administration/[^"]+">.*?</location>`).ReplaceAllString(base, "")
	cases := []struct {
		name    string
		edit    func(tb testing.TB, s string) string
		opt     Options
		vdirs   func(m map[string]probes.VDirConfig)
		pool    func(p *probes.AppPool) *probes.AppPool
		site    string
		missing []string
		notes   []string
	}{
		{name: "stock WSUS server"},
		{name: "anonymous off on ClientWebService",
			edit: func(tb testing.TB, s string) string {
				block := s[strings.Index(s, `<location path="WSUS Administration/ClientWebService">`):]
				block = block[:strings.Index(block, "</location>")]
				return replaceOnce(tb, s, block, strings.Replace(block, `anonymousAuthentication enabled="true"`, `anonymousAuthentication enabled="false"`, 1))
			},
			vdirs: func(m map[string]probes.VDirConfig) {
				set(m, "ClientWebService", func(c *probes.VDirConfig) { c.Anonymous = false })
			}},
		{name: "impersonation on one vDir",
			edit: func(tb testing.TB, s string) string {
				return addLocation(tb, s, `<location path="WSUS Administration/SimpleAuthWebService"><system.web><identity impersonate="true" /></system.web></location>`)
			},
			vdirs: func(m map[string]probes.VDirConfig) {
				set(m, "SimpleAuthWebService", func(c *probes.VDirConfig) { c.ASPNETImpersonation = true })
			}},
		{name: "impersonation at site level reaches every vDir",
			edit: func(tb testing.TB, s string) string {
				return addLocation(tb, s, `<location path="WSUS Administration"><system.web><identity impersonate="True" /></system.web></location>`)
			},
			vdirs: func(m map[string]probes.VDirConfig) {
				for name := range m {
					set(m, name, func(c *probes.VDirConfig) { c.ASPNETImpersonation = true })
				}
			}},
		{name: "client certificates required (path with odd case and trailing slash)",
			edit: func(tb testing.TB, s string) string {
				return addLocation(tb, s, `<location path="wsus administration/CLIENTWEBSERVICE/"><system.webServer><security><access sslFlags="Ssl, SslNegotiateCert, SslRequireCert" /></security></system.webServer></location>`)
			},
			vdirs: func(m map[string]probes.VDirConfig) {
				set(m, "ClientWebService", func(c *probes.VDirConfig) { c.RequireSSL, c.ClientCerts = true, "require" })
			}},
		{name: "client certificates accepted",
			edit: func(tb testing.TB, s string) string {
				return addLocation(tb, s, `<location path="WSUS Administration/Content"><system.webServer><security><access sslFlags="SslNegotiateCert" /></security></system.webServer></location>`)
			},
			vdirs: func(m map[string]probes.VDirConfig) {
				set(m, "Content", func(c *probes.VDirConfig) { c.ClientCerts = "accept" })
			}},
		{name: "SSL required on the whole site (wrong, but visible on every vDir)",
			edit: func(tb testing.TB, s string) string {
				return addLocation(tb, s, `<location path="WSUS Administration"><system.webServer><security><access sslFlags="Ssl" /></security></system.webServer></location>`)
			},
			// The five vDirs with their own access element (sslFlags="None") keep it: most specific wins.
			vdirs: func(m map[string]probes.VDirConfig) {
				for _, name := range []string{"ReportingWebService", "Inventory", "SelfUpdate", "Content"} {
					set(m, name, func(c *probes.VDirConfig) { c.RequireSSL = true })
				}
			}},
		{name: "anonymous as the application pool identity",
			edit: func(tb testing.TB, s string) string {
				return addLocation(tb, s, `<location path="WSUS Administration/Content"><system.webServer><security><authentication><anonymousAuthentication userName="" /></authentication></security></system.webServer></location>`)
			},
			vdirs: func(m map[string]probes.VDirConfig) {
				set(m, "Content", func(c *probes.VDirConfig) { c.AnonymousUser = PoolIdentity })
			}},
		{name: "basic and digest on",
			edit: func(tb testing.TB, s string) string {
				return addLocation(tb, s, `<location path="WSUS Administration/Inventory"><system.webServer><security><authentication><basicAuthentication enabled="true" /><digestAuthentication enabled="TRUE" /></authentication></security></system.webServer></location>`)
			},
			vdirs: func(m map[string]probes.VDirConfig) {
				set(m, "Inventory", func(c *probes.VDirConfig) { c.BasicAuth, c.DigestAuth = true, true })
			}},
		{name: "settings only at site level: ApiRemoting30 inherits anonymous",
			edit: func(tb testing.TB, s string) string { return siteOnly },
			vdirs: func(m map[string]probes.VDirConfig) {
				set(m, "ApiRemoting30", func(c *probes.VDirConfig) { c.Anonymous, c.WindowsAuth = true, false })
			}},
		{name: "settings only at server level",
			edit: func(tb testing.TB, s string) string {
				s = regexp.MustCompile(`(?s)\s*<location path="WSUS Administration[^"]*">.*?</location>`).ReplaceAllString(s, "")
				return replaceOnce(tb, s, `<anonymousAuthentication enabled="true" userName="IUSR" />`, `<anonymousAuthentication enabled="false" userName="WSUSANON" />`)
			},
			vdirs: func(m map[string]probes.VDirConfig) {
				for name := range m {
					set(m, name, func(c *probes.VDirConfig) { c.Anonymous, c.WindowsAuth, c.AnonymousUser = false, false, "WSUSANON" })
				}
			}},
		{name: "inheritInChildApplications=false stops at applications, not at virtual directories",
			edit: func(tb testing.TB, s string) string {
				s = replaceOnce(tb, siteOnly, `<location path="WSUS Administration">`, `<location path="WSUS Administration" inheritInChildApplications="false">`)
				return replaceOnce(tb, s, `<anonymousAuthentication enabled="true" />`, `<anonymousAuthentication enabled="false" />`)
			},
			// Applications fall back to the server level (anonymous on); Content
			// and Selfupdate, virtual directories of the root application, inherit.
			vdirs: func(m map[string]probes.VDirConfig) {
				set(m, "ApiRemoting30", func(c *probes.VDirConfig) { c.WindowsAuth = false; c.Anonymous = true })
				set(m, "Content", func(c *probes.VDirConfig) { c.Anonymous = false })
				set(m, "SelfUpdate", func(c *probes.VDirConfig) { c.Anonymous = false })
			}},
		{name: "private memory limit and the rest of the best practice",
			edit: func(tb testing.TB, s string) string {
				s = replaceOnce(tb, s, `startMode="AlwaysRunning">`, `startMode="AlwaysRunning" queueLength="2000">`)
				s = replaceOnce(tb, s, `<processModel identityType="NetworkService" />`, `<processModel identityType="NetworkService" idleTimeout="00:00:00" pingingEnabled="false" />`)
				s = replaceOnce(tb, s, `<periodicRestart privateMemory="1843200" />`, `<periodicRestart privateMemory="0" time="00:00:00" />`)
				return s
			},
			pool: func(p *probes.AppPool) *probes.AppPool {
				p.QueueLength, p.IdleTimeoutMin, p.PingEnabled, p.PrivateMemoryKB, p.PeriodicRestartMin = i64(2000), i64(0), bp(false), i64(0), i64(0)
				return p
			}},
		{name: "pool left to IIS and pool defaults",
			edit: func(tb testing.TB, s string) string {
				start := strings.Index(s, `<add name="WsusPool"`)
				end := strings.Index(s, "</add>") + len("</add>")
				return s[:start] + `<add name="WsusPool" />` + s[end:]
			},
			pool: func(p *probes.AppPool) *probes.AppPool {
				p.Identity, p.PrivateMemoryKB = "ApplicationPoolIdentity", i64(0)
				return p
			}},
		{name: "stopped pool, rapid-fail off, specific user, 90 s idle",
			edit: func(tb testing.TB, s string) string {
				s = replaceOnce(tb, s, `<add name="WsusPool" autoStart="true"`, `<add name="WsusPool" autoStart="false"`)
				s = replaceOnce(tb, s, `<processModel identityType="NetworkService" />`,
					`<processModel identityType="SpecificUser" userName="CORP\svc-wsus" password="[enc:IISCngProvider:c2VjcmV0:enc]" idleTimeout="00:01:30" />`)
				return replaceOnce(tb, s, `<cpu resetInterval="00:15:00" />`, `<cpu resetInterval="00:15:00" /><failure rapidFailProtection="false" />`)
			},
			pool: func(p *probes.AppPool) *probes.AppPool {
				p.State, p.Identity, p.IdleTimeoutMin, p.RapidFailProtection = "Stopped", `CORP\svc-wsus`, i64(2), bp(false)
				return p
			}},
		{name: "a vDir in another pool, WsusPool undefined",
			edit: func(tb testing.TB, s string) string {
				s = replaceOnce(tb, s, `<application path="/Inventory" applicationPool="WsusPool">`, `<application path="/Inventory">`)
				return replaceOnce(tb, s, `<add name="WsusPool" autoStart="true"`, `<add name="WsusPool2" autoStart="true"`)
			},
			vdirs: func(m map[string]probes.VDirConfig) {
				set(m, "Inventory", func(c *probes.VDirConfig) { c.AppPool = "DefaultAppPool" })
			},
			pool:  func(*probes.AppPool) *probes.AppPool { return nil },
			notes: []string{`the application pool "WsusPool" is not defined in <applicationPools>`, `Inventory runs in the application pool "DefaultAppPool", not "WsusPool"`}},
		{name: "missing vDir, lower-case application path",
			edit: func(tb testing.TB, s string) string {
				s = replaceOnce(tb, s, `<application path="/Inventory" applicationPool="WsusPool">`, `<application path="/Inventory-old" applicationPool="WsusPool">`)
				return replaceOnce(tb, s, `<application path="/ClientWebService" applicationPool="WsusPool">`, `<application path="/clientwebservice/" applicationPool="WsusPool">`)
			},
			vdirs:   func(m map[string]probes.VDirConfig) { delete(m, "Inventory") },
			missing: []string{"Inventory"}},
		{name: "UTF-16 as PowerShell's Out-File writes it",
			edit: func(tb testing.TB, s string) string {
				s = replaceOnce(tb, s, `encoding="UTF-8"`, `encoding="utf-16"`)
				u := utf16.Encode([]rune(s))
				b := []byte{0xff, 0xfe}
				for _, c := range u {
					b = append(b, byte(c), byte(c>>8))
				}
				return string(b)
			}},
		{name: "WSUS installed into Default Web Site",
			edit: func(tb testing.TB, s string) string {
				s = strings.ReplaceAll(s, "WSUS Administration", "Default Web Site")
				// Drop the real Default Web Site so the WSUS one is found by its vDirs.
				start := strings.Index(s, `<site name="Default Web Site" id="1">`)
				end := strings.Index(s[start:], "</site>") + start + len("</site>")
				s = s[:start] + s[end:]
				return replaceOnce(tb, s, `<site name="Default Web Site" id="1455211434"`, `<site name="Default Web Site" id="1"`)
			},
			site: "Default Web Site"},
		{name: "explicit site option",
			edit: func(tb testing.TB, s string) string { return strings.ReplaceAll(s, "WSUS Administration", "WSUS") },
			opt:  Options{Site: "wsus"}, site: "WSUS"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := base
			if tc.edit != nil {
				in = tc.edit(t, base)
			}
			cfg, err := Parse(strings.NewReader(in), tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			want := stock()
			if tc.vdirs != nil {
				tc.vdirs(want)
			}
			var order []string
			for _, name := range probes.VDirNames() {
				if _, ok := want[name]; ok {
					order = append(order, name)
				}
			}
			if len(cfg.VDirs) != len(order) {
				t.Fatalf("%d vDirs; want %d: %+v", len(cfg.VDirs), len(order), cfg.VDirs)
			}
			for i, got := range cfg.VDirs {
				w := want[order[i]]
				w.Site = cfg.Site // every vDir names the site it was found in
				if got != w {
					t.Errorf("vDir %d:\n got %+v\nwant %+v", i, got, w)
				}
			}
			wantPool := stockPool()
			wp := &wantPool
			if tc.pool != nil {
				wp = tc.pool(wp)
			}
			if poolString(cfg.AppPool) != poolString(wp) {
				t.Errorf("pool\n got %s\nwant %s", poolString(cfg.AppPool), poolString(wp))
			}
			site := tc.site
			if site == "" {
				site = "WSUS Administration"
			}
			if cfg.Site != site || fmt.Sprint(cfg.Missing) != fmt.Sprint(tc.missing) || fmt.Sprint(cfg.Notes) != fmt.Sprint(tc.notes) {
				t.Errorf("site %q missing %q notes %q; want %q %q %q", cfg.Site, cfg.Missing, cfg.Notes, site, tc.missing, tc.notes)
			}
		})
	}
}

func set(m map[string]probes.VDirConfig, name string, f func(c *probes.VDirConfig)) {
	c := m[name]
	f(&c)
	m[name] = c
}

func TestTimeSpanMinutes(t *testing.T) {
	for in, want := range map[string]int64{
		"00:20:00": 20, "1.05:00:00": 1740, "00:00:00": 0, "00:00:30": 1, "00:00:01": 1, "00:01:29": 1, "00:01:30": 2,
		"1.00:00:00": 1440, "23:59:59.9999999": 1440, " 00:05:00 ": 5, "00:05": 5, "29.00:00:00": 41760,
	} {
		if got, ok := timeSpanMinutes(in); !ok || got != want {
			t.Errorf("timeSpanMinutes(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "20", "00:60:00", "24:00:00", "-00:20:00", "00:20:NaN", "00:20:1e1", "1.2.03:00:00", "x.00:00:00", "00:00:00:00", "99999999999.00:00:00"} {
		if got, ok := timeSpanMinutes(bad); ok {
			t.Errorf("timeSpanMinutes(%q) = %d; want refusal", bad, got)
		}
	}
}

func TestParseRefusals(t *testing.T) {
	base := readFixture(t)
	const dtdRefusal = "is not allowed: applicationHost.config has no DTD, and DTDs and entity declarations are refused (XML external entities, entity expansion)"
	deep := "<configuration>" + strings.Repeat("<a>", 100) + strings.Repeat("</a>", 100) + "</configuration>"
	cases := []struct {
		name, in string
		syntax   bool
		msg      string
	}{
		{"billion laughs", `<?xml version="1.0"?>` + "\n" + `<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>` + "\n<configuration>&lol2;</configuration>",
			true, "line 2: <!DOCTYPE> " + dtdRefusal},
		{"external entity", "<!DOCTYPE configuration [<!ENTITY xxe SYSTEM \"file:///c:/windows/win.ini\">]><configuration>&xxe;</configuration>",
			true, "line 1: <!DOCTYPE> " + dtdRefusal},
		{"bare entity declaration", "<configuration><!ENTITY x \"y\"></configuration>", true, "line 1: <!ENTITY> " + dtdRefusal},
		{"undeclared entity", "<configuration>\n<system.webServer>&xxe;</system.webServer></configuration>", true,
			"line 2: malformed XML: invalid character entity &xxe;"},
		{"empty", "", true, `the file is empty: expected the XML file %windir%\System32\inetsrv\config\applicationHost.config`},
		{"whitespace and BOM", "\xef\xbb\xbf \r\n", true, `the file is empty: expected the XML file %windir%\System32\inetsrv\config\applicationHost.config`},
		{"binary junk", "MZ\x90\x00\x03\x00\x00\x00", true, `line 1: binary data (a NUL byte): expected the XML file %windir%\System32\inetsrv\config\applicationHost.config`},
		{"not UTF-8", "<configuration>\xe9\xff</configuration>", true, `the file is not UTF-8 text: expected the XML file %windir%\System32\inetsrv\config\applicationHost.config`},
		{"gzip", "\x1f\x8b\x08\x00", true, "the file is gzip-compressed: decompress it, or upload it with Content-Encoding: gzip"},
		{"oversize", "<configuration>" + strings.Repeat(" ", MaxBytes) + "</configuration>", true,
			"the file is larger than 32 MiB; applicationHost.config is normally under 1 MiB"},
		{"too deep", deep, true, "line 1: elements nested more than 64 deep: not an applicationHost.config"},
		{"truncated", base[:len(base)/2], true, "line 169: the XML ends early (truncated file?)"},
		{"unbalanced tags", "<configuration><system.webServer></configuration>", true,
			"line 1: malformed XML: element <system.webServer> closed by </configuration>"},
		{"not XML", "7214 10:33:05.5409017 AM w3wp.exe 652 QueryOpen", true,
			`no XML element found: expected the XML file %windir%\System32\inetsrv\config\applicationHost.config`},
		{"other encoding", `<?xml version="1.0" encoding="windows-1252"?><configuration/>`, true,
			`line 1: malformed XML: xml: opening charset "windows-1252": unsupported encoding "windows-1252": save the file as UTF-8`},
		{"another root", "<html><body/></html>", true,
			`the root element is <html>, not <configuration>: expected the XML file %windir%\System32\inetsrv\config\applicationHost.config`},
		{"a web.config", "<configuration><system.webServer><security><access sslFlags=\"Ssl\"/></security></system.webServer></configuration>", true,
			`no <sites> section: this is not applicationHost.config (a web.config?); expected the XML file %windir%\System32\inetsrv\config\applicationHost.config`},
		{"no WSUS site", strings.ReplaceAll(strings.ReplaceAll(base, "WSUS Administration", "Intranet"), "ClientWebService", "Intranet2"), false,
			`no WSUS site: no site named "WSUS Administration" and no site with a /ClientWebService application (sites: "Default Web Site", "Intranet")`},
		{"bad boolean", addLocation(t, base, "<location path=\"WSUS Administration/ClientWebService\">\r\n<system.webServer><security><authentication><anonymousAuthentication enabled=\"yes\" /></authentication></security></system.webServer></location>"), false,
			`line 390: anonymousAuthentication enabled="yes" is not true or false`},
		{"bad ssl flag", addLocation(t, base, `<location path="WSUS Administration/Content"><system.webServer><security><access sslFlags="Ssl, RequireEverything" /></security></system.webServer></location>`), false,
			`line 389: access sslFlags="Ssl, RequireEverything": "RequireEverything" is not an IIS SSL flag (None, Ssl, SslNegotiateCert, SslRequireCert, Ssl128)`},
		{"bad time span", replaceOnce(t, base, `<processModel identityType="NetworkService" />`, `<processModel identityType="NetworkService" idleTimeout="20" />`), false,
			`line 75: processModel idleTimeout="20" is not a time span like 00:20:00 or 1.05:00:00`},
		{"bad number", replaceOnce(t, base, `<periodicRestart privateMemory="1843200" />`, `<periodicRestart privateMemory="1.8 GB" />`), false,
			`line 77: recycling/periodicRestart privateMemory="1.8 GB" is not a whole number`},
		{"queue length out of range", replaceOnce(t, base, `startMode="AlwaysRunning">`, `startMode="AlwaysRunning" queueLength="70000">`), false,
			`/app_pool/queue_length: must be at most 65535`},
		{"physical path too long", replaceOnce(t, base, `physicalPath="D:\WSUS\WsusContent"`, `physicalPath="D:\`+strings.Repeat("x", 1100)+`"`), false,
			`/vdir_config/8/physical_path: is 1103 bytes long; at most 1024 allowed`},
		{"site option not found", base, false, `no site named "nope" (sites: "Default Web Site", "WSUS Administration")`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opt := Options{}
			if tc.name == "site option not found" {
				opt.Site = "nope"
			}
			_, err := Parse(strings.NewReader(tc.in), opt)
			var v *probes.ValidationError
			if !errors.As(err, &v) {
				t.Fatalf("err = %v; want a *probes.ValidationError", err)
			}
			got := v.Errors[0].Detail
			if v.Errors[0].Pointer != "" {
				got = v.Errors[0].Pointer + ": " + got
			}
			if v.Syntax != tc.syntax || len(v.Errors) != 1 || got != tc.msg {
				t.Errorf("got syntax=%v %q\nwant syntax=%v %q", v.Syntax, got, tc.syntax, tc.msg)
			}
		})
	}
}

// A reader error (e.g. http.MaxBytesReader's) is returned as it is.
func TestParseReaderError(t *testing.T) {
	boom := errors.New("boom")
	if _, err := Parse(errReader{boom}, Options{}); !errors.Is(err, boom) {
		t.Fatalf("err = %v; want boom", err)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

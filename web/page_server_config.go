package web

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/rules"
	"github.com/wsusfleet/wsusfleet/web/ui"
)

// The server page's configuration sections, each compared with its DESIGN
// §7 reference table.

func serverFacts(s *probes.ServerInfo) []ui.Fact {
	if s == nil || !s.HasFacts() {
		return nil
	}
	var out []ui.Fact
	add := func(label, value string) {
		if value != "" {
			out = append(out, ui.Fact{Label: label, Value: value})
		}
	}
	add("Version", s.Version)
	if s.HTTPPort != 0 || s.HTTPSPort != 0 {
		add("Ports", fmt.Sprintf("HTTP %d · HTTPS %d", s.HTTPPort, s.HTTPSPort))
	}
	add("SSL mode", onOff(s.SSL))
	add("Content folder", s.ContentDir)
	add("Database", s.Database)
	if s.NotDeclinedUpdates != nil {
		v := ui.Count(int64(*s.NotDeclinedUpdates))
		if *s.NotDeclinedUpdates > 7000 {
			v += " (over 7,000: decline superseded updates, run the cleanup wizard, reindex SUSDB)"
		}
		add("Updates not declined", v)
	}
	add("Targeting", s.Targeting)
	return out
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// authView compares each vDir's configuration with §7.1.
func authView(st *probes.ServerState, now time.Time) *ui.AuthView {
	if st.VDirConfig == nil {
		return nil
	}
	v := &ui.AuthView{At: ui.NewStamp(st.Collected[probes.SectionVDirConfig], now), SSL: "unknown"}
	sslKnown := st.Server != nil && st.Server.HasFacts()
	if sslKnown {
		v.SSL = onOff(st.Server.SSL)
	}
	// The anonymous identity must be the same on every vDir (401.1 otherwise).
	users := map[string]int{}
	for _, c := range st.VDirConfig {
		if c.Anonymous {
			users[strings.ToLower(c.AnonymousUser)]++
		}
	}
	usual, most := "", 0
	for u, n := range users {
		if n > most || (n == most && u < usual) {
			usual, most = u, n
		}
	}
	seen := map[string]bool{}
	for _, c := range st.VDirConfig {
		ref, known := probes.LookupVDir(c.VDir)
		seen[ref.Name] = true
		row := ui.AuthRow{VDir: c.VDir, Path: c.PhysicalPath}
		cell := func(value string, bad bool, expected, class string) ui.ConfigCell {
			if !known || !bad {
				return ui.ConfigCell{Value: value}
			}
			v.Mismatches++
			return ui.ConfigCell{Value: value, Expected: expected, Bad: class}
		}
		user := c.AnonymousUser
		if user == "" {
			user = "–"
		}
		wantSSL := sslKnown && st.Server.SSL && ref.SSLInSSL
		sslBad := sslKnown && c.RequireSSL != wantSSL
		certs := c.ClientCerts
		if certs == "" {
			certs = "–"
		}
		row.Cells = []ui.ConfigCell{
			cell(onOff(c.Anonymous), c.Anonymous != ref.Anonymous, onOff(ref.Anonymous), "mismatch"),
			cell(user, c.Anonymous && len(users) > 1 && strings.ToLower(c.AnonymousUser) != usual, "the same on every vDir ("+usual+")", "mismatch-warn"),
			cell(onOff(c.WindowsAuth), c.WindowsAuth != ref.WindowsAuth, onOff(ref.WindowsAuth), "mismatch"),
			{Value: onOff(c.BasicAuth)},
			cell(onOff(c.RequireSSL), sslBad, onOff(wantSSL), "mismatch"),
			cell(certs, c.ClientCerts != "" && c.ClientCerts != "ignore", "ignore", "mismatch"),
			cell(onOff(c.ASPNETImpersonation), c.ASPNETImpersonation, "off", "mismatch"),
			cell(c.AppPool, c.AppPool != "" && !strings.EqualFold(c.AppPool, "WsusPool"), "WsusPool", "mismatch-warn"),
		}
		v.Rows = append(v.Rows, row)
	}
	for _, n := range probes.VDirNames() {
		if !seen[n] {
			v.Missing = append(v.Missing, n)
		}
	}
	return v
}

// poolView compares WsusPool with §7.4.
func poolView(st *probes.ServerState, now time.Time) *ui.PoolView {
	p := st.AppPool
	if p == nil {
		return nil
	}
	v := &ui.PoolView{Name: p.Name, At: ui.NewStamp(st.Collected[probes.SectionAppPool], now)}
	pool := "WsusPool"
	if safeArg.MatchString(p.Name) {
		pool = p.Name
	}
	// PowerShell, like every command the page shows: it does not expand
	// cmd's %windir%.
	appcmd := `& "$env:windir\system32\inetsrv\appcmd.exe" `
	state := ui.SettingRow{Setting: "State", Value: p.State, Recommended: "Started"}
	if p.State != "" && p.State != "Started" && p.State != "Starting" {
		state.Bad = "mismatch"
		state.Command = &ui.Command{ID: "fix-pool-start", Text: appcmd + `start apppool /apppool.name:"` + pool + `"`}
		v.Mismatches++
	}
	v.Rows = append(v.Rows, state, ui.SettingRow{Setting: "Identity", Value: dash(p.Identity), Recommended: "NetworkService"})
	num := func(id, setting string, val *int64, unit string, want, def int64, arg string) {
		row := ui.SettingRow{Setting: setting, Value: "not collected", Recommended: numUnit(want, unit), Default: numUnit(def, unit)}
		if val != nil {
			row.Value = numUnit(*val, unit)
			if *val != want && !(id == "queue" && *val > want) {
				row.Bad = "mismatch-warn"
				row.Command = &ui.Command{ID: "fix-pool-" + id, Text: appcmd + `set apppool /apppool.name:"` + pool + `" ` + arg}
				v.Mismatches++
			}
		}
		v.Rows = append(v.Rows, row)
	}
	num("queue", "Queue Length", p.QueueLength, "", 2000, 1000, "/queueLength:2000")
	num("idle", "Idle Time-out", p.IdleTimeoutMin, "min", 0, 20, "/processModel.idleTimeout:00:00:00")
	ping := ui.SettingRow{Setting: "Ping Enabled", Value: "not collected", Recommended: "off", Default: "on"}
	if p.PingEnabled != nil {
		ping.Value = onOff(*p.PingEnabled)
		if *p.PingEnabled {
			ping.Bad = "mismatch-warn"
			ping.Command = &ui.Command{ID: "fix-pool-ping", Text: appcmd + `set apppool /apppool.name:"` + pool + `" /processModel.pingingEnabled:false`}
			v.Mismatches++
		}
	}
	v.Rows = append(v.Rows, ping)
	num("memory", "Private Memory Limit", p.PrivateMemoryKB, "KB", 0, 1843200, "/recycling.periodicRestart.privateMemory:0")
	num("restart", "Regular Time Interval", p.PeriodicRestartMin, "min", 0, 1740, "/recycling.periodicRestart.time:00:00:00")
	if p.RapidFailProtection != nil {
		v.Rows = append(v.Rows, ui.SettingRow{Setting: "Rapid-Fail Protection", Value: onOff(*p.RapidFailProtection), Recommended: "–", Default: "on"})
	}
	return v
}

func numUnit(n int64, unit string) string {
	s := ui.Count(n)
	if n == 0 && unit != "" {
		return "0 (no limit)"
	}
	if unit != "" {
		s += " " + unit
	}
	return s
}

func dash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

func servicesView(st *probes.ServerState, now time.Time) *ui.ServicesView {
	if st.Services == nil {
		return nil
	}
	v := &ui.ServicesView{At: ui.NewStamp(st.Collected[probes.SectionServices], now)}
	for _, s := range st.Services {
		v.Rows = append(v.Rows, ui.ServiceRow{Name: s.Name, State: s.State, StartType: s.StartType,
			Bad: s.State != "Running" && s.StartType != "Disabled" && s.StartType != "Manual"})
	}
	return v
}

// safeArg matches report values that may be pasted into a command line as
// they are; anything else (quotes, %, &, |, <, >, ^, newlines) is left out
// of the command, which then names a placeholder: a hostile report must not
// be able to smuggle a command into what an admin copies.
var safeArg = regexp.MustCompile(`^[A-Za-z0-9 _.:\\()\-]{1,260}$`)

// aclNeeds is DESIGN §7.5.
var aclNeeds = []struct {
	folder, need, right string
	match               func(path, contentDir string) bool
	read                bool
}{
	{"WsusContent", "Full Control", probes.RightFullControl, func(p, c string) bool {
		return (c != "" && strings.EqualFold(p, c)) || strings.HasSuffix(strings.ToLower(p), `\wsuscontent`)
	}, false},
	{"Temporary ASP.NET Files", "Full Control", probes.RightFullControl, func(p, _ string) bool {
		return strings.Contains(strings.ToLower(p), `\temporary asp.net files`)
	}, false},
	{`%windir%\Temp`, "Full Control", probes.RightFullControl, func(p, _ string) bool {
		return strings.HasSuffix(strings.ToLower(p), `\windows\temp`) || strings.EqualFold(p, `%windir%\temp`)
	}, false},
	{`Update Services\WebServices`, "Read", probes.RightReadAndExecute, func(p, _ string) bool {
		return strings.Contains(strings.ToLower(p), `\update services\webservices`)
	}, true},
}

func isNetworkService(principal string) bool {
	p := strings.ToLower(principal)
	return strings.Contains(p, "network service") || strings.Contains(p, "networkservice")
}

func grants(rights []string, read bool) bool {
	for _, r := range rights {
		r = strings.ToLower(strings.ReplaceAll(r, " ", ""))
		if r == "fullcontrol" || r == "f" || r == "genericall" {
			return true
		}
		if read && slices.Contains([]string{"read", "readandexecute", "modify", "r", "rx", "m", "genericread", "genericexecute"}, r) {
			return true
		}
	}
	return false
}

// aclView checks the folders NETWORK SERVICE needs (§7.5).
func aclView(st *probes.ServerState, now time.Time) *ui.ACLView {
	if st.ACLs == nil {
		return nil
	}
	v := &ui.ACLView{At: ui.NewStamp(st.Collected[probes.SectionACLs], now)}
	contentDir := ""
	if st.Server != nil {
		contentDir = st.Server.ContentDir
	}
	for i, n := range aclNeeds {
		need := ui.ACLNeed{Folder: n.folder, Need: n.need, State: "unknown", Found: "folder not in the collected ACLs"}
		var rights []string
		denied := false
		for _, e := range st.ACLs {
			if !n.match(e.Path, contentDir) {
				continue
			}
			need.Path = e.Path
			if need.State == "unknown" {
				need.State, need.Found = "missing", "no entry for NETWORK SERVICE"
			}
			if isNetworkService(e.Principal) {
				if e.Type == "Deny" {
					denied = true
				} else {
					rights = append(rights, e.Rights...)
				}
			}
		}
		switch {
		case denied:
			need.State, need.Found = "missing", "a Deny entry for NETWORK SERVICE"
		case need.State == "missing" && grants(rights, n.read):
			need.State, need.Found = "ok", strings.Join(rights, ", ")
		case len(rights) > 0:
			need.Found = strings.Join(rights, ", ") + " (not enough)"
		}
		if need.State == "missing" {
			// The rules' grant: NETWORK SERVICE by its SID (names differ by
			// language), the path quoted for PowerShell or left out.
			if step := probes.GrantCommand(need.Path, n.right); step.Command != "" {
				need.Command = &ui.Command{ID: "fix-acl-" + strconv.Itoa(i), Text: step.Command}
			} else {
				need.Found += "; grant it in Properties > Security: this path cannot be put in a command safely"
			}
		}
		v.Required = append(v.Required, need)
	}
	for _, e := range st.ACLs {
		typ := e.Type
		if typ == "" {
			typ = "Allow"
		}
		v.Entries = append(v.Entries, ui.ACLRow{Path: e.Path, Principal: e.Principal, Rights: strings.Join(e.Rights, ", "), Type: typ,
			Inherited: e.Inherited, Deny: typ == "Deny"})
	}
	return v
}

func denialsView(st *probes.ServerState, now time.Time) ui.DenialsView {
	name := st.Name
	if !safeArg.MatchString(name) || strings.ContainsAny(name, " ()") {
		name = "<server>"
	}
	v := ui.DenialsView{}
	if d := st.Denials; d != nil {
		v.ProcMon = &ui.ProcMonView{At: ui.NewStamp(st.Collected[probes.SectionDenials], now), Rows: d.Rows, Denied: d.Denied, Kept: d.Kept}
		seen := map[string]bool{}
		for i, g := range d.Groups {
			v.ProcMon.Groups = append(v.ProcMon.Groups, ui.DenialRow{Process: g.Process, Operation: g.Operation, Path: g.Path, Count: g.Count,
				Span: strings.TrimSpace(g.First + " – " + g.Last), Right: g.Right})
			for _, step := range g.Remediation {
				// The digest's restart does not know this server's services:
				// one reported Disabled is set to its usual start type first.
				step = rules.Startable(step, st.Services)
				if step.Command != "" && !seen[step.Command] {
					seen[step.Command] = true
					v.ProcMon.Fixes = append(v.ProcMon.Fixes, ui.Command{ID: fmt.Sprintf("cmd-denial-%d-%d", i, len(v.ProcMon.Fixes)), Text: step.Command})
				}
			}
		}
		for _, o := range d.OtherProcesses {
			v.ProcMon.Others = append(v.ProcMon.Others, fmt.Sprintf("%s ×%d", o.Process, o.Count))
		}
	}
	if l := st.IISLog; l != nil {
		v.IISLog = &ui.IISLogView{File: l.File, At: ui.NewStamp(l.Last.Time, now), Lines: l.Lines, Skipped: l.Skipped, Other: l.Other,
			First: ui.NewStamp(l.First.Time, now), Last: ui.NewStamp(l.Last.Time, now)}
		for _, t := range l.Totals {
			if t.Status < 400 {
				continue
			}
			row := ui.IISLogRow{VDir: t.VDir, Status: t.StatusText(), Requests: t.Requests, WUA: t.WUA, MaxMS: t.MaxMS, LastHour: ui.NewStamp(t.LastHour.Time, now)}
			for _, f := range l.TopClients {
				if f.VDir == t.VDir && f.StatusText() == t.StatusText() {
					row.Clients = f.Clients
					for _, c := range f.Top {
						row.Top = append(row.Top, c.IP)
					}
				}
			}
			v.IISLog.Faults = append(v.IISLog.Faults, row)
		}
	}
	if v.ProcMon == nil {
		v.Upload = append(v.Upload, ui.Command{ID: "cmd-upload-procmon", Text: "wsusfleet upload --server " + name + " --kind procmon denied.csv"})
	}
	if v.IISLog == nil {
		v.Upload = append(v.Upload, ui.Command{ID: "cmd-upload-iislog", Text: "wsusfleet upload --server " + name + ` --kind iislog C:\inetpub\logs\LogFiles\W3SVC1\u_ex*.log`})
	}
	return v
}

// eventMeanings is DESIGN §7.3; the IDs marked "reported" are the widely
// used mapping Microsoft has not confirmed.
var eventMeanings = map[int]string{
	12072: "The WSUS content directory is not accessible (the content folder or its permissions; a 503 in the text means the pool)",
	12002: "The Reporting Web Service is not working",
	12012: "API Remoting Web Service (reported mapping, not confirmed by Microsoft)",
	12022: "Client Web Service (reported mapping, not confirmed by Microsoft)",
	12032: "Server Synchronization Web Service (reported mapping, not confirmed by Microsoft)",
	12042: "SimpleAuth Web Service (reported mapping, not confirmed by Microsoft)",
	12052: "DSS Authentication Web Service (reported mapping, not confirmed by Microsoft)",
	506:   "The SelfUpdate tree is not working",
	507:   "Update Services failed its initialization and stopped",
	7053:  "Console error (with 500.24: ASP.NET impersonation)",
	364:   "Content download failed",
}

func eventsView(st *probes.ServerState, now time.Time) *ui.EventsView {
	if st.Events == nil {
		return nil
	}
	v := &ui.EventsView{At: ui.NewStamp(st.Collected[probes.SectionEvents], now)}
	events := slices.Clone(st.Events)
	slices.SortStableFunc(events, func(a, b probes.Event) int { return b.Time.Compare(a.Time.Time) })
	for _, e := range events {
		class := "info"
		switch e.Level {
		case "Critical", "Error":
			class = "critical"
		case "Warning":
			class = "warning"
		}
		v.Rows = append(v.Rows, ui.EventRow{At: ui.NewStamp(e.Time.Time, now), ID: strconv.Itoa(e.ID), Level: e.Level, Class: class,
			Source: e.Source, Message: e.Message, Meaning: eventMeanings[e.ID]})
	}
	return v
}

func syncView(st *probes.ServerState, now time.Time) *ui.SyncView {
	s := st.Sync
	if s == nil {
		return nil
	}
	v := &ui.SyncView{At: ui.NewStamp(st.Collected[probes.SectionSync], now), From: "Microsoft Update", Last: syncCell(s, now)}
	if s.Upstream != nil {
		u := s.Upstream
		scheme := "http"
		if u.SSL {
			scheme = "https"
		}
		v.From = fmt.Sprintf("%s://%s:%d", scheme, u.Host, u.Port)
		v.Upstream = v.From
		v.Mode = "autonomous"
		if u.Replica {
			v.Mode = "replica"
		}
	}
	if s.Last != nil {
		v.Started, v.Finished, v.Error = ui.NewStamp(s.Last.StartedAt.Time, now), ui.NewStamp(s.Last.FinishedAt.Time, now), s.Last.Error
		if !s.Last.StartedAt.IsZero() && s.Last.FinishedAt.After(s.Last.StartedAt.Time) {
			v.Duration = humanDuration(s.Last.FinishedAt.Sub(s.Last.StartedAt.Time))
		}
	}
	return v
}

// humanDuration: "35 s", "4 min 10 s", "2 h 5 min".
func humanDuration(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		if s := int(d.Seconds()) % 60; s != 0 {
			return fmt.Sprintf("%d min %d s", int(d.Minutes()), s)
		}
		return fmt.Sprintf("%d min", int(d.Minutes()))
	}
	return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
}

package web

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/web/ui"
)

// A fix plan is every open root cause of one server, in the order to fix
// them (the findings' causal order), each with its steps. A finding another
// one explains is left out: fixing its cause fixes it. A step two causes
// share (a generic "probe again") is listed once, at its first place.

// planCause is one root cause and the steps that fix it.
type planCause struct {
	finding probes.Finding
	steps   []probes.Step
}

// fixPlan picks the root causes among fs (ordered root cause first):
// warnings and worse not explained by another open finding of the server,
// its client-gap categories only when gapsCount (they raise its status).
func fixPlan(fs []probes.Finding, gapsCount bool) []planCause {
	open := map[string]bool{}
	for _, f := range fs {
		open[f.Rule] = true
	}
	seen := map[string]bool{}
	var out []planCause
	for _, f := range fs {
		if probes.SeverityRank(f.Severity) < probes.SeverityRank(probes.SeverityWarning) {
			continue
		}
		if f.Cause != "" && f.CauseServer == "" && open[f.Cause] {
			continue // explained here: its cause is in the plan
		}
		if !gapsCount && slices.Contains(probes.GapCategories(), f.Rule) {
			continue // a few clients in a gap: on the page, not in the plan
		}
		c := planCause{finding: f}
		for _, s := range f.Remediation {
			key := s.Text + "\x00" + s.Command
			if seen[key] {
				continue
			}
			seen[key] = true
			c.steps = append(c.steps, s)
		}
		out = append(out, c)
	}
	return out
}

// why says why a cause is in the plan: its summary, or its first evidence.
func why(f probes.Finding) string {
	if f.Summary != "" {
		return f.Summary
	}
	if len(f.Evidence) > 0 {
		return f.Evidence[0].Fact
	}
	return ""
}

// fixPlanView is the plan as the server page shows it.
func fixPlanView(server string, plan []planCause, fs []probes.Finding) ui.FixPlanView {
	v := ui.FixPlanView{ScriptHref: templ.SafeURL(string(serverHref(server)) + "/fix-plan.ps1")}
	for i, c := range plan {
		f := c.finding
		pc := ui.PlanCause{Title: f.Title, Rule: f.Rule, Severity: f.Severity, Subject: f.Subject, Why: why(f),
			Href: templ.SafeURL("#" + ui.FindingID(f.Rule, f.Subject)), Explains: len(f.Explains)}
		if f.CauseServer != "" {
			pc.Elsewhere = &ui.Link{Label: f.CauseServer, Href: serverHref(f.CauseServer)}
		}
		for _, ref := range f.Explains { // what fixing it clears, by title
			for _, g := range fs {
				if ref.Server == "" && g.Rule == ref.Rule && g.Subject == ref.Subject {
					pc.Clears = append(pc.Clears, ui.Link{Label: g.Title, Href: templ.SafeURL("#" + ui.FindingID(g.Rule, g.Subject))})
				}
			}
		}
		for j, s := range c.steps {
			step := ui.StepRow{Text: s.Text}
			if s.Command != "" {
				step.Command = &ui.Command{ID: fmt.Sprintf("plan-%d-%d", i+1, j+1), Text: s.Command}
				v.Commands++
			}
			pc.Steps = append(pc.Steps, step)
		}
		v.Causes = append(v.Causes, pc)
	}
	return v
}

// fixPlanScript is GET /servers/{name}/fix-plan.ps1: the plan as a
// PowerShell script to review and run on the server, elevated.
func (a *app) fixPlanScript(w http.ResponseWriter, r *http.Request) error {
	st, err := a.serverState(r)
	if err != nil {
		return err
	}
	h := healthOf(st.Status, st.ClientSummary.Total, st.Gaps, st.Findings, nil, a.gapShare())
	body := planScript(st.Name, fixPlan(st.Findings, h.Counts), a.now(), a.cfg.Version)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+scriptFileName(st.Name)+`"`)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, err = w.Write([]byte(body))
	return err
}

// scriptFileName is "fix-plan-<server>.ps1" with only safe characters.
func scriptFileName(server string) string {
	var b strings.Builder
	for _, c := range server {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '-':
			b.WriteRune(c)
		default:
			b.WriteByte('_')
		}
	}
	return "fix-plan-" + b.String() + ".ps1"
}

// planScript writes the plan as PowerShell: every step commented with what
// it does and why, commands in order. A Command Prompt step stays a comment
// (its quoting and %variables% are not PowerShell's), to be run in cmd.exe.
// Titles, reasons and step texts reach the script only as comments, one
// line each; the commands are the findings' own, as the server page shows
// them to copy.
func planScript(server string, plan []planCause, now time.Time, version string) string {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	comment := func(prefix, text string) {
		for _, l := range strings.Split(strings.TrimSpace(text), "\n") {
			line("# %s%s", prefix, commentSafe(l))
			prefix = strings.Repeat(" ", len(prefix))
		}
	}
	line("#Requires -RunAsAdministrator")
	comment("", "Fix plan for "+server+", written by wsusfleet "+version+" on "+now.UTC().Format("2006-01-02 15:04 UTC")+".")
	comment("", "Review it first. Run it on the WSUS server in an elevated PowerShell, or step by step,")
	comment("", "and let the dashboard probe again before the next cause: fixing one often clears the ones after it.")
	line("$ErrorActionPreference = 'Stop'")
	line("")
	if len(plan) == 0 {
		comment("", "No open root cause: nothing to do.")
		return b.String()
	}
	comment("", "Root causes, in the order to fix them:")
	for i, c := range plan {
		comment(fmt.Sprintf("  %d. ", i+1), c.finding.Title+" ("+c.finding.Rule+")")
	}
	for i, c := range plan {
		f := c.finding
		line("")
		line("# %s", strings.Repeat("=", 76))
		comment(fmt.Sprintf("%d. ", i+1), f.Title)
		if w := why(f); w != "" {
			comment("   Why: ", w)
		}
		if n := len(f.Explains); n > 0 {
			comment("   ", "Fixing it should also clear "+probes.Plural(n, "finding", "findings")+" it explains.")
		}
		if f.CauseServer != "" {
			comment("   ", "Caused on "+f.CauseServer+": fix that server first.")
		}
		if len(c.steps) == 0 {
			comment("   ", "Its steps are above.")
		}
		for j, s := range c.steps {
			line("")
			comment(fmt.Sprintf("Step %d.%d: ", i+1, j+1), s.Text)
			switch {
			case s.Command == "":
			case s.InShell() == probes.ShellCmd:
				comment("   ", "Run this in an elevated Command Prompt (cmd.exe), not in PowerShell:")
				comment("     ", s.Command)
			default:
				line("%s", strings.TrimRight(s.Command, "\r\n"))
			}
		}
	}
	return b.String()
}

// commentSafe keeps a line a comment: no line breaks, and no "#>" that a
// block comment could end on (a line comment has none, but be plain).
func commentSafe(s string) string {
	s = strings.NewReplacer("\r", " ", "\n", " ", "\u2028", " ", "\u2029", " ").Replace(s)
	return strings.TrimRight(s, " ")
}

// fleetPlan groups every server's root causes by rule and subject, the
// server-wide ones first, then the client-gap categories, each the most
// severe first (a stopped pool before a bloated catalog on more servers),
// then the most widespread: "12 servers: enable anonymous authentication on
// ClientWebService". The steps shown are the first server's (each server's
// page has its own, with its own paths and names).
func fleetPlan(fleet []probes.FleetRow, open []probes.ServerFinding, health map[string]serverHealth) []ui.FleetCause {
	byServer := map[string][]probes.Finding{}
	for _, f := range open {
		byServer[f.Server] = append(byServer[f.Server], f.Finding)
	}
	type key struct{ rule, subject string }
	var order []key
	groups := map[key]*ui.FleetCause{}
	for _, row := range fleet {
		fs := byServer[row.Name]
		probes.OrderFindings(fs, func(f probes.Finding) int64 { return row.Gaps[f.Rule] })
		for _, c := range fixPlan(fs, health[row.Name].Counts) {
			f := c.finding
			k := key{f.Rule, f.Subject}
			g := groups[k]
			if g == nil {
				g = &ui.FleetCause{Rule: f.Rule, Subject: f.Subject, Title: f.Title, Severity: f.Severity, Action: f.Title}
				if len(f.Remediation) > 0 {
					g.Action = strings.TrimSuffix(f.Remediation[0].Text, ".")
				}
				for j, s := range f.Remediation {
					step := ui.StepRow{Text: s.Text}
					if s.Command != "" {
						step.Command = &ui.Command{ID: fmt.Sprintf("fleet-%d-%d", len(order)+1, j+1), Text: s.Command}
					}
					g.Steps = append(g.Steps, step)
				}
				groups[k] = g
				order = append(order, k)
			}
			g.Severity = worse(g.Severity, f.Severity)
			g.Servers = append(g.Servers, ui.Link{Label: row.Name, Href: templ.SafeURL(string(serverHref(row.Name)) + "#plan")})
		}
	}
	out := make([]ui.FleetCause, 0, len(order))
	for _, k := range order {
		out = append(out, *groups[k])
	}
	gap := func(c ui.FleetCause) int { // server-wide causes before client-gap categories
		if slices.Contains(probes.GapCategories(), c.Rule) {
			return 1
		}
		return 0
	}
	slices.SortStableFunc(out, func(x, y ui.FleetCause) int {
		return cmp.Or(cmp.Compare(gap(x), gap(y)), -cmp.Compare(probes.SeverityRank(x.Severity), probes.SeverityRank(y.Severity)),
			-cmp.Compare(len(x.Servers), len(y.Servers)))
	})
	return out
}

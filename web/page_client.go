package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/evidence"
	"github.com/wsusfleet/wsusfleet/web/ui"
)

// clientPage is GET /clients/{name}: why the computer does not report and
// what to do, then what each source says of it. A computer nothing is known
// of answers 404 with the form to paste its evidence.
func (a *app) clientPage(w http.ResponseWriter, r *http.Request) error {
	name, err := clientName(r)
	if err != nil {
		return err
	}
	v, status, err := a.clientPageView(r, name)
	if err != nil {
		return err
	}
	return a.render(w, r, status, ui.ClientPage(v))
}

// clientPageView builds the page; status is 404 for an unknown computer.
func (a *app) clientPageView(r *http.Request, name string) (ui.ClientPageView, int, error) {
	now := a.now()
	v := ui.ClientPageView{Layout: a.layout(r, name, ""), Name: name, Form: a.evidenceForm(r, evidence.SideClient, name)}
	d, err := a.clientDetail(r.Context(), name)
	if errors.Is(err, probes.ErrNotFound) {
		v.Fix.About = "Nothing is known of this computer yet: no server lists it, and no report, evidence or inventory names it."
		return v, http.StatusNotFound, nil
	}
	if err != nil {
		return v, 0, err
	}
	if d.Server != "" {
		v.Server, v.ServerHref = d.Server, serverHref(d.Server)
	}
	if g := d.Gap; g != nil {
		v.Gap = &ui.ClientGapBox{Category: g.Category, Label: gapLabel(g.Category), Class: gapClass(g.Category), Detail: g.Detail, Since: ui.StampOf(g.Since, now)}
	}
	if c := d.Cause; c != nil {
		v.Cause = &ui.ClientCause{Title: c.Title, Rule: c.Rule, Severity: c.Severity, Href: serverHref(c.Server) + "#findings"}
	}
	v.Fix.About = d.Fix.About
	for i, s := range d.Fix.Steps {
		step := ui.StepRow{Text: s.Text}
		if s.Command != "" {
			step.Command = &ui.Command{ID: fmt.Sprintf("client-fix-%d", i+1), Text: s.Command}
		}
		v.Fix.Steps = append(v.Fix.Steps, step)
	}
	for _, e := range d.Errors {
		row := ui.ClientErrorRow{At: ui.NewStamp(e.Time, now), Operation: e.Operation, Code: e.Code, Count: e.Count, Src: e.Source, Message: e.Message}
		if e.HTTPStatus != 0 {
			row.HTTP = strconv.Itoa(e.HTTPStatus)
		}
		if k := e.Known; k != nil {
			row.Name, row.Meaning, row.Cause = k.Name, k.Meaning, k.Cause
		}
		if x := e.ExplainedBy; x != nil {
			row.Explained, row.ExplainedHref = x.Title, serverHref(x.Server)+"#findings"
		}
		v.Errors = append(v.Errors, row)
	}
	for _, l := range d.Listings {
		v.Listings = append(v.Listings, ui.ClientListingRow{Server: l.Server, Href: serverHref(l.Server), SyncResult: l.LastSyncResult,
			Groups: strings.Join(l.Groups, ", "), IP: l.IP, OS: l.OS, Gap: l.Gap, GapClass: gapClass(l.Gap), GapDetail: l.GapDetail,
			LastSync: ui.StampOf(l.LastSync.Ptr(), now), LastReport: ui.StampOf(l.LastReport.Ptr(), now), FirstSeen: ui.NewStamp(l.FirstSeen, now),
			Removed: ui.StampOf(l.RemovedAt, now)})
	}
	if rep := d.Report; rep != nil {
		v.Policy = policyView(rep, now)
		for _, c := range rep.VDirChecks {
			v.Checks = append(v.Checks, ui.ClientCheckRow{VDir: c.VDir, URL: c.URL, Status: c.StatusText(), Verdict: c.Verdict, Reason: c.Reason})
		}
	}
	if l := d.Log; l != nil {
		v.Log = logView(l, now)
	}
	for _, e := range d.Evidence {
		v.Evidence = append(v.Evidence, ui.ClientEvidenceItem{Kind: e.Kind, Format: e.Format, File: e.File, Gap: e.Gap, Received: ui.NewStamp(e.ReceivedAt, now),
			Judged: e.Judged, Changed: e.Changed, Missing: e.Missing, Notes: e.Notes})
	}
	for _, h := range d.History {
		v.History = append(v.History, ui.ClientHistoryRow{At: ui.NewStamp(h.At, now), What: h.What})
	}
	if inv := d.Inventory; inv != nil {
		enabled := "disabled"
		if inv.Enabled {
			enabled = "enabled"
		}
		v.Inventory = []ui.Fact{{Label: "Directory", Value: enabled + ", " + inv.OU}}
	}
	return v, http.StatusOK, nil
}

func gapLabel(category string) string {
	if info, ok := gapInfo[category]; ok {
		return info.label
	}
	return category
}

// policyView lists the client's policy values; the ones its gap is about
// are marked.
func policyView(rep *probes.ClientOwnView, now time.Time) *ui.ClientPolicyView {
	c := rep.Client
	p := &ui.ClientPolicyView{Source: rep.Source, At: ui.NewStamp(rep.CollectedAt, now), Verdict: "Policy fine", VerdictClass: "ok", Detail: rep.PolicyDetail}
	if rep.Policy != "" {
		p.Verdict, p.VerdictClass = gapLabel(rep.Policy), gapClass(rep.Policy)
	}
	bad := func(names ...string) bool {
		for _, n := range names {
			if strings.Contains(rep.PolicyDetail, n) {
				return true
			}
		}
		return false
	}
	flag := func(b *bool) string {
		switch {
		case b == nil:
			return "not set"
		case *b:
			return "1"
		}
		return "0"
	}
	num := func(n *int) string {
		if n == nil {
			return "not set"
		}
		return strconv.Itoa(*n)
	}
	str := func(s string) string {
		if s == "" {
			return "not set"
		}
		return s
	}
	p.Rows = []ui.PolicyRow{
		{Label: "WUServer", Value: str(c.WUServer), Bad: rep.Policy == probes.GapBadURL || rep.Policy == probes.GapWrongServer},
		{Label: "WUStatusServer", Value: str(c.WUStatusServer), Bad: bad("WUStatusServer")},
		{Label: "UseWUServer", Value: flag(c.UseWUServer), Bad: bad("UseWUServer")},
		{Label: "AUOptions", Value: num(c.AUOptions), Bad: bad("AUOptions")},
		{Label: "NoAutoUpdate", Value: flag(c.NoAutoUpdate), Bad: bad("NoAutoUpdate")},
		{Label: "TargetGroup", Value: str(c.TargetGroup) + " (TargetGroupEnabled " + flag(c.TargetGroupEnabled) + ")"},
		{Label: "DetectionFrequency (hours)", Value: num(c.DetectionFrequencyH)},
		{Label: "DoNotConnectToWindowsUpdateInternetLocations", Value: flag(c.DoNotConnectToWUInternet)},
		{Label: "SusClientId", Value: str(c.SusClientID)},
	}
	if c.UpdateServiceAlternate != "" {
		p.Rows = append(p.Rows, ui.PolicyRow{Label: "UpdateServiceUrlAlternate", Value: c.UpdateServiceAlternate})
	}
	if c.SetProxyBehavior != nil {
		p.Rows = append(p.Rows, ui.PolicyRow{Label: "SetProxyBehaviorForUpdateDetection", Value: num(c.SetProxyBehavior)})
	}
	if c.WinHTTPProxy != "" {
		p.Rows = append(p.Rows, ui.PolicyRow{Label: "WinHTTP proxy", Value: c.WinHTTPProxy})
	}
	if s := c.Services; s != nil {
		p.Rows = append(p.Rows, ui.PolicyRow{Label: "Services", Value: fmt.Sprintf("wuauserv %s %s, BITS %s %s", str(s.WUAUServ), s.WUAUServStart, str(s.BITS), s.BITSStart),
			Bad: bad("service is disabled")})
	}
	if d := c.DualScan; d != nil {
		p.Rows = append(p.Rows, ui.PolicyRow{Label: "Deferrals (dual scan)", Value: fmt.Sprintf("DeferQualityUpdates %s, DeferFeatureUpdates %s, DisableDualScan %s",
			flag(d.DeferQualityUpdates), flag(d.DeferFeatureUpdates), flag(d.DisableDualScan))})
	}
	if u := c.UpdateSource; u != nil {
		p.Rows = append(p.Rows, ui.PolicyRow{Label: "Update source per class (1 = WSUS)", Value: fmt.Sprintf("in effect %s; feature %s, quality %s, driver %s, other %s",
			flag(u.UseUpdateClassPolicySource), num(u.FeatureUpdates), num(u.QualityUpdates), num(u.DriverUpdates), num(u.OtherUpdates))})
	}
	return p
}

// logView is what the client's WindowsUpdate.log says.
func logView(l *probes.WULogDigest, now time.Time) *ui.ClientLogView {
	setting := func(s *probes.WULogSetting) string {
		if s == nil {
			return "not in the log"
		}
		return s.Value + " (line " + strconv.FormatInt(s.Line, 10) + ")"
	}
	v := &ui.ClientLogView{Format: l.Format, TimeZone: l.TimeZone, Server: setting(l.Server), StatusServer: setting(l.StatusServer), Service: setting(l.Service),
		Proxy: setting(l.Proxy), Version: l.ClientVersion, First: ui.NewStamp(l.First, now), Last: ui.NewStamp(l.Last, now)}
	if l.Server != nil && l.Server.Value == probes.WULogNull {
		v.Server = "<NULL>: the agent used no WSUS server (the WSUS policy was not applied then)"
	}
	for i := len(l.Attempts) - 1; i >= 0 && len(v.Attempts) < 15; i-- {
		a := l.Attempts[i]
		v.Attempts = append(v.Attempts, ui.AttemptRow{Operation: a.Operation, Code: a.Code, Detail: a.Detail, OK: a.OK, At: ui.NewStamp(a.At, now)})
	}
	return v
}

package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/web/ui"
)

// alertsPage shows the open alerts and the delivery history (GET /alerts).
func (a *app) alertsPage(w http.ResponseWriter, r *http.Request) error {
	q, err := deliveryQuery(r)
	if err != nil {
		return err
	}
	q.Limit = 50
	alerts, err := a.store.Alerts(r.Context())
	if err != nil {
		return err
	}
	hist, err := a.store.Deliveries(r.Context(), q)
	if err != nil {
		return err
	}
	chans, err := a.store.Notifiers(r.Context())
	if err != nil {
		return err
	}
	now := a.now()
	s := sessionOf(r)
	v := ui.AlertsView{Layout: a.layout(r, "Alerts", ui.NavAlerts), State: q.State, CanAck: s.allows(probes.ScopeAdmin), Channels: len(chans)}
	if v.CanAck {
		v.Settings = "/settings/alerts"
	}
	for _, st := range append([]string{"all"}, deliveryStates...) {
		href := "/alerts"
		if st != "all" {
			href += "?state=" + st
		}
		v.States = append(v.States, ui.Link{Label: st, Href: templ.SafeURL(href)})
	}
	for _, al := range alerts {
		row := ui.AlertRow{ID: al.ID, State: al.State, Severity: al.Severity, Server: al.Server, Rule: al.Rule, Title: al.Title,
			Explains: al.Message.Explains.Summary, Judgements: al.Judgements, Opened: ui.NewStamp(al.OpenedAt, now),
			Resolved: ui.StampOf(al.ResolvedAt, now), Muted: al.Muted, Acked: al.AckedBy}
		if al.Server != "" {
			row.ServerHref = serverHref(al.Server)
		}
		if v.CanAck && al.State == probes.AlertFiring && al.AckedAt == nil {
			row.Ack = templ.SafeURL("/alerts/" + strconv.FormatInt(al.ID, 10) + "/ack")
		}
		v.Alerts = append(v.Alerts, row)
	}
	for _, d := range hist {
		event := d.Event
		switch {
		case d.Test:
			event = "test"
		case d.Reminder:
			event = "reminder"
		}
		v.Deliveries = append(v.Deliveries, ui.DeliveryRow{ID: d.ID, Created: ui.NewStamp(d.CreatedAt, now), Channel: d.Channel, Kind: d.Kind,
			Event: event, Server: d.Server, Severity: d.Severity, Title: d.Title, State: d.State, Attempts: d.Attempts, Answer: d.Answer,
			Next: ui.StampOf(d.NextAttempt, now)})
	}
	if len(hist) == q.Limit {
		more := url.Values{"before": {strconv.FormatInt(hist[len(hist)-1].ID, 10)}}
		if q.State != "" {
			more.Set("state", q.State)
		}
		v.More = templ.SafeURL("/alerts?" + more.Encode())
	}
	return a.render(w, r, http.StatusOK, ui.AlertsPage(v))
}

// ackAlertForm acknowledges an alert from /alerts.
func (a *app) ackAlertForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := a.checkCSRF(r, sessionOf(r)); err != nil {
		return err
	}
	id, err := idParam(r, "alert")
	if err != nil {
		return err
	}
	if err := a.store.AckAlert(r.Context(), id, who(r)); err != nil {
		return err
	}
	http.Redirect(w, r, "/alerts", http.StatusSeeOther)
	return nil
}

// alertSettingsPage shows channels, routes, silences, windows and settings
// (GET /settings/alerts, admin).
func (a *app) alertSettingsPage(w http.ResponseWriter, r *http.Request) error {
	v, err := a.alertSettingsView(r)
	if err != nil {
		return err
	}
	v.Notice = settingsNotices[r.URL.Query().Get("done")]
	return a.render(w, r, http.StatusOK, ui.AlertSettingsPage(v))
}

// settingsNotices are what the page says after a change (by the done parameter).
var settingsNotices = map[string]string{
	"notifiers": "The channel was added. Send it a test to see it works.", "routes": "The route was added.",
	"silences": "The silence is in force.", "windows": "The maintenance window was added.", "settings": "The settings were saved.",
	"deleted": "Deleted.", "expired": "The silence ended.", "updated": "The channel was saved.",
	"routes-updated": "The route was saved.", "silences-updated": "The silence was changed.", "windows-updated": "The maintenance window was saved.",
}

// settingsAnchors bring the page back to the section that changed.
var settingsAnchors = map[string]string{"notifiers": "#channels", "routes": "#routes", "silences": "#silences", "windows": "#windows", "settings": "#settings", "expired": "#silences", "updated": "#channels",
	"routes-updated": "#routes", "silences-updated": "#silences", "windows-updated": "#windows"}

func (a *app) alertSettingsView(r *http.Request) (ui.AlertSettingsView, error) {
	ctx := r.Context()
	now := a.now()
	v := ui.AlertSettingsView{Layout: a.layout(r, "Alert settings", ui.NavAlerts), Kinds: probes.NotifierKinds(),
		Security: []string{probes.SMTPStartTLS, probes.SMTPTLS, probes.SMTPNone}, Severities: []string{probes.SeverityWarning, probes.SeverityCritical},
		Everies: []string{probes.EveryMonth, probes.EveryWeek, probes.EveryDay}}
	for d := time.Monday; d <= time.Saturday; d++ {
		v.Weekdays = append(v.Weekdays, d.String())
	}
	v.Weekdays = append(v.Weekdays, time.Sunday.String())
	chans, err := a.store.Notifiers(ctx)
	if err != nil {
		return v, err
	}
	names := map[int64]string{}
	for _, c := range chans {
		base := "/settings/alerts/notifiers/" + strconv.FormatInt(c.ID, 10)
		names[c.ID] = c.Name
		row := ui.ChannelRow{ID: c.ID, Name: c.Name, Kind: c.Kind, Target: c.Target, HasSecret: c.HasSecret,
			Created: ui.NewStamp(c.CreatedAt, now), CreatedBy: c.CreatedBy, Test: templ.SafeURL(base + "/test"), Delete: templ.SafeURL(base + "/delete"),
			Update: templ.SafeURL(base + "/update")}
		if m := c.Email; m != nil {
			row.Email = &ui.EmailForm{Host: m.Host, Port: strconv.Itoa(m.Port), Security: m.Security, Username: m.Username, From: m.From, To: strings.Join(m.To, ", ")}
		}
		v.Channels = append(v.Channels, row)
	}
	routes, err := a.store.AlertRoutes(ctx)
	if err != nil {
		return v, err
	}
	for _, rt := range routes {
		base := "/settings/alerts/routes/" + strconv.FormatInt(rt.ID, 10)
		v.Routes = append(v.Routes, ui.RouteRow{ID: rt.ID, Notifier: rt.Notifier, Channel: names[rt.Notifier], MinSeverity: rt.MinSeverity, Server: rt.Server, Rule: rt.Rule,
			Delete: templ.SafeURL(base + "/delete"), Update: templ.SafeURL(base + "/update")})
	}
	sls, err := a.store.Silences(ctx)
	if err != nil {
		return v, err
	}
	for _, s := range sls {
		base := "/settings/alerts/silences/" + strconv.FormatInt(s.ID, 10)
		v.Silences = append(v.Silences, ui.SilenceRow{ID: s.ID, Server: s.Server, Rule: s.Rule, Reason: s.Reason, By: s.CreatedBy, Until: ui.NewStamp(s.Until.Time, now),
			Active: s.Until.After(now), Expire: templ.SafeURL(base + "/expire"), Update: templ.SafeURL(base + "/update")})
	}
	wins, err := a.store.MaintenanceWindows(ctx)
	if err != nil {
		return v, err
	}
	for _, win := range wins {
		start, _, on := win.Occurrence(now)
		base := "/settings/alerts/windows/" + strconv.FormatInt(win.ID, 10)
		v.Windows = append(v.Windows, ui.WindowRow{ID: win.ID, Name: win.Name, Server: win.Server, When: win.Describe(), Next: ui.NewStamp(start, now), On: on,
			Every: win.Every, Weekday: win.Weekday, Week: win.Week, Start: win.Start, Duration: win.Duration, TimeZone: win.TimeZone,
			Delete: templ.SafeURL(base + "/delete"), Update: templ.SafeURL(base + "/update")})
	}
	cfg, err := a.store.AlertSettings(ctx)
	if err != nil {
		return v, err
	}
	v.Settings = ui.SettingsForm{FailureThreshold: cfg.FailureThreshold, SuccessThreshold: cfg.SuccessThreshold, Reminder: cfg.ReminderInterval,
		RetryAfter: cfg.RetryAfter, GiveUpAfter: cfg.GiveUpAfter, GapThresholds: formatThresholds(cfg.GapThresholds)}
	return v, nil
}

// formatThresholds writes gap thresholds one per line, as the form reads them.
func formatThresholds(ths []probes.GapThreshold) string {
	var b strings.Builder
	for _, g := range ths {
		fmt.Fprintf(&b, "%s %s %d %g%% %s\n", g.Category, g.Scope, g.MinCount, g.MinShare, g.Severity)
	}
	return b.String()
}

// parseThresholds reads the form's lines: category scope count share% severity.
func parseThresholds(text string) ([]probes.GapThreshold, error) {
	out := []probes.GapThreshold{}
	for i, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 5 {
			return nil, fmt.Errorf("gap thresholds, line %d: want five fields (category, server or fleet, count, share%%, severity), e.g. stale_report server 25 25%% warning", i+1)
		}
		n, err1 := strconv.ParseInt(f[2], 10, 64)
		share, err2 := strconv.ParseFloat(strings.TrimSuffix(f[3], "%"), 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("gap thresholds, line %d: the count and share must be numbers", i+1)
		}
		out = append(out, probes.GapThreshold{Category: f[0], Scope: f[1], MinCount: n, MinShare: share, Severity: f[4]})
	}
	return out, nil
}

// alertSettingsPost handles the page's create forms (POST /settings/alerts/{section}).
func (a *app) alertSettingsPost(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxSmallBody)
	if err := a.checkCSRF(r, sessionOf(r)); err != nil {
		return err
	}
	ctx, now, f := r.Context(), a.now(), r.PostFormValue
	section := chi.URLParam(r, "section")
	var err error
	switch section {
	case "notifiers":
		in := notifierForm(f)
		if err = in.Validate(now); err == nil {
			var id int64
			if id, err = a.store.CreateNotifier(ctx, in, who(r)); err == nil {
				a.log.Info("alert channel created", "channel", id, "kind", in.Kind, "by", who(r), "request_id", requestID(ctx))
			}
		}
	case "routes":
		rt := routeForm(f)
		if err = rt.Validate(now); err == nil {
			_, err = a.store.CreateAlertRoute(ctx, rt)
		}
	case "silences":
		s := silenceForm(f, who(r))
		if err = s.Validate(now); err == nil {
			_, err = a.store.CreateSilence(ctx, s)
		}
	case "windows":
		win := windowForm(f, who(r))
		if err = win.Validate(now); err == nil {
			_, err = a.store.CreateMaintenanceWindow(ctx, win)
		}
	case "settings":
		fail, _ := strconv.Atoi(f("failure_threshold"))
		ok, _ := strconv.Atoi(f("success_threshold"))
		s := probes.AlertSettings{FailureThreshold: fail, SuccessThreshold: ok, ReminderInterval: f("reminder_interval"), RetryAfter: f("retry_after"), GiveUpAfter: f("give_up_after")}
		if s.GapThresholds, err = parseThresholds(f("gap_thresholds")); err != nil {
			err = probes.Invalid("/gap_thresholds", "%s", err.Error())
		} else if err = s.Validate(now); err == nil {
			err = a.store.SaveAlertSettings(ctx, s)
		}
	default:
		return errStatus(http.StatusNotFound, "no such settings section")
	}
	return a.settingsOutcome(w, r, section, err)
}

// notifierForm reads a channel from the add and edit forms (the same
// fields; the edit form leaves secrets empty to keep them).
func notifierForm(f func(string) string) probes.NotifierInput {
	in := probes.NotifierInput{Name: f("name"), Kind: f("kind"), URL: strings.TrimSpace(f("url")), Secret: f("secret")}
	if in.Kind == probes.NotifierEmail {
		port, _ := strconv.Atoi(f("smtp_port"))
		var to []string
		for _, t := range strings.Split(f("email_to"), ",") {
			if t = strings.TrimSpace(t); t != "" {
				to = append(to, t)
			}
		}
		in.Email = &probes.EmailSettings{Host: strings.TrimSpace(f("smtp_host")), Port: port, Security: f("smtp_security"),
			Username: f("smtp_username"), Password: f("smtp_password"), From: strings.TrimSpace(f("email_from")), To: to}
	}
	return in
}

// routeForm, silenceForm and windowForm read a route, silence or window
// from its add or edit form (the same fields).
func routeForm(f func(string) string) probes.AlertRoute {
	n, _ := strconv.ParseInt(f("notifier"), 10, 64)
	return probes.AlertRoute{Notifier: n, MinSeverity: f("min_severity"), Server: f("server"), Rule: f("rule")}
}

func silenceForm(f func(string) string, by string) probes.Silence {
	return probes.Silence{Server: f("server"), Rule: f("rule"), For: f("for"), Reason: f("reason"), CreatedBy: by}
}

func windowForm(f func(string) string, by string) probes.MaintenanceWindow {
	week, _ := strconv.Atoi(f("week"))
	win := probes.MaintenanceWindow{Name: f("name"), Server: f("server"), Every: f("every"), Weekday: f("weekday"), Week: week,
		Start: f("start"), Duration: f("duration"), TimeZone: f("time_zone"), CreatedBy: by}
	if win.Every != probes.EveryMonth {
		win.Week = 0
	}
	if win.Every == probes.EveryDay {
		win.Weekday = ""
	}
	return win
}

// settingsOutcome redirects after a change, or shows the page again with
// why the form was refused.
func (a *app) settingsOutcome(w http.ResponseWriter, r *http.Request, done string, err error) error {
	switch {
	case err == nil:
		http.Redirect(w, r, "/settings/alerts?done="+done+settingsAnchors[done], http.StatusSeeOther)
		return nil
	case isFormError(err):
		v, verr := a.alertSettingsView(r)
		if verr != nil {
			return verr
		}
		v.Error = "Not saved: " + formError(err)
		return a.render(w, r, http.StatusUnprocessableEntity, ui.AlertSettingsPage(v))
	}
	return err
}

// isFormError: the form was refused for what it said (shown on the page
// again), not for a missing row or a fault.
func isFormError(err error) bool {
	var ve *probes.ValidationError
	return errors.As(err, &ve) || errors.Is(err, probes.ErrConflict)
}

// formError says what was wrong with a form, field by field.
func formError(err error) string {
	var ve *probes.ValidationError
	if !errors.As(err, &ve) {
		return strings.TrimSuffix(err.Error(), ": conflict") + "."
	}
	var parts []string
	for _, fe := range ve.Errors {
		field := strings.ReplaceAll(strings.TrimPrefix(fe.Pointer, "/"), "/", " ")
		parts = append(parts, strings.TrimSpace(field+" "+fe.Detail))
	}
	return strings.Join(parts, "; ") + "."
}

// alertSettingsAction handles a row's buttons: delete, test, expire
// (POST /settings/alerts/{section}/{id}/{action}).
func (a *app) alertSettingsAction(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := a.checkCSRF(r, sessionOf(r)); err != nil {
		return err
	}
	id, err := idParam(r, "entry")
	if err != nil {
		return err
	}
	ctx := r.Context()
	switch chi.URLParam(r, "section") + "/" + chi.URLParam(r, "action") {
	case "notifiers/update":
		// The API's PUT /api/v1/notifiers/{id} through the same validation:
		// secrets left empty are kept, the kind cannot change.
		in := notifierForm(r.PostFormValue)
		if err = in.ValidateUpdate(a.now()); err == nil {
			if err = a.store.UpdateNotifier(ctx, id, in); err == nil {
				a.log.Info("alert channel updated", "channel", id, "by", who(r), "request_id", requestID(ctx))
			}
		}
		if err == nil || isFormError(err) {
			return a.settingsOutcome(w, r, "updated", err)
		}
	case "routes/update", "silences/update", "windows/update":
		// The API's PUTs through the same validation and store calls.
		section, f, now := chi.URLParam(r, "section"), r.PostFormValue, a.now()
		switch section {
		case "routes":
			rt := routeForm(f)
			if err = rt.Validate(now); err == nil {
				err = a.store.UpdateAlertRoute(ctx, id, rt)
			}
		case "silences":
			sl := silenceForm(f, who(r))
			if err = sl.Validate(now); err == nil {
				err = a.store.UpdateSilence(ctx, id, sl)
			}
		case "windows":
			win := windowForm(f, who(r))
			if err = win.Validate(now); err == nil {
				err = a.store.UpdateMaintenanceWindow(ctx, id, win)
			}
		}
		if err == nil || isFormError(err) {
			return a.settingsOutcome(w, r, section+"-updated", err)
		}
	case "notifiers/delete":
		err = a.store.DeleteNotifier(ctx, id)
	case "routes/delete":
		err = a.store.DeleteAlertRoute(ctx, id)
	case "windows/delete":
		err = a.store.DeleteMaintenanceWindow(ctx, id)
	case "silences/expire":
		if err = a.store.ExpireSilence(ctx, id); err == nil {
			return a.settingsOutcome(w, r, "expired", nil)
		}
	case "notifiers/test":
		if a.cfg.Notify == nil {
			return errStatus(http.StatusServiceUnavailable, "notifications are not running in this process")
		}
		res, err := a.cfg.Notify.Test(ctx, id, who(r))
		if err != nil {
			return err
		}
		v, err := a.alertSettingsView(r)
		if err != nil {
			return err
		}
		for _, c := range v.Channels {
			if c.ID == id {
				v.Test = &ui.TestAnswer{Channel: c.Name, OK: res.OK, Answer: res.Answer}
			}
		}
		return a.render(w, r, http.StatusOK, ui.AlertSettingsPage(v))
	default:
		return errStatus(http.StatusNotFound, "no such action")
	}
	if err != nil {
		return err
	}
	return a.settingsOutcome(w, r, "deleted", nil)
}

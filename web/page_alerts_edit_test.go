package web_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/wsusfleet/wsusfleet/notify"
	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/rules"
	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
	"github.com/wsusfleet/wsusfleet/web"
)

// A channel is edited from the settings page like through PUT
// /api/v1/notifiers/{id}: its settings shown, its secrets never shown and
// kept when left empty, replaced when given; the kind cannot change; a bad
// value is refused naming the field; the form needs its CSRF token and an
// admin.
func TestAlertSettingsEditChannel(t *testing.T) {
	// The receiver checks what a test delivery proves: the URL's token and
	// the signing secret in force.
	var mu sync.Mutex
	var got []string // "query|secret that verifies"
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		signed := "unsigned"
		for _, secret := range []string{"s3cret", "n3w-s3cret"} {
			m := hmac.New(sha256.New, []byte(secret))
			m.Write(body)
			if r.Header.Get("X-Wsusfleet-Signature") == "sha256="+hex.EncodeToString(m.Sum(nil)) {
				signed = secret
			}
		}
		mu.Lock()
		got = append(got, r.URL.RawQuery+"|"+signed)
		mu.Unlock()
	}))
	defer hook.Close()
	lastDelivery := func() string {
		mu.Lock()
		defer mu.Unlock()
		if len(got) == 0 {
			return ""
		}
		return got[len(got)-1]
	}
	clock := storetest.NewClock(storetest.T0)
	st := storetest.OpenSQLite(t, store.Options{Now: clock.Now, Diagnose: rules.Diagnose})
	e := &env{t: t, st: st, clock: clock, h: web.New(st, web.Config{Now: clock.Now, Notify: notify.New(st, notify.Options{})})}
	e.ingest, e.read, e.admin = e.token("ingest"), e.token("read"), e.token("admin")
	admin, _ := e.signIn(t, e.admin, "/settings/alerts")
	csrf := e.page("GET", "/settings/alerts", nil, admin).find(t, testid("channel-create")+` input[name="csrf"]`).AttrOr("value", "")
	post := func(path string, form url.Values) page {
		t.Helper()
		form.Set("csrf", csrf)
		return e.page("POST", path, form, admin)
	}
	if res := post("/settings/alerts/notifiers", url.Values{"name": {"ops hook"}, "kind": {"webhook"}, "url": {hook.URL + "/in?token=tok3n"}, "secret": {"s3cret"}}); res.status != http.StatusSeeOther {
		t.Fatalf("create webhook: %d", res.status)
	}
	if res := post("/settings/alerts/notifiers", url.Values{"name": {"mail"}, "kind": {"email"}, "smtp_host": {"smtp.corp.example"}, "smtp_port": {"2525"},
		"smtp_security": {"tls"}, "smtp_username": {"wsusfleet"}, "smtp_password": {"pa55word"}, "email_from": {"wsusfleet@corp.example"}, "email_to": {"ops@corp.example"}}); res.status != http.StatusSeeOther {
		t.Fatalf("create email: %d %q", res.status, res.find(t, testid("alerts-error")).Text())
	}
	editForm := func(p page, name string) *goquery.Selection {
		t.Helper()
		var form *goquery.Selection
		p.find(t, testid("channel-row")).Each(func(_ int, s *goquery.Selection) {
			if s.Find("td").First().Text() == name {
				form = s.Find(testid("channel-update"))
			}
		})
		if form == nil || form.Length() != 1 {
			t.Fatalf("no edit form for %s", name)
		}
		return form
	}
	sendTest := func(id string) string {
		t.Helper()
		if res := e.do("POST", "/api/v1/notifiers/"+id+"/test", e.admin, strings.NewReader("{}"), "Content-Type", "application/json"); res.status != http.StatusOK {
			t.Fatalf("test: %d %s", res.status, res.body)
		}
		return lastDelivery()
	}

	p := e.page("GET", "/settings/alerts", nil, admin)
	for _, secret := range []string{"tok3n", "s3cret", "pa55word"} {
		if strings.Contains(string(p.body), secret) {
			t.Errorf("the page shows the secret %q", secret)
		}
	}
	hookForm := editForm(p, "ops hook")
	action := hookForm.AttrOr("action", "")
	id := strings.Split(strings.TrimPrefix(action, "/settings/alerts/notifiers/"), "/")[0]
	if hookForm.Find(`input[name="csrf"]`).AttrOr("value", "") != csrf || hookForm.Find(`input[name="name"]`).AttrOr("value", "") != "ops hook" ||
		attrValue(hookForm.Find(`input[name="url"]`)) != "" || attrValue(hookForm.Find(`input[name="secret"]`)) != "" || hookForm.Find(`input[name="secret"]`).Length() != 1 {
		t.Errorf("webhook edit form: %s", goquery.NewDocumentFromNode(hookForm.Nodes[0]).Text())
	}
	mailForm := editForm(p, "mail")
	if mailForm.Find(`input[name="smtp_host"]`).AttrOr("value", "") != "smtp.corp.example" || mailForm.Find(`input[name="smtp_port"]`).AttrOr("value", "") != "2525" ||
		mailForm.Find(`select[name="smtp_security"] option[selected]`).AttrOr("value", "") != "tls" || mailForm.Find(`input[name="email_to"]`).AttrOr("value", "") != "ops@corp.example" ||
		mailForm.Find(`input[name="smtp_username"]`).AttrOr("value", "") != "wsusfleet" || attrValue(mailForm.Find(`input[name="smtp_password"]`)) != "" || mailForm.Find(`input[name="smtp_password"]`).Length() != 1 {
		t.Errorf("email edit form not filled in as stored")
	}

	// Renamed, secrets left empty: the URL's token and the secret are kept.
	if res := post(action, url.Values{"kind": {"webhook"}, "name": {"WSUS team"}, "url": {""}, "secret": {""}}); res.status != http.StatusSeeOther ||
		!strings.HasPrefix(res.header.Get("Location"), "/settings/alerts?done=updated") {
		t.Fatalf("rename: %d %s", res.status, res.header.Get("Location"))
	}
	channel := func(name string) probes.Notifier {
		t.Helper()
		var list web.NotifierList
		e.do("GET", "/api/v1/notifiers", e.admin, nil).json(t, &list)
		for _, n := range list.Notifiers {
			if n.Name == name {
				return n
			}
		}
		t.Fatalf("no channel %q in %+v", name, list.Notifiers)
		return probes.Notifier{}
	}
	if n := channel("WSUS team"); !n.HasSecret || n.Kind != probes.NotifierWebhook {
		t.Errorf("after rename: %+v", n)
	}
	if d := sendTest(id); d != "token=tok3n|s3cret" {
		t.Errorf("after a rename the delivery went %q, want the kept token and secret", d)
	}
	// A new secret given: it signs from now on.
	if res := post(action, url.Values{"kind": {"webhook"}, "name": {"WSUS team"}, "secret": {"n3w-s3cret"}}); res.status != http.StatusSeeOther {
		t.Fatalf("new secret: %d", res.status)
	}
	if d := sendTest(id); d != "token=tok3n|n3w-s3cret" {
		t.Errorf("after a new secret the delivery went %q", d)
	}

	// The email channel: recipients changed, password kept.
	mailAction := mailForm.AttrOr("action", "")
	if res := post(mailAction, url.Values{"kind": {"email"}, "name": {"mail"}, "smtp_host": {"smtp.corp.example"}, "smtp_port": {"2525"}, "smtp_security": {"tls"},
		"smtp_username": {"wsusfleet"}, "email_from": {"wsusfleet@corp.example"}, "email_to": {"ops@corp.example, oncall@corp.example"}}); res.status != http.StatusSeeOther {
		t.Fatalf("email edit: %d %q", res.status, res.find(t, testid("alerts-error")).Text())
	}
	if n := channel("mail"); n.Email == nil || strings.Join(n.Email.To, " ") != "ops@corp.example oncall@corp.example" || !n.HasSecret || n.Email.Port != 2525 {
		t.Errorf("email after edit: %+v %+v", n, n.Email)
	}

	// Refusals: the field named, the page shown again; the kind stays.
	for _, tc := range []struct {
		form url.Values
		says string
	}{
		{url.Values{"kind": {"webhook"}, "name": {"WSUS team"}, "url": {"ftp://example.com/"}}, "url must be an http:// or https:// URL"},
		{url.Values{"kind": {"slack"}, "name": {"WSUS team"}}, "keeps its kind (webhook)"},
		{url.Values{"kind": {"webhook"}, "name": {"mail"}}, `a channel named "mail" exists already`},
		{url.Values{"kind": {"webhook"}, "name": {""}}, "name"},
	} {
		res := post(action, tc.form)
		if msg := res.find(t, testid("alerts-error")).Text(); res.status != http.StatusUnprocessableEntity || !strings.Contains(msg, tc.says) {
			t.Errorf("%v: %d %q, want 422 saying %q", tc.form, res.status, msg, tc.says)
		}
	}
	if res := e.page("POST", action, url.Values{"kind": {"webhook"}, "name": {"no csrf"}}, admin); res.status != http.StatusForbidden {
		t.Errorf("without CSRF: %d", res.status)
	}
	if res := post("/settings/alerts/notifiers/999/update", url.Values{"kind": {"webhook"}, "name": {"ghost"}}); res.status != http.StatusNotFound {
		t.Errorf("no such channel: %d", res.status)
	}
	reader, _ := e.signIn(t, e.read, "/")
	if res := e.page("POST", action, url.Values{"kind": {"webhook"}, "name": {"reader"}, "csrf": {csrf}}, reader); res.status != http.StatusForbidden {
		t.Errorf("a reader edits a channel: %d", res.status)
	}
	if n := channel("WSUS team"); n.Kind != probes.NotifierWebhook || n.ID != mustID(t, id) {
		t.Errorf("a refused edit changed the channel: %+v", n)
	}
}

func attrValue(s *goquery.Selection) string {
	v, _ := s.Attr("value")
	return v
}

func mustID(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Routes, silences and maintenance windows are edited from the settings
// page through the same validation as their PUTs: each form shows the
// row's values, saves the new ones, and a bad value is refused naming the
// field.
func TestAlertSettingsEditRows(t *testing.T) {
	e := newEnvWith(t, web.Config{}, store.Options{})
	admin, _ := e.signIn(t, e.admin, "/settings/alerts")
	csrf := e.page("GET", "/settings/alerts", nil, admin).find(t, testid("channel-create")+` input[name="csrf"]`).AttrOr("value", "")
	post := func(path string, form url.Values) page {
		t.Helper()
		form.Set("csrf", csrf)
		return e.page("POST", path, form, admin)
	}
	for path, form := range map[string]url.Values{
		"/settings/alerts/notifiers": {"name": {"ops"}, "kind": {"webhook"}, "url": {"https://x.example/hook"}},
	} {
		if res := post(path, form); res.status != http.StatusSeeOther {
			t.Fatalf("%s: %d", path, res.status)
		}
	}
	if res := post("/settings/alerts/notifiers", url.Values{"name": {"oncall"}, "kind": {"slack"}, "url": {"https://hooks.slack.com/services/T/B/x"}}); res.status != http.StatusSeeOther {
		t.Fatalf("second channel: %d", res.status)
	}
	for path, form := range map[string]url.Values{
		"/settings/alerts/routes":   {"notifier": {"1"}, "min_severity": {"critical"}, "server": {"wsus-west*"}},
		"/settings/alerts/silences": {"server": {"wsus01.corp.example"}, "for": {"4h"}, "reason": {"pool rebuild"}},
		"/settings/alerts/windows":  {"name": {"Patch Tuesday night"}, "every": {"month"}, "week": {"2"}, "weekday": {"Tuesday"}, "start": {"22:00"}, "duration": {"6h"}, "time_zone": {"Europe/Berlin"}},
	} {
		if res := post(path, form); res.status != http.StatusSeeOther {
			t.Fatalf("%s: %d %q", path, res.status, res.find(t, testid("alerts-error")).Text())
		}
	}
	p := e.page("GET", "/settings/alerts", nil, admin)
	route, silence, window := p.find(t, testid("route-update")), p.find(t, testid("silence-update")), p.find(t, testid("window-update"))
	if route.Length() != 1 || silence.Length() != 1 || window.Length() != 1 {
		t.Fatalf("edit forms: %d routes, %d silences, %d windows", route.Length(), silence.Length(), window.Length())
	}
	for name, form := range map[string]*goquery.Selection{"route": route, "silence": silence, "window": window} {
		if form.Find(`input[name="csrf"]`).AttrOr("value", "") != csrf {
			t.Errorf("the %s edit form lacks its CSRF field", name)
		}
	}
	if route.Find(`select[name="notifier"] option[selected]`).Text() != "ops" || route.Find(`select[name="min_severity"] option[selected]`).AttrOr("value", "") != "critical" ||
		attrValue(route.Find(`input[name="server"]`)) != "wsus-west*" {
		t.Errorf("route form not filled in")
	}
	if attrValue(silence.Find(`input[name="server"]`)) != "wsus01.corp.example" || attrValue(silence.Find(`input[name="reason"]`)) != "pool rebuild" {
		t.Errorf("silence form not filled in")
	}
	if window.Find(`select[name="every"] option[selected]`).AttrOr("value", "") != "month" || window.Find(`select[name="week"] option[selected]`).AttrOr("value", "") != "2" ||
		window.Find(`select[name="weekday"] option[selected]`).AttrOr("value", "") != "Tuesday" || attrValue(window.Find(`input[name="time_zone"]`)) != "Europe/Berlin" ||
		attrValue(window.Find(`input[name="start"]`)) != "22:00" || attrValue(window.Find(`input[name="duration"]`)) != "6h" {
		t.Errorf("window form not filled in")
	}

	e.clock.Advance(10 * time.Minute) // the new end counts from now, not from when the silence was set
	for _, tc := range []struct {
		action string
		form   url.Values
		done   string
	}{
		{route.AttrOr("action", ""), url.Values{"notifier": {"2"}, "min_severity": {"warning"}, "server": {""}, "rule": {"wsuspool_*"}}, "routes-updated#routes"},
		{silence.AttrOr("action", ""), url.Values{"server": {"wsus02.corp.example"}, "rule": {""}, "for": {"1d"}, "reason": {"disk replaced"}}, "silences-updated#silences"},
		{window.AttrOr("action", ""), url.Values{"name": {"Patch Wednesday"}, "server": {"wsus-*"}, "every": {"week"}, "week": {"2"}, "weekday": {"Wednesday"}, "start": {"01:00"}, "duration": {"4h"}, "time_zone": {"UTC"}}, "windows-updated#windows"},
	} {
		if res := post(tc.action, tc.form); res.status != http.StatusSeeOther || res.header.Get("Location") != "/settings/alerts?done="+tc.done {
			t.Errorf("%s: %d %s %q", tc.action, res.status, res.header.Get("Location"), res.find(t, testid("alerts-error")).Text())
		}
	}
	rts, _ := e.st.AlertRoutes(t.Context())
	sls, _ := e.st.Silences(t.Context())
	wins, _ := e.st.MaintenanceWindows(t.Context())
	if len(rts) != 1 || rts[0].Notifier != 2 || rts[0].MinSeverity != "warning" || rts[0].Server != "" || rts[0].Rule != "wsuspool_*" {
		t.Errorf("route: %+v", rts)
	}
	if len(sls) != 1 || sls[0].Server != "wsus02.corp.example" || sls[0].Reason != "disk replaced" || !sls[0].Until.Equal(e.clock.Now().Add(24*time.Hour)) {
		t.Errorf("silence: %+v", sls)
	}
	// A weekly window has no week of the month: the form's leftover is dropped, as when adding.
	if len(wins) != 1 || wins[0].Describe() != "every Wednesday at 01:00 UTC for 4h" || wins[0].Name != "Patch Wednesday" || wins[0].Server != "wsus-*" {
		t.Errorf("window: %+v (%s)", wins, wins[0].Describe())
	}
	if p := e.page("GET", "/settings/alerts?done=silences-updated", nil, admin); !strings.Contains(p.find(t, testid("alerts-notice")).Text(), "silence was changed") {
		t.Errorf("notice %q", p.find(t, testid("alerts-notice")).Text())
	}
	// Refusals name the field and change nothing.
	for _, tc := range []struct {
		action string
		form   url.Values
		says   string
	}{
		{route.AttrOr("action", ""), url.Values{"notifier": {"9"}}, "notifier no channel has id 9"},
		{silence.AttrOr("action", ""), url.Values{"for": {"soon"}, "reason": {"x"}}, "for is not an age"},
		{window.AttrOr("action", ""), url.Values{"name": {"x"}, "every": {"week"}, "weekday": {"Caturday"}, "start": {"22:00"}, "duration": {"1h"}}, "weekday must be a day of the week"},
	} {
		res := post(tc.action, tc.form)
		if msg := res.find(t, testid("alerts-error")).Text(); res.status != http.StatusUnprocessableEntity || !strings.Contains(msg, tc.says) {
			t.Errorf("%s %v: %d %q, want 422 saying %q", tc.action, tc.form, res.status, msg, tc.says)
		}
	}
	if w, _ := e.st.MaintenanceWindows(t.Context()); w[0].Weekday != "Wednesday" {
		t.Errorf("a refused edit changed the window: %+v", w[0])
	}
	if res := e.page("POST", route.AttrOr("action", ""), url.Values{"notifier": {"1"}}, admin); res.status != http.StatusForbidden {
		t.Errorf("without CSRF: %d", res.status)
	}
	if res := post("/settings/alerts/windows/99/update", url.Values{"name": {"x"}, "every": {"day"}, "start": {"22:00"}, "duration": {"1h"}}); res.status != http.StatusNotFound {
		t.Errorf("no such window: %d", res.status)
	}
}

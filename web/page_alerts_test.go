package web_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/wsusfleet/wsusfleet/notify"
	"github.com/wsusfleet/wsusfleet/probes/rules"
	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
	"github.com/wsusfleet/wsusfleet/web"
)

func TestAlertSettingsPage(t *testing.T) {
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusTeapot)
		io.WriteString(w, "no coffee here")
	}))
	defer hook.Close()
	clock := storetest.NewClock(storetest.T0)
	st := storetest.OpenSQLite(t, store.Options{Now: clock.Now, Diagnose: rules.Diagnose})
	e := &env{t: t, st: st, clock: clock, h: web.New(st, web.Config{Now: clock.Now, Notify: notify.New(st, notify.Options{})})}
	e.ingest, e.read, e.admin = e.token("ingest"), e.token("read"), e.token("admin")

	reader, _ := e.signIn(t, e.read, "/")
	if p := e.page("GET", "/settings/alerts", nil, reader); p.status != http.StatusForbidden {
		t.Errorf("a reader sees the alert settings: %d", p.status)
	}
	admin, _ := e.signIn(t, e.admin, "/settings/alerts")
	p := e.page("GET", "/settings/alerts", nil, admin)
	if p.status != http.StatusOK {
		t.Fatalf("settings page: %d", p.status)
	}
	checkSafeHTML(t, "alert settings", p)
	csrf := p.find(t, testid("channel-create")+` input[name="csrf"]`).AttrOr("value", "")
	if csrf == "" || p.find(t, `form[method="post"]`).Length() < 5 {
		t.Fatal("the forms need their CSRF field")
	}
	post := func(path string, form url.Values) page {
		t.Helper()
		form.Set("csrf", csrf)
		return e.page("POST", path, form, admin)
	}
	if p := e.page("POST", "/settings/alerts/notifiers", url.Values{"name": {"x"}, "kind": {"webhook"}, "url": {hook.URL}}, admin); p.status != http.StatusForbidden {
		t.Errorf("a form without its CSRF token: %d", p.status)
	}
	res := post("/settings/alerts/notifiers", url.Values{"name": {"ops hook"}, "kind": {"webhook"}, "url": {hook.URL + "/in?token=tok3n"}, "secret": {"s3cret"}})
	if res.status != http.StatusSeeOther || !strings.HasPrefix(res.header.Get("Location"), "/settings/alerts?done=notifiers") {
		t.Fatalf("create channel: %d %s", res.status, res.header.Get("Location"))
	}
	res = post("/settings/alerts/notifiers", url.Values{"name": {"mail"}, "kind": {"email"}, "smtp_host": {"smtp.corp.example"}, "smtp_security": {"starttls"},
		"email_from": {"wsusfleet@corp.example"}, "email_to": {"ops@corp.example, oncall@corp.example"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("create email channel: %d %s", res.status, res.find(t, testid("alerts-error")).Text())
	}
	res = post("/settings/alerts/notifiers", url.Values{"name": {"bad"}, "kind": {"slack"}, "url": {"not a url"}})
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.find(t, testid("alerts-error")).Text(), "url must be an http:// or https:// URL") {
		t.Errorf("a bad channel: %d %q", res.status, res.find(t, testid("alerts-error")).Text())
	}
	p = e.page("GET", "/settings/alerts?done=notifiers", nil, admin)
	if rows := p.find(t, testid("channel-row")); rows.Length() != 2 || strings.Contains(string(p.body), "tok3n") || strings.Contains(string(p.body), "s3cret") {
		t.Errorf("channels: %d rows; secrets shown: %v", rows.Length(), strings.Contains(string(p.body), "s3cret"))
	}
	if !strings.Contains(p.find(t, testid("alerts-notice")).Text(), "channel was added") {
		t.Error("no notice after adding a channel")
	}
	// Send test: the receiver's answer is shown.
	var testURL string
	p.find(t, testid("channel-row")).Each(func(_ int, s *goquery.Selection) {
		if strings.Contains(s.Text(), "ops hook") {
			testURL = s.Find(`form:has(`+testid("channel-test")+`)`).AttrOr("action", "")
		}
	})
	res = post(testURL, url.Values{})
	if res.status != http.StatusOK || !strings.Contains(res.find(t, testid("test-answer")).Text(), "418 I'm a teapot: no coffee here") {
		t.Errorf("send test: %d %q", res.status, res.find(t, testid("test-answer")).Text())
	}
	for path, form := range map[string]url.Values{
		"/settings/alerts/routes":   {"notifier": {"1"}, "min_severity": {"critical"}, "server": {"wsus-west*"}},
		"/settings/alerts/silences": {"server": {"wsus01.corp.example"}, "for": {"4h"}, "reason": {"pool rebuild"}},
		"/settings/alerts/windows":  {"name": {"Patch Tuesday night"}, "every": {"month"}, "week": {"2"}, "weekday": {"Tuesday"}, "start": {"22:00"}, "duration": {"6h"}, "time_zone": {"Europe/Berlin"}},
		"/settings/alerts/settings": {"failure_threshold": {"3"}, "success_threshold": {"2"}, "reminder_interval": {"12h"}, "retry_after": {"30s"}, "give_up_after": {"1d"}, "gap_thresholds": {"stale_report server 50 20% warning\r\nexpected_missing fleet 100 0% critical"}},
	} {
		if res := post(path, form); res.status != http.StatusSeeOther {
			t.Errorf("%s: %d %q", path, res.status, res.find(t, testid("alerts-error")).Text())
		}
	}
	p = e.page("GET", "/settings/alerts", nil, admin)
	for id, n := range map[string]int{"route-row": 1, "silence-row": 1, "window-row": 1} {
		if got := p.find(t, testid(id)).Length(); got != n {
			t.Errorf("%s: %d rows, want %d", id, got, n)
		}
	}
	if w := p.find(t, testid("window-row")).Text(); !strings.Contains(w, "the second Tuesday of every month at 22:00 Europe/Berlin for 6h") {
		t.Errorf("window: %q", w)
	}
	if g := p.find(t, testid("settings-gaps")).Text(); !strings.Contains(g, "expected_missing fleet 100 0% critical") {
		t.Errorf("gap thresholds: %q", g)
	}
	if res := post("/settings/alerts/settings", url.Values{"failure_threshold": {"0"}, "success_threshold": {"2"}, "reminder_interval": {"1h"}, "retry_after": {"30s"},
		"give_up_after": {"1d"}, "gap_thresholds": {"stale_report server lots"}}); res.status != http.StatusUnprocessableEntity {
		t.Errorf("bad thresholds: %d", res.status)
	}
	if res := post("/settings/alerts/silences/1/expire", url.Values{}); res.status != http.StatusSeeOther {
		t.Errorf("expire: %d", res.status)
	}
	if res := post("/settings/alerts/notifiers/1/delete", url.Values{}); res.status != http.StatusSeeOther {
		t.Errorf("delete: %d", res.status)
	}
	if res := post("/settings/alerts/notifiers/1/delete", url.Values{}); res.status != http.StatusNotFound {
		t.Errorf("delete twice: %d", res.status)
	}
}

func TestAlertsPage(t *testing.T) {
	clock := storetest.NewClock(storetest.T0)
	st := storetest.OpenSQLite(t, store.Options{Now: clock.Now, Diagnose: rules.Diagnose})
	e := &env{t: t, st: st, clock: clock, h: web.New(st, web.Config{Now: clock.Now, ReadAuth: web.ReadAuthToken})}
	e.ingest, e.read, e.admin = e.token("ingest"), e.token("read"), e.token("admin")
	reader, _ := e.signIn(t, e.read, "/alerts")
	p := e.page("GET", "/alerts", nil, reader)
	if p.status != http.StatusOK || p.find(t, testid("no-channels")).Length() != 1 || p.find(t, testid("no-alerts")).Length() != 1 {
		t.Fatalf("empty alerts page: %d", p.status)
	}
	if r := e.post("/api/v1/notifiers", e.admin, map[string]any{"name": "ops", "kind": "webhook", "url": "http://127.0.0.1:9/<b>"}); r.status != http.StatusCreated {
		t.Fatal(r.status)
	}
	for i := range 2 {
		clock.Advance(time.Minute)
		r := storetest.PoolStoppedReport(fmt.Sprintf("a%d", i), "wsus-west.corp.example", clock.Now(), true, nil)
		if res := e.post("/api/v1/reports", e.ingest, r); res.status != http.StatusCreated {
			t.Fatal(res.status)
		}
		e.do(http.MethodGet, "/api/v1/servers/wsus-west.corp.example", e.read, nil) // settles: one judgement per report
	}
	p = e.page("GET", "/alerts", nil, reader)
	checkSafeHTML(t, "alerts", p)
	row := p.find(t, testid("alert-row"))
	if row.Length() != 1 || row.AttrOr("data-state", "") != "firing" || !strings.Contains(row.Text(), "WsusPool is stopped") {
		t.Fatalf("alert rows: %d %q", row.Length(), row.Text())
	}
	if p.find(t, testid("alert-ack")).Length() != 0 {
		t.Error("a reader is offered acknowledge")
	}
	if d := p.find(t, testid("delivery-row")); d.Length() != 1 || d.AttrOr("data-state", "") != "pending" {
		t.Errorf("deliveries: %d", d.Length())
	}
	admin, _ := e.signIn(t, e.admin, "/alerts")
	p = e.page("GET", "/alerts", nil, admin)
	form := p.find(t, `form:has(`+testid("alert-ack")+`)`)
	res := e.page("POST", form.AttrOr("action", ""), url.Values{"csrf": {form.Find(`input[name="csrf"]`).AttrOr("value", "")}}, admin)
	if res.status != http.StatusSeeOther {
		t.Fatalf("ack: %d", res.status)
	}
	p = e.page("GET", "/alerts", nil, admin)
	if !strings.Contains(p.find(t, testid("alert-acked")).Text(), "test-admin") || p.find(t, testid("alert-ack")).Length() != 0 {
		t.Errorf("after ack: %q", p.find(t, testid("alert-row")).Text())
	}
	if p := e.page("GET", "/alerts?state=failed", nil, admin); p.find(t, testid("delivery-row")).Length() != 0 {
		t.Error("the failed filter shows a pending delivery")
	}
}

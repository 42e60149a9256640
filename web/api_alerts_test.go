package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/web"
)

func TestNotifierAPI(t *testing.T) {
	e := newEnv(t, web.Config{})
	body := map[string]any{"name": "ops", "kind": "webhook", "url": "https://hooks.example/wsusfleet?token=tok3n", "secret": "s3cret"}
	if r := e.post("/api/v1/notifiers", e.read, body); r.status != http.StatusForbidden {
		t.Errorf("a read token creates a channel: %d", r.status)
	}
	r := e.post("/api/v1/notifiers", e.admin, body)
	if r.status != http.StatusCreated || strings.TrimSpace(string(r.body)) != `{"id":1}` {
		t.Fatalf("create: %d %s; want 201 {\"id\":1}", r.status, r.body)
	}
	if r := e.post("/api/v1/notifiers", e.admin, body); r.status != http.StatusConflict {
		t.Errorf("same name again: %d %s", r.status, r.body)
	}
	list := e.do(http.MethodGet, "/api/v1/notifiers", e.admin, nil)
	if list.status != http.StatusOK || strings.Contains(string(list.body), "s3cret") || strings.Contains(string(list.body), "tok3n") ||
		!strings.Contains(string(list.body), `"target":"https://hooks.example/…"`) || !strings.Contains(string(list.body), `"has_secret":true`) {
		t.Errorf("the list must never show secrets: %d %s", list.status, list.body)
	}
	for _, tc := range []struct {
		body    map[string]any
		pointer string
	}{
		{map[string]any{"name": "x", "kind": "pager", "url": "https://x.example/"}, "/kind"},
		{map[string]any{"name": "x", "kind": "slack"}, "/url"},
		{map[string]any{"name": "x", "kind": "teams", "url": "ftp://x.example/"}, "/url"},
		{map[string]any{"name": "x", "kind": "slack", "url": "https://hooks.slack.com/x", "secret": "y"}, "/secret"},
		{map[string]any{"name": "x", "kind": "email", "email": map[string]any{"host": "smtp.corp.example", "from": "not an address", "to": []string{"ops@corp.example"}}}, "/email/from"},
		{map[string]any{"name": "x", "kind": "email", "email": map[string]any{"host": "smtp", "security": "none", "username": "u", "password": "p", "from": "a@b.c", "to": []string{"a@b.c"}}}, "/email/security"},
		{map[string]any{"name": "", "kind": "webhook", "url": "https://x.example/"}, "/name"},
	} {
		r := e.post("/api/v1/notifiers", e.admin, tc.body)
		p := r.problem(t)
		if r.status != http.StatusUnprocessableEntity || len(p.Errors) == 0 || p.Errors[0].Pointer != tc.pointer {
			t.Errorf("%v: %d %+v, want 422 naming %s", tc.body, r.status, p.Errors, tc.pointer)
		}
	}
	if doc := string(e.do(http.MethodGet, "/api/v1/openapi.json", "", nil).body); !strings.Contains(doc, `"/api/v1/notifiers"`) ||
		!strings.Contains(doc, `"Notification"`) || !strings.Contains(doc, `"explains"`) || !strings.Contains(doc, `"/api/v1/alerts/silences"`) {
		t.Error("the OpenAPI document lacks the alert paths or the notification schema")
	}
	if r := e.post("/api/v1/notifiers/1/test", e.admin, nil); r.status != http.StatusServiceUnavailable {
		t.Errorf("test without a dispatcher: %d", r.status)
	}
	if r := e.do(http.MethodDelete, "/api/v1/notifiers/1", e.admin, nil); r.status != http.StatusNoContent {
		t.Errorf("delete: %d", r.status)
	}
	if r := e.do(http.MethodDelete, "/api/v1/notifiers/1", e.admin, nil); r.status != http.StatusNotFound {
		t.Errorf("delete twice: %d", r.status)
	}
}

func TestAlertSettingsSilencesWindowsRoutesAPI(t *testing.T) {
	e := newEnv(t, web.Config{})
	e.post("/api/v1/notifiers", e.admin, map[string]any{"name": "ops", "kind": "webhook", "url": "https://x.example/"})
	var s probes.AlertSettings
	r := e.do(http.MethodGet, "/api/v1/alerts/settings", e.admin, nil)
	r.json(t, &s)
	if s.FailureThreshold != 2 || s.ReminderInterval != "24h" || len(s.GapThresholds) == 0 {
		t.Errorf("defaults: %+v", s)
	}
	r = e.do(http.MethodPut, "/api/v1/alerts/settings", e.admin, strings.NewReader(`{"failure_threshold": 3, "reminder_interval": "4h"}`))
	r.json(t, &s)
	if r.status != http.StatusOK || s.FailureThreshold != 3 || s.SuccessThreshold != 2 || s.ReminderInterval != "4h" {
		t.Errorf("put: %d %+v", r.status, s)
	}
	r = e.do(http.MethodPut, "/api/v1/alerts/settings", e.admin, strings.NewReader(`{"failure_threshold": 0, "gap_thresholds": [{"category": "late", "min_count": 1}]}`))
	if p := r.problem(t); r.status != http.StatusUnprocessableEntity || len(p.Errors) != 2 {
		t.Errorf("bad settings: %d %+v", r.status, p.Errors)
	}
	r = e.post("/api/v1/alerts/silences", e.admin, map[string]any{"server": "wsus01*", "for": "2h", "reason": "pool rebuild"})
	if r.status != http.StatusCreated {
		t.Fatalf("silence: %d %s", r.status, r.body)
	}
	var sl web.SilenceList
	e.do(http.MethodGet, "/api/v1/alerts/silences", e.admin, nil).json(t, &sl)
	if len(sl.Silences) != 1 || sl.Silences[0].CreatedBy != "test-admin" || !sl.Silences[0].Until.Equal(e.clock.Now().Add(7200e9)) {
		t.Errorf("silences: %+v", sl)
	}
	for body, ptr := range map[string]string{
		`{"server": "x", "reason": "r"}`:                                  "/until",
		`{"server": "x", "until": "2020-01-01T00:00:00Z", "reason": "r"}`: "/until",
		`{"server": "[", "for": "1h", "reason": "r"}`:                     "/server",
		`{"server": "x", "for": "1h"}`:                                    "/reason",
	} {
		r := e.do(http.MethodPost, "/api/v1/alerts/silences", e.admin, strings.NewReader(body))
		if p := r.problem(t); r.status != http.StatusUnprocessableEntity || p.Errors[0].Pointer != ptr {
			t.Errorf("%s: %d %+v, want %s", body, r.status, p.Errors, ptr)
		}
	}
	r = e.post("/api/v1/alerts/windows", e.admin, map[string]any{"name": "Patch Tuesday night", "every": "month", "week": 2, "weekday": "Tuesday", "start": "22:00", "duration": "6h", "time_zone": "Europe/Berlin"})
	if r.status != http.StatusCreated {
		t.Fatalf("window: %d %s", r.status, r.body)
	}
	r = e.post("/api/v1/alerts/windows", e.admin, map[string]any{"name": "x", "every": "month", "weekday": "Tuesday", "start": "25:00", "duration": "6h", "time_zone": "Mars/Olympus"})
	if p := r.problem(t); r.status != http.StatusUnprocessableEntity || len(p.Errors) != 3 {
		t.Errorf("bad window: %d %+v", r.status, p.Errors)
	}
	if r := e.post("/api/v1/alerts/routes", e.admin, map[string]any{"notifier": 1, "min_severity": "critical", "server": "wsus-west*"}); r.status != http.StatusCreated {
		t.Errorf("route: %d %s", r.status, r.body)
	}
	if r := e.post("/api/v1/alerts/routes", e.admin, map[string]any{"notifier": 7}); r.status != http.StatusUnprocessableEntity {
		t.Errorf("route to no channel: %d %s", r.status, r.body)
	}
	if r := e.do(http.MethodGet, "/api/v1/alerts", e.read, nil); r.status != http.StatusOK || !strings.Contains(string(r.body), `"deliveries":[]`) {
		t.Errorf("history: %d %s", r.status, r.body)
	}
	if r := e.do(http.MethodGet, "/api/v1/alerts?state=lost", e.read, nil); r.status != http.StatusUnprocessableEntity {
		t.Errorf("bad state filter: %d", r.status)
	}
	if r := e.do(http.MethodPost, "/api/v1/alerts/5/ack", e.admin, nil); r.status != http.StatusNotFound {
		t.Errorf("ack of no alert: %d", r.status)
	}
}

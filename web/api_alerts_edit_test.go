package web_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
	"github.com/wsusfleet/wsusfleet/web"
)

// Routes, silences and maintenance windows are replaced through PUT, on
// both dialects: the new terms are what the lists show, a bad value is
// refused naming the field and changes nothing, an unknown id is 404, and
// only an admin may.
func TestAlertRowsUpdateAPI(t *testing.T) {
	for dialect, open := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			e := newEnvOn(t, web.Config{}, store.Options{}, open)
			put := func(path, token, body string) response {
				t.Helper()
				return e.do(http.MethodPut, path, token, strings.NewReader(body))
			}
			create := func(path string, v any) string {
				t.Helper()
				r := e.post(path, e.admin, v)
				var c web.Created
				r.json(t, &c)
				if r.status != http.StatusCreated || c.ID <= 0 {
					t.Fatalf("POST %s: %d %s", path, r.status, r.body)
				}
				return strconv.FormatInt(c.ID, 10)
			}
			create("/api/v1/notifiers", map[string]any{"name": "ops", "kind": "webhook", "url": "https://x.example/"})
			create("/api/v1/notifiers", map[string]any{"name": "oncall", "kind": "slack", "url": "https://hooks.slack.com/services/T/B/x"})
			route := create("/api/v1/alerts/routes", map[string]any{"notifier": 1, "min_severity": "critical", "server": "wsus-west*"})
			silence := create("/api/v1/alerts/silences", map[string]any{"server": "wsus01*", "for": "2h", "reason": "pool rebuild"})
			window := create("/api/v1/alerts/windows", map[string]any{"name": "Patch Tuesday night", "every": "month", "week": 2, "weekday": "Tuesday",
				"start": "22:00", "duration": "6h", "time_zone": "Europe/Berlin"})

			// Routes.
			if r := put("/api/v1/alerts/routes/"+route, e.admin, `{"notifier": 2, "min_severity": "warning", "rule": "wsuspool_*"}`); r.status != http.StatusNoContent {
				t.Fatalf("put route: %d %s", r.status, r.body)
			}
			var rl web.RouteList
			e.do(http.MethodGet, "/api/v1/alerts/routes", e.admin, nil).json(t, &rl)
			if len(rl.Routes) != 1 || rl.Routes[0].Notifier != 2 || rl.Routes[0].MinSeverity != "warning" || rl.Routes[0].Server != "" || rl.Routes[0].Rule != "wsuspool_*" {
				t.Errorf("route after put: %+v", rl.Routes)
			}
			for body, ptr := range map[string]string{`{"notifier": 9}`: "/notifier", `{"notifier": 1, "min_severity": "info"}`: "/min_severity", `{"notifier": 1, "server": "["}`: "/server"} {
				r := put("/api/v1/alerts/routes/"+route, e.admin, body)
				if p := r.problem(t); r.status != http.StatusUnprocessableEntity || len(p.Errors) == 0 || p.Errors[0].Pointer != ptr {
					t.Errorf("route %s: %d %+v, want %s", body, r.status, p.Errors, ptr)
				}
			}
			// Silences: the new end counts from now; who changes it is who set it.
			e.clock.Advance(time.Hour)
			if r := put("/api/v1/alerts/silences/"+silence, e.admin, `{"server": "wsus02.corp.example", "for": "1d", "reason": "disk replaced"}`); r.status != http.StatusNoContent {
				t.Fatalf("put silence: %d %s", r.status, r.body)
			}
			var sl web.SilenceList
			e.do(http.MethodGet, "/api/v1/alerts/silences", e.admin, nil).json(t, &sl)
			if len(sl.Silences) != 1 || sl.Silences[0].Server != "wsus02.corp.example" || sl.Silences[0].Reason != "disk replaced" ||
				!sl.Silences[0].Until.Equal(e.clock.Now().Add(24*time.Hour)) || sl.Silences[0].CreatedBy != "test-admin" {
				t.Errorf("silence after put: %+v", sl.Silences)
			}
			if r := put("/api/v1/alerts/silences/"+silence, e.admin, `{"server": "x", "until": "2020-01-01T00:00:00Z", "reason": "r"}`); r.problem(t).Errors[0].Pointer != "/until" {
				t.Errorf("a silence ending in the past: %d %s", r.status, r.body)
			}
			// Windows: who added it stays.
			if r := put("/api/v1/alerts/windows/"+window, e.admin, `{"name": "Patch Tuesday night", "every": "month", "week": 2, "weekday": "Wednesday", "start": "01:00", "duration": "4h", "time_zone": "Europe/Berlin"}`); r.status != http.StatusNoContent {
				t.Fatalf("put window: %d %s", r.status, r.body)
			}
			var wl web.WindowList
			e.do(http.MethodGet, "/api/v1/alerts/windows", e.admin, nil).json(t, &wl)
			if len(wl.Windows) != 1 || wl.Windows[0].Describe() != "the second Wednesday of every month at 01:00 Europe/Berlin for 4h" || wl.Windows[0].CreatedBy != "test-admin" {
				t.Errorf("window after put: %+v", wl.Windows)
			}
			if r := put("/api/v1/alerts/windows/"+window, e.admin, `{"name": "x", "every": "week", "weekday": "Caturday", "start": "22:00", "duration": "6h"}`); r.problem(t).Errors[0].Pointer != "/weekday" {
				t.Errorf("a bad weekday: %d %s", r.status, r.body)
			}
			e.do(http.MethodGet, "/api/v1/alerts/windows", e.admin, nil).json(t, &wl)
			if wl.Windows[0].Weekday != "Wednesday" {
				t.Errorf("a refused put changed the window: %+v", wl.Windows[0])
			}
			// Unknown ids, unknown fields, and who may.
			for _, path := range []string{"/api/v1/alerts/routes/99", "/api/v1/alerts/silences/99", "/api/v1/alerts/windows/99"} {
				body := map[string]string{"routes": `{"notifier": 1}`, "silences": `{"for": "1h", "reason": "r"}`, "windows": `{"name": "n", "every": "day", "start": "22:00", "duration": "1h"}`}[strings.Split(path, "/")[4]]
				if r := put(path, e.admin, body); r.status != http.StatusNotFound {
					t.Errorf("%s: %d %s", path, r.status, r.body)
				}
				if r := put(path, e.read, body); r.status != http.StatusForbidden {
					t.Errorf("%s as a reader: %d", path, r.status)
				}
			}
			if r := put("/api/v1/alerts/routes/"+route, e.admin, `{"notifier": 1, "colour": "red"}`); r.status != http.StatusBadRequest && r.status != http.StatusUnprocessableEntity {
				t.Errorf("an unknown field: %d", r.status)
			}
		})
	}
}

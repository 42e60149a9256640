package web_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/rules"
	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
	"github.com/wsusfleet/wsusfleet/web"
)

// scrape reads /metrics with the Prometheus text parser.
func scrape(t *testing.T, e *env, token string) map[string]*dto.MetricFamily {
	t.Helper()
	r := e.do(http.MethodGet, "/metrics", token, nil)
	if r.status != http.StatusOK {
		t.Fatalf("/metrics: %d %s", r.status, r.body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(r.body))
	if err != nil {
		t.Fatalf("parse /metrics: %v\n%s", err, r.body)
	}
	return fams
}

// value finds the sample of family name whose labels include want.
func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	t.Helper()
	f, ok := fams[name]
	if !ok {
		return 0, false
	}
next:
	for _, m := range f.Metric {
		labels := map[string]string{}
		for _, l := range m.Label {
			labels[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if labels[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

func TestMetrics(t *testing.T) {
	m := web.NewMetrics()
	e := newEnvWith(t, web.Config{ReadAuth: web.ReadAuthToken, Metrics: m}, store.Options{Diagnose: rules.Diagnose, Observer: m})
	r := storetest.PoolStoppedReport("m1", "wsus-west.corp.example", storetest.T0, true,
		storetest.Clients(40, storetest.T0, func(i int) time.Duration { return time.Duration(i%2) * 10 * 24 * time.Hour }))
	if res := e.post("/api/v1/reports", e.ingest, r); res.status != http.StatusCreated {
		t.Fatalf("report: %d %s", res.status, res.body)
	}
	e.post("/api/v1/reports", e.ingest, r) // a replay
	bad := *r
	bad.ID = "m2"
	bad.Schema = "nope"
	e.post("/api/v1/reports", e.ingest, &bad)
	e.do(http.MethodPost, "/api/v1/servers/wsus-west.corp.example/evidence/iislog", e.ingest, strings.NewReader("not a log"))
	if _, _, err := e.st.Settle(t.Context()); err != nil {
		t.Fatal(err)
	}
	e.do(http.MethodGet, "/api/v1/servers/wsus-west.corp.example", e.read, nil)

	if res := e.do(http.MethodGet, "/metrics", "", nil); res.status != http.StatusUnauthorized {
		t.Errorf("with read auth on, /metrics needs a token: %d", res.status)
	}
	if res := e.do(http.MethodGet, "/metrics", e.ingest, nil); res.status != http.StatusForbidden {
		t.Errorf("an ingest token scrapes: %d", res.status)
	}
	fams := scrape(t, e, e.read)
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64 // -1: present and positive
	}{
		{"wsusfleet_http_requests_total", map[string]string{"route": "/api/v1/reports", "method": "POST", "code": "201"}, 1},
		{"wsusfleet_http_requests_total", map[string]string{"route": "/api/v1/servers/{name}", "method": "GET", "code": "200"}, 1},
		{"wsusfleet_http_request_duration_seconds", map[string]string{"route": "/api/v1/reports", "method": "POST"}, 3},
		{"wsusfleet_ingest_total", map[string]string{"kind": "report", "outcome": "stored"}, 1},
		{"wsusfleet_ingest_total", map[string]string{"kind": "report", "outcome": "replayed"}, 1},
		{"wsusfleet_ingest_total", map[string]string{"kind": "report", "outcome": "rejected"}, 1},
		{"wsusfleet_ingest_total", map[string]string{"kind": "evidence_iislog", "outcome": "rejected"}, 1},
		{"wsusfleet_store_write_batch_size", nil, -1},
		{"wsusfleet_store_commit_seconds", nil, -1},
		{"wsusfleet_store_write_queue_depth", nil, 0},
		{"wsusfleet_settle_lag_seconds", nil, 0},
		{"wsusfleet_server_status", map[string]string{"server": "wsus-west.corp.example", "status": "critical"}, 1},
		{"wsusfleet_server_status", map[string]string{"server": "wsus-west.corp.example", "status": "ok"}, 0},
		{"wsusfleet_server_clients", map[string]string{"server": "wsus-west.corp.example"}, 40},
		{"wsusfleet_server_client_gaps", map[string]string{"server": "wsus-west.corp.example", "category": "stale_report"}, 20},
		{"wsusfleet_fleet_client_gaps", map[string]string{"category": "stale_report"}, 20},
		{"wsusfleet_open_findings", map[string]string{"server": "wsus-west.corp.example", "rule": "wsuspool_stopped", "severity": "critical"}, 1},
		{"wsusfleet_vdir_checks", map[string]string{"server": "wsus-west.corp.example", "vdir": "ClientWebService", "vantage": "server", "verdict": "fault"}, 1},
		{"wsusfleet_notifications_pending", nil, 0},
		{"wsusfleet_alerts_firing", map[string]string{"severity": "critical"}, 0},
		{"wsusfleet_metrics_store_up", nil, 1},
		{"go_goroutines", nil, -1},
		{"process_resident_memory_bytes", nil, -1},
	} {
		got, ok := value(t, fams, c.name, c.labels)
		switch {
		case !ok:
			t.Errorf("%s%v: no such series", c.name, c.labels)
		case c.want == -1 && got <= 0, c.want != -1 && got != c.want:
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	// No label names a client or holds a raw path.
	for name, f := range fams {
		for _, m := range f.Metric {
			for _, l := range m.Label {
				if strings.Contains(l.GetValue(), "pc000") || (l.GetName() == "route" && strings.Contains(l.GetValue(), "wsus-west")) {
					t.Errorf("%s has a per-client or per-path label %s=%q", name, l.GetName(), l.GetValue())
				}
			}
		}
	}
}

// TestMonitoringDoc: the Grafana dashboard in docs/monitoring.md is valid
// JSON, and every metric it or the alert rules query exists.
func TestMonitoringDoc(t *testing.T) {
	doc, err := os.ReadFile("../docs/monitoring.md")
	if err != nil {
		t.Fatal(err)
	}
	m := web.NewMetrics()
	e := newEnvWith(t, web.Config{Metrics: m}, store.Options{Diagnose: rules.Diagnose, Observer: m})
	r := storetest.PoolStoppedReport("d1", "wsus-west.corp.example", storetest.T0, true, storetest.Clients(3, storetest.T0, func(int) time.Duration { return time.Hour }))
	e.post("/api/v1/reports", e.ingest, r)
	e.do(http.MethodGet, "/api/v1/servers/wsus-west.corp.example", "", nil)
	known := map[string]bool{}
	for name, f := range scrape(t, e, "") {
		known[name] = true
		if f.GetType() == dto.MetricType_HISTOGRAM {
			for _, s := range []string{"_bucket", "_sum", "_count"} {
				known[name+s] = true
			}
		}
	}
	// Metrics that exist once something happened: deliveries.
	for _, name := range []string{"wsusfleet_notifier_deliveries_total", "wsusfleet_notifier_delivery_seconds_bucket", "wsusfleet_notifier_delivery_seconds_count", "wsusfleet_notifier_delivery_seconds_sum"} {
		known[name] = true
	}
	blocks := regexp.MustCompile("(?s)```(json|yaml)\n(.*?)```").FindAllStringSubmatch(string(doc), -1)
	var dashboards int
	metric := regexp.MustCompile(`\b(wsusfleet_[a-z_]+|go_[a-z_]+|process_[a-z_]+)\b`)
	for _, b := range blocks {
		if b[1] == "json" && strings.Contains(b[2], `"schema": "wsusfleet.notification.v1"`) {
			// The documented webhook body is a real notification document.
			dec := json.NewDecoder(strings.NewReader(b[2]))
			dec.DisallowUnknownFields()
			var n probes.Notification
			if err := dec.Decode(&n); err != nil || n.Schema != probes.SchemaNotification || n.Explains.Summary == "" {
				t.Errorf("the documented webhook body does not decode as a notification: %v", err)
			}
			continue
		}
		if b[1] == "json" {
			var dash struct {
				Title  string `json:"title"`
				Panels []struct {
					Title   string `json:"title"`
					Targets []struct {
						Expr string `json:"expr"`
					} `json:"targets"`
				} `json:"panels"`
			}
			if err := json.Unmarshal([]byte(b[2]), &dash); err != nil {
				t.Fatalf("the dashboard JSON does not parse: %v", err)
			}
			dashboards++
			if len(dash.Panels) < 6 {
				t.Errorf("dashboard %q has %d panels", dash.Title, len(dash.Panels))
			}
			for _, p := range dash.Panels {
				if len(p.Targets) == 0 && !strings.HasPrefix(p.Title, "Row") {
					t.Errorf("panel %q queries nothing", p.Title)
				}
				for _, tg := range p.Targets {
					if len(metric.FindAllString(tg.Expr, -1)) == 0 {
						t.Errorf("panel %q: %q names no metric", p.Title, tg.Expr)
					}
				}
			}
		}
		for _, name := range metric.FindAllString(b[2], -1) {
			if !known[name] {
				t.Errorf("docs/monitoring.md queries %s, which /metrics does not export", name)
			}
		}
	}
	if dashboards != 1 {
		t.Errorf("want one Grafana dashboard JSON block, found %d", dashboards)
	}
	if !slices.ContainsFunc(blocks, func(b []string) bool { return strings.Contains(b[2], "scrape_configs") }) ||
		!slices.ContainsFunc(blocks, func(b []string) bool { return strings.Contains(b[2], "alert:") }) {
		t.Error("docs/monitoring.md needs a scrape config and alert rules")
	}
}

package web

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/wsusfleet/wsusfleet/probes"
)

// Metrics is wsusfleet's Prometheus registry and the instruments the web
// layer and the store's writer feed. Labels are bounded by routes, servers,
// vDirs and rules: never a client.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	ingest   *prometheus.CounterVec
	batch    prometheus.Histogram
	commit   prometheus.Histogram
	commitEr prometheus.Counter
}

// NewMetrics makes the registry with the Go runtime and process collectors.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "wsusfleet_http_requests_total",
			Help: "HTTP requests by route pattern, method and status code."}, []string{"route", "method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "wsusfleet_http_request_duration_seconds",
			Help: "HTTP request latency by route pattern and method.", Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}},
			[]string{"route", "method"}),
		ingest: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "wsusfleet_ingest_total",
			Help: "Documents posted, by kind and outcome (stored, replayed, rejected, failed)."}, []string{"kind", "outcome"}),
		batch: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "wsusfleet_store_write_batch_size",
			Help: "Writes committed together in one transaction (the SQLite writer's batches; PostgreSQL's groups of small reports and of client reports).", Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256}}),
		commit: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "wsusfleet_store_commit_seconds",
			Help: "Time from a write transaction's begin to its commit.", Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 12)}),
		commitEr: prometheus.NewCounter(prometheus.CounterOpts{Name: "wsusfleet_store_commit_errors_total", Help: "Write transactions that failed."}),
	}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.latency, m.ingest, m.batch, m.commit, m.commitEr)
	return m
}

// Registry is where other parts (the notify dispatcher) register their metrics.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Committed observes one write transaction of the store (store.WriteObserver).
func (m *Metrics) Committed(writes int, took time.Duration, err error) {
	m.batch.Observe(float64(writes))
	m.commit.Observe(took.Seconds())
	if err != nil {
		m.commitEr.Inc()
	}
}

// MetricsStore is what the exported fleet state is read from.
type MetricsStore interface {
	MetricsSnapshot(ctx context.Context) (probes.FleetMetrics, error)
	WriteQueueDepth() int
}

// watchStore registers the collectors that read the store at scrape time.
func (m *Metrics) watchStore(st MetricsStore) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "wsusfleet_store_write_queue_depth",
		Help: "Writes waiting for the SQLite writer."}, func() float64 { return float64(st.WriteQueueDepth()) }))
	m.reg.MustRegister(&fleetCollector{st: st})
}

// fleetCollector exports the stored fleet state. A snapshot is a few small
// queries over kept counts; it is reused for a few seconds so several
// scrapers do not multiply them.
type fleetCollector struct {
	st   MetricsStore
	mu   sync.Mutex
	at   time.Time
	last probes.FleetMetrics
	err  error
}

var (
	descServerStatus = prometheus.NewDesc("wsusfleet_server_status", "1 for the server's current status (ok, warning, critical, unknown).", []string{"server", "status"}, nil)
	descClients      = prometheus.NewDesc("wsusfleet_server_clients", "Clients on the server's list.", []string{"server"}, nil)
	descServerGaps   = prometheus.NewDesc("wsusfleet_server_client_gaps", "Clients per reporting-gap category, per server.", []string{"server", "category"}, nil)
	descFleetGaps    = prometheus.NewDesc("wsusfleet_fleet_client_gaps", "Clients per reporting-gap category across the fleet (unassigned clients included).", []string{"category"}, nil)
	descFindings     = prometheus.NewDesc("wsusfleet_open_findings", "Open findings by server, rule and severity.", []string{"server", "rule", "severity"}, nil)
	descVDirs        = prometheus.NewDesc("wsusfleet_vdir_checks", "The latest vDir checks per server, vDir, vantage and verdict (ok, warning, fault).", []string{"server", "vdir", "vantage", "verdict"}, nil)
	descSettleLag    = prometheus.NewDesc("wsusfleet_settle_lag_seconds", "How long the oldest pending derived-state work (gap classification, diagnosis) has waited.", nil, nil)
	descOutbox       = prometheus.NewDesc("wsusfleet_notifications_pending", "Notifications waiting in the outbox for delivery.", nil, nil)
	descFiring       = prometheus.NewDesc("wsusfleet_alerts_firing", "Firing root-cause alerts by severity.", []string{"severity"}, nil)
	descScrapeErr    = prometheus.NewDesc("wsusfleet_metrics_store_up", "1 when the stored state could be read for this scrape.", nil, nil)
)

func (c *fleetCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descServerStatus, descClients, descServerGaps, descFleetGaps, descFindings, descVDirs, descSettleLag, descOutbox, descFiring, descScrapeErr} {
		ch <- d
	}
}

// snapshotTTL is how long a snapshot is reused.
const snapshotTTL = 5 * time.Second

func (c *fleetCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	if time.Since(c.at) > snapshotTTL {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c.last, c.err = c.st.MetricsSnapshot(ctx)
		cancel()
		c.at = time.Now()
	}
	m, err := c.last, c.err
	c.mu.Unlock()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	if err != nil {
		gauge(descScrapeErr, 0)
		return
	}
	gauge(descScrapeErr, 1)
	for _, s := range m.Servers {
		for _, st := range []string{probes.StatusOK, probes.StatusWarning, probes.StatusCritical, probes.StatusUnknown} {
			gauge(descServerStatus, b2f(s.Status == st), s.Name, st)
		}
		gauge(descClients, float64(s.Clients), s.Name)
		for _, cat := range probes.GapCategories() {
			gauge(descServerGaps, float64(s.Gaps[cat]), s.Name, cat)
		}
		for _, f := range s.Findings {
			gauge(descFindings, float64(f.Count), s.Name, f.Rule, f.Severity)
		}
		for _, v := range s.VDirs {
			gauge(descVDirs, float64(v.Count), s.Name, v.VDir, v.Vantage, v.Verdict)
		}
	}
	for _, cat := range probes.GapCategories() {
		gauge(descFleetGaps, float64(m.FleetGaps[cat]), cat)
	}
	gauge(descSettleLag, m.SettleLag.Seconds())
	gauge(descOutbox, float64(m.PendingDeliveries))
	for _, sev := range []string{probes.SeverityWarning, probes.SeverityCritical} {
		gauge(descFiring, float64(m.FiringAlerts[sev]), sev)
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// metricsHandler serves the exposition (GET /metrics).
func (a *app) metricsHandler() http.Handler {
	return promhttp.HandlerFor(a.metrics.reg, promhttp.HandlerOpts{ErrorLog: nil, Timeout: 30 * time.Second})
}

// ingestKinds maps the routes that take documents to their kind label.
var ingestKinds = map[string]string{
	"/api/v1/reports":        "report",
	"/api/v1/client-reports": "client_report",
	"/api/v1/inventory":      "inventory",
}

// evidenceKinds bounds the evidence kind label to known kinds.
var evidenceKinds = []string{"iislog", "procmon", "apphost", "computers", "httperr", "events", "softwaredistributionlog", "auto", "regquery", "windowsupdatelog"}

// observe counts every request by its route pattern (never its path, which
// holds server and client names) and ingest posts by kind and outcome.
func (a *app) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw, ok := w.(*statusWriter) // logRequests's, when it runs first
		if !ok {
			sw = &statusWriter{ResponseWriter: w}
		}
		next.ServeHTTP(sw, r)
		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		route := "unmatched"
		if rc := chi.RouteContext(r.Context()); rc != nil {
			if p := rc.RoutePattern(); p != "" { // joined anew on every call
				route = p
			}
		}
		method := r.Method
		switch method {
		case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions:
		default:
			method = "other"
		}
		a.metrics.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
		a.metrics.latency.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
		if r.Method != http.MethodPost {
			return
		}
		kind, ok := ingestKinds[route]
		if !ok && strings.HasSuffix(route, "/evidence/{kind}") {
			kind, ok = "evidence_unknown", true
			if k := chi.URLParam(r, "kind"); slices.Contains(evidenceKinds, k) {
				kind = "evidence_" + k
			}
			if strings.HasPrefix(route, "/api/v1/clients/") {
				kind = "client_" + kind
			}
		}
		if ok {
			a.metrics.ingest.WithLabelValues(kind, ingestOutcome(status)).Inc()
		}
	})
}

func ingestOutcome(status int) string {
	switch {
	case status == http.StatusCreated:
		return "stored"
	case status >= 200 && status < 300:
		return "replayed"
	case status >= 500:
		return "failed"
	}
	return "rejected"
}

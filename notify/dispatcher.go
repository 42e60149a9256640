package notify

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wsusfleet/wsusfleet/probes"
)

// Store is what the dispatcher needs from persistence; *store.Store has it.
type Store interface {
	ClaimNotifications(ctx context.Context, holder string, limit int, lease time.Duration) ([]probes.OutboxItem, error)
	FinishNotification(ctx context.Context, id int64, holder string, r probes.DeliveryResult) error
	AlertTick(ctx context.Context) (int, error)
	PruneAlerts(ctx context.Context, before time.Time) (int64, error)
	NotifierConfig(ctx context.Context, id int64) (probes.NotifierConfig, error)
	RecordTest(ctx context.Context, channel int64, msg probes.Notification, r probes.DeliveryResult) error
}

// Options configure a Dispatcher. Zero values mean the documented defaults.
type Options struct {
	PublicURL  string // base of the links in messages (--public-url)
	Logger     *slog.Logger
	Registerer prometheus.Registerer // where the delivery metrics go (nil: nowhere)
	Poll       time.Duration         // how often the outbox is looked at (1 s)
	Tick       time.Duration         // how often time-driven alert state is judged (15 s)
	Retention  time.Duration         // resolved alerts and finished deliveries are kept this long (30 d)
	Timeout    time.Duration         // one attempt (30 s)
	Parallel   int                   // deliveries sent at once (4)
	TLS        *tls.Config           // trusted roots for receivers (nil: the system's)
	Version    string
}

// Dispatcher drains the outbox: it claims due deliveries (a lease in the
// database, so instances sharing it never send one twice), sends them and
// records the outcome; it also runs the alert tick.
type Dispatcher struct {
	st     Store
	opts   Options
	holder string
	send   *Sender
	log    *slog.Logger
	sent   *prometheus.CounterVec
	took   *prometheus.HistogramVec
}

// New returns a dispatcher over st.
func New(st Store, o Options) *Dispatcher {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.Tick <= 0 {
		o.Tick = 15 * time.Second
	}
	if o.Retention <= 0 {
		o.Retention = 30 * 24 * time.Hour
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.Parallel <= 0 {
		o.Parallel = 4
	}
	if o.Version == "" {
		o.Version = "dev"
	}
	host, _ := os.Hostname()
	b := make([]byte, 4)
	rand.Read(b)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = o.TLS
	d := &Dispatcher{st: st, opts: o, holder: host + "-" + hex.EncodeToString(b), log: o.Logger,
		send: &Sender{HTTP: &http.Client{Transport: tr, Timeout: o.Timeout,
			// A receiver may redirect; a redirect to another host would carry the body elsewhere.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
			TLS: o.TLS, Version: o.Version, Timeout: o.Timeout},
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "wsusfleet_notifier_deliveries_total",
			Help: "Delivery attempts by channel, kind and outcome (sent, retry: failed and retried later, failed: given up)."}, []string{"channel", "kind", "outcome"}),
		took: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "wsusfleet_notifier_delivery_seconds",
			Help: "Time a receiver took to answer a delivery attempt.", Buckets: prometheus.ExponentialBuckets(0.05, 2, 10)}, []string{"kind"}),
	}
	if o.Registerer != nil {
		o.Registerer.MustRegister(d.sent, d.took)
	}
	return d
}

// lease is how long a claimed delivery is this instance's: one attempt and
// a margin; after it another instance may take the delivery over.
func (d *Dispatcher) lease() time.Duration { return 2*d.opts.Timeout + 30*time.Second }

// Run delivers until ctx ends, then lets the attempts in flight finish.
func (d *Dispatcher) Run(ctx context.Context) {
	poll := time.NewTicker(d.opts.Poll)
	defer poll.Stop()
	var lastTick, lastPrune time.Time
	for {
		if time.Since(lastTick) >= d.opts.Tick {
			lastTick = time.Now()
			if _, err := d.st.AlertTick(ctx); err != nil && ctx.Err() == nil {
				d.log.Warn("judge alerts", "err", err)
			}
		}
		if time.Since(lastPrune) >= time.Hour {
			lastPrune = time.Now()
			if _, err := d.st.PruneAlerts(ctx, time.Now().Add(-d.opts.Retention)); err != nil && ctx.Err() == nil {
				d.log.Warn("prune alerts", "err", err)
			}
		}
		d.Drain(ctx)
		select {
		case <-ctx.Done():
			return
		case <-poll.C:
		}
	}
}

// Drain sends the deliveries due now and returns how many it attempted.
func (d *Dispatcher) Drain(ctx context.Context) int {
	total := 0
	for ctx.Err() == nil {
		items, err := d.st.ClaimNotifications(ctx, d.holder, d.opts.Parallel*4, d.lease())
		if err != nil {
			if ctx.Err() == nil {
				d.log.Warn("claim notifications", "err", err)
			}
			return total
		}
		if len(items) == 0 {
			return total
		}
		slots := make(chan struct{}, d.opts.Parallel)
		var wg sync.WaitGroup
		for _, it := range items {
			slots <- struct{}{}
			wg.Go(func() {
				defer func() { <-slots }()
				d.deliver(context.WithoutCancel(ctx), it)
			})
		}
		wg.Wait()
		total += len(items)
	}
	return total
}

func (d *Dispatcher) deliver(ctx context.Context, it probes.OutboxItem) {
	msg := it.Message
	msg.URL = Link(d.opts.PublicURL, msg)
	start := time.Now()
	r := d.send.Send(ctx, it.Channel, msg)
	d.took.WithLabelValues(it.Channel.Kind).Observe(time.Since(start).Seconds())
	outcome := "sent"
	switch {
	case !r.OK && r.Retry.IsZero():
		outcome = "failed"
	case !r.OK:
		outcome = "retry"
	}
	d.sent.WithLabelValues(it.Channel.Name, it.Channel.Kind, outcome).Inc()
	// The channel's name and kind only: its URL and secrets never reach a log.
	log := d.log.With("channel", it.Channel.Name, "kind", it.Channel.Kind, "event_id", msg.ID, "attempt", it.Attempts+1)
	if r.OK {
		log.Info("notification sent", "server", msg.Server, "rule", msg.Rule, "event", msg.Event)
	} else {
		log.Warn("notification not delivered", "answer", r.Answer, "retry", !r.Retry.IsZero())
	}
	if err := d.st.FinishNotification(ctx, it.ID, d.holder, r); err != nil {
		d.log.Warn("record delivery", "err", err, "event_id", msg.ID)
	}
}

// Test sends a test message to one channel now and returns the receiver's
// answer; it is kept in the delivery history too.
func (d *Dispatcher) Test(ctx context.Context, channel int64, by string) (probes.DeliveryResult, error) {
	ch, err := d.st.NotifierConfig(ctx, channel)
	if err != nil {
		return probes.DeliveryResult{}, err
	}
	now := time.Now().UTC()
	msg := probes.Notification{Schema: probes.SchemaNotification, ID: probes.NewID(), Event: probes.EventFiring, Test: true,
		Severity: probes.SeverityWarning, Rule: "test", Server: "wsus01.corp.example",
		Title:    "Test notification from wsusfleet (sent by " + by + ")",
		Summary:  "If you read this, the channel " + ch.Name + " works. Real messages name one root cause with its evidence, first fix step and what it explains.",
		Evidence: []probes.Evidence{{Fact: "sent from the alert settings", Source: "wsusfleet", At: now}},
		Fix:      probes.Step{Text: "Nothing to fix: this is a test."},
		Explains: probes.Explains{Clients: map[string]int64{}, Findings: []probes.Symptom{}},
		Since:    now, At: now}
	msg.URL = Link(d.opts.PublicURL, msg)
	r := d.send.Send(ctx, ch, msg)
	d.sent.WithLabelValues(ch.Name, ch.Kind, map[bool]string{true: "sent", false: "failed"}[r.OK]).Inc()
	if err := d.st.RecordTest(ctx, channel, msg, r); err != nil {
		return r, err
	}
	return r, nil
}

package probes

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"
)

// Notification is what a channel is told: one root cause (or its
// resolution) on one server, with the strongest evidence, the first fix step
// and what it explains. It is the generic webhook's body, versioned by
// Schema; the other channels render it.
type Notification struct {
	Schema   string     `json:"schema"`
	ID       string     `json:"id"`    // stable: the same on every channel and every retry (deduplicate on it)
	Event    string     `json:"event"` // firing or resolved
	Alert    int64      `json:"alert"` // the alert this is about: its firing, reminders and resolution share it
	Server   string     `json:"server"`
	Severity string     `json:"severity"`
	Rule     string     `json:"rule"`
	Subject  string     `json:"subject,omitempty"`
	Title    string     `json:"title"`
	Summary  string     `json:"summary,omitempty"`
	Evidence []Evidence `json:"evidence"`
	Fix      Step       `json:"fix"`
	Explains Explains   `json:"explains"`
	URL      string     `json:"url"`   // the server's page (absolute with --public-url)
	Since    time.Time  `json:"since"` // when the cause was first seen
	At       time.Time  `json:"at"`    // when this event happened
	Reminder bool       `json:"reminder,omitempty"`
	Test     bool       `json:"test,omitempty"`
}

// Explains is what a cause explains: symptoms that are not notified on their
// own but ride in its message, and recover with it.
type Explains struct {
	Summary  string           `json:"summary"`  // e.g. "3,151 stale clients, sync of wsus-west-replica"; "" when nothing
	Clients  map[string]int64 `json:"clients"`  // clients per gap category it keeps from reporting
	Findings []Symptom        `json:"findings"` // findings on this or other servers it explains
}

// Symptom is a finding explained by a cause.
type Symptom struct {
	Server string `json:"server"`
	Rule   string `json:"rule"`
	Title  string `json:"title"`
}

// Add records a symptom once.
func (e *Explains) Add(s Symptom) {
	if !slices.Contains(e.Findings, s) {
		e.Findings = append(e.Findings, s)
	}
	e.summarize()
}

// SetClients records the clients a cause keeps from reporting (per category).
func (e *Explains) SetClients(counts map[string]int64) {
	e.Clients = map[string]int64{}
	for c, n := range counts {
		if n > 0 {
			e.Clients[c] = n
		}
	}
	e.summarize()
}

// Merge keeps what another judgement of the same cause explained too.
func (e *Explains) Merge(o Explains) {
	for c, n := range o.Clients {
		if e.Clients == nil {
			e.Clients = map[string]int64{}
		}
		if _, ok := e.Clients[c]; !ok {
			e.Clients[c] = n
		}
	}
	for _, s := range o.Findings {
		if !slices.Contains(e.Findings, s) {
			e.Findings = append(e.Findings, s)
		}
	}
	e.summarize()
}

// ClientTotal is the number of clients explained.
func (e Explains) ClientTotal() int64 {
	var n int64
	for _, c := range e.Clients {
		n += c
	}
	return n
}

var clientWords = map[string]string{
	GapStaleReport: "stale clients", GapNeverReported: "clients that never reported",
	GapScanOKReportStale: "clients whose status reports do not arrive",
}

func (e *Explains) summarize() {
	var parts []string
	for _, c := range GapCategories() {
		if n := e.Clients[c]; n > 0 {
			w, ok := clientWords[c]
			if !ok {
				w = "clients in " + c
			}
			parts = append(parts, FormatCount(n)+" "+w)
		}
	}
	for _, s := range e.Findings {
		switch s.Rule {
		case "sync_failing", "sync_stale":
			parts = append(parts, "sync of "+s.Server)
		default:
			parts = append(parts, s.Title+" on "+s.Server)
		}
	}
	e.Summary = strings.Join(parts, ", ")
}

// Headline is the message's one-line subject.
func (n Notification) Headline() string {
	var prefix string
	switch {
	case n.Test:
		return "[test] " + n.Title
	case n.Event == EventResolved:
		prefix = "[resolved] "
	case n.Reminder:
		prefix = "[still " + n.Severity + "] "
	default:
		prefix = "[" + n.Severity + "] "
	}
	where := n.Server
	if where == "" {
		where = "fleet"
	}
	return prefix + where + ": " + n.Title
}

// ExplainsLine is the "explains" sentence, or "" when it explains nothing:
// what a firing cause holds up, what recovers with a resolved one.
func (n Notification) ExplainsLine() string {
	if n.Explains.Summary == "" {
		return ""
	}
	if n.Event == EventResolved {
		return "Recovered with it: " + n.Explains.Summary + " (clients report again at their next detection, within a day)."
	}
	return "Explains: " + n.Explains.Summary + "."
}

// Alert states: pending until the failure threshold of consecutive
// judgements is reached, firing until the success threshold of judgements
// without it, then resolved.
const (
	AlertPending  = "pending"
	AlertFiring   = "firing"
	AlertResolved = "resolved"
)

// RuleServerUnknown is the alert of a server nothing was heard from.
const RuleServerUnknown = "server_unknown"

// Alert is one root cause's life: from the judgement that first saw it to
// the one that saw it gone.
type Alert struct {
	ID         int64        `json:"id"`
	Server     string       `json:"server"` // "" for a fleet-wide gap threshold
	Rule       string       `json:"rule"`
	Subject    string       `json:"subject,omitempty"`
	Severity   string       `json:"severity"`
	Title      string       `json:"title"`
	State      string       `json:"state"`
	Judgements int          `json:"judgements"` // consecutive judgements that saw it (or, while resolving, did not)
	Muted      string       `json:"muted,omitempty"`
	OpenedAt   time.Time    `json:"opened_at"`
	NotifiedAt *time.Time   `json:"notified_at,omitempty"`
	ResolvedAt *time.Time   `json:"resolved_at,omitempty"`
	AckedAt    *time.Time   `json:"acked_at,omitempty"`
	AckedBy    string       `json:"acked_by,omitempty"`
	Message    Notification `json:"message"`
}

// Delivery states.
const (
	DeliveryPending = "pending" // waiting for its first or next attempt
	DeliverySending = "sending" // claimed by an instance
	DeliverySent    = "sent"
	DeliveryFailed  = "failed" // given up: the receiver refused it or stayed down
)

// Delivery is one notification to one channel, as the history shows it.
type Delivery struct {
	ID          int64      `json:"id"`
	EventID     string     `json:"event_id"`
	Event       string     `json:"event"`
	Reminder    bool       `json:"reminder,omitempty"`
	Test        bool       `json:"test,omitempty"`
	Notifier    int64      `json:"notifier"`
	Channel     string     `json:"channel"`
	Kind        string     `json:"kind"`
	Server      string     `json:"server"`
	Severity    string     `json:"severity"`
	Rule        string     `json:"rule"`
	Title       string     `json:"title"`
	State       string     `json:"state"`
	Attempts    int        `json:"attempts"`
	Answer      string     `json:"answer"` // the receiver's last answer
	CreatedAt   time.Time  `json:"created_at"`
	NextAttempt *time.Time `json:"next_attempt,omitempty"`
	SentAt      *time.Time `json:"sent_at,omitempty"`
}

// DeliveryQuery selects delivery history, newest first.
type DeliveryQuery struct {
	State  string // "" for every state
	Before int64  // only ids below (the next page)
	Limit  int
}

// OutboxItem is a delivery claimed for sending: the stored body (signed as
// is) and the channel with its secrets.
type OutboxItem struct {
	ID       int64
	Attempts int // before this one
	Created  time.Time
	Body     []byte
	Message  Notification
	Channel  NotifierConfig
}

// DeliveryResult is how an attempt ended.
type DeliveryResult struct {
	OK     bool
	Answer string    // what the receiver said (status and the start of its body, or the error)
	Retry  time.Time // when not OK and worth retrying: when; zero gives up
}

// GapThreshold notifies when a gap category holds more clients than an
// admin tolerates, on one server or across the fleet.
type GapThreshold struct {
	Category string  `json:"category" v:"required,enum=gap"`
	Scope    string  `json:"scope,omitempty" v:"max=10"`            // server (default) or fleet
	MinCount int64   `json:"min_count,omitempty" v:"min=0"`         // at least this many clients
	MinShare float64 `json:"min_share,omitempty" v:"min=0,max=100"` // and at least this percent of the clients
	Severity string  `json:"severity,omitempty" v:"max=10"`         // warning (default) or critical
}

// Crossed reports whether count of total clients crosses the threshold.
func (g GapThreshold) Crossed(count, total int64) bool {
	if count <= 0 || count < g.MinCount {
		return false
	}
	if g.MinShare > 0 && (total <= 0 || float64(count)*100 < g.MinShare*float64(total)) {
		return false
	}
	return true
}

// AlertSettings are the fleet's noise control, kept in the database so
// every instance applies the same.
type AlertSettings struct {
	FailureThreshold int            `json:"failure_threshold" v:"min=1,max=100"`
	SuccessThreshold int            `json:"success_threshold" v:"min=1,max=100"`
	ReminderInterval string         `json:"reminder_interval" v:"max=10"` // 0 turns reminders off
	RetryAfter       string         `json:"retry_after" v:"max=10"`       // first retry of a failed delivery; doubles up to 1 h
	GiveUpAfter      string         `json:"give_up_after" v:"max=10"`     // a delivery still failing this long after it was queued fails for good
	GapThresholds    []GapThreshold `json:"gap_thresholds" v:"max=50"`
}

// DefaultAlertSettings are sensible for a real fleet: a cause must be seen
// by two judgements in a row (a judgement follows each report, probe or
// change of the server's clients, so two reports within seconds can fire
// it) and be gone for two before it resolves; a daily reminder while
// nobody has acknowledged it; deliveries retried from 30 s, doubling, for a
// day. A server notifies stale clients when a quarter of them (and at least
// 25) are stale for a reason no open cause explains.
func DefaultAlertSettings() AlertSettings {
	return AlertSettings{FailureThreshold: 2, SuccessThreshold: 2, ReminderInterval: "24h", RetryAfter: "30s", GiveUpAfter: "24h",
		GapThresholds: []GapThreshold{
			{Category: GapStaleReport, Scope: "server", MinCount: 25, MinShare: 25, Severity: SeverityWarning},
			{Category: GapNeverReported, Scope: "server", MinCount: 25, MinShare: 10, Severity: SeverityWarning},
			{Category: GapDuplicateID, Scope: "fleet", MinCount: 10, Severity: SeverityWarning},
		}}
}

// Validate checks the settings and fills in defaults of what is absent.
func (a *AlertSettings) Validate(now time.Time) error {
	var p problems
	validateStruct(reflect.ValueOf(a), "", now, &p)
	checkAge := func(ptr, v string, min, max time.Duration) {
		d, err := ParseAge(v)
		if err != nil || (d != 0 && (d < min || d > max)) {
			p.add(ptr, "must be an age from %s to %s like 30s, 4h or 1d; got %q", FormatAge(min), FormatAge(max), v)
		}
	}
	checkAge("/reminder_interval", a.ReminderInterval, time.Minute, 30*24*time.Hour)
	checkAge("/retry_after", a.RetryAfter, time.Second, time.Hour)
	checkAge("/give_up_after", a.GiveUpAfter, time.Minute, 7*24*time.Hour)
	for i := range a.GapThresholds {
		g := &a.GapThresholds[i]
		if g.Scope == "" {
			g.Scope = "server"
		}
		if g.Severity == "" {
			g.Severity = SeverityWarning
		}
		if g.Scope != "server" && g.Scope != "fleet" {
			p.add(fmt.Sprintf("/gap_thresholds/%d/scope", i), "must be server or fleet; got %q", g.Scope)
		}
		if !alertSeverity(g.Severity) {
			p.add(fmt.Sprintf("/gap_thresholds/%d/severity", i), "must be warning or critical; got %q", g.Severity)
		}
		if g.MinCount <= 0 && g.MinShare <= 0 {
			p.add(fmt.Sprintf("/gap_thresholds/%d/min_count", i), "give min_count, min_share or both")
		}
	}
	return p.err()
}

// Durations of the settings (validated ones parse).
func (a AlertSettings) Reminder() time.Duration { d, _ := ParseAge(a.ReminderInterval); return d }

// Retry is the delay before attempt n+1 after n failed ones: doubling from RetryAfter, at most an hour.
func (a AlertSettings) Retry(failed int) time.Duration {
	d, _ := ParseAge(a.RetryAfter)
	if d <= 0 {
		d = 30 * time.Second
	}
	for i := 1; i < failed && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

// GiveUp is how long a delivery is retried.
func (a AlertSettings) GiveUp() time.Duration { d, _ := ParseAge(a.GiveUpAfter); return d }

// CauseRef names an open cause: a rule on a server.
type CauseRef struct {
	Server string
	Rule   string
}

// AlertCauseOf is the one place that decides "root cause" for alerts: a
// finding is a symptom, not notified on its own, when an open cause explains
// it. The rules name the cause (see Finding's causality): on the same server
// when Cause is one of this diagnosis's findings, on another server when
// CauseServer says so. A failing synchronization is also explained by an
// open critical cause on its upstream (asked through upstream, nil when
// unknown), for replicas whose error text the rules could not tie to it.
func AlertCauseOf(server string, f Finding, all []Finding, upstream func() (CauseRef, bool)) (CauseRef, bool) {
	if ref, ok := f.CauseRef(server); ok && !(ref.Server == server && ref.Rule == f.Rule && ref.Subject == f.Subject) {
		if ref.Server != server {
			return CauseRef{Server: ref.Server, Rule: ref.Rule}, true
		}
		for _, o := range all {
			if o.Rule == ref.Rule {
				return CauseRef{Server: server, Rule: ref.Rule}, true
			}
		}
	}
	if f.Rule == "sync_failing" && upstream != nil {
		if c, ok := upstream(); ok && c.Server != server {
			return c, true
		}
	}
	return CauseRef{}, false
}

// Notifiable reports whether a finding notifies on its own when it is a
// root cause: warning or worse, and not a client-gap category (those notify
// through gap thresholds, or ride in the cause that explains them).
func Notifiable(f Finding) bool {
	return SeverityRank(f.Severity) >= SeverityRank(SeverityWarning) && !slices.Contains(GapCategories(), f.Rule)
}

// NewNotification renders a finding as the message about it: its title,
// its two or three strongest facts (the rules list them first) and the
// first fix step.
func NewNotification(server string, f Finding) Notification {
	n := Notification{Schema: SchemaNotification, Event: EventFiring, Server: server, Severity: f.Severity, Rule: f.Rule,
		Subject: f.Subject, Title: f.Title, Summary: f.Summary, Evidence: f.Evidence, Explains: Explains{Clients: map[string]int64{}, Findings: []Symptom{}}}
	if len(n.Evidence) > 3 {
		n.Evidence = slices.Clone(n.Evidence[:3])
	}
	if n.Evidence == nil {
		n.Evidence = []Evidence{}
	}
	if len(f.Remediation) > 0 {
		n.Fix = f.Remediation[0]
	}
	return n
}

// DecodeAlertSettings decodes settings over the defaults: what is left out keeps its default.
func DecodeAlertSettings(data []byte, now time.Time) (*AlertSettings, error) {
	a := DefaultAlertSettings()
	a.GapThresholds = nil
	if err := decodeStrict(data, &a); err != nil {
		return nil, err
	}
	if a.GapThresholds == nil {
		a.GapThresholds = DefaultAlertSettings().GapThresholds
	}
	if err := a.Validate(now); err != nil {
		return nil, err
	}
	return &a, nil
}

package probes

import (
	"fmt"
	"net/mail"
	"net/url"
	"path"
	"reflect"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // maintenance windows name IANA zones; Windows and minimal images have no zoneinfo
)

// Notifications tell people about root causes: one message per cause, with
// what it explains, through channels an admin configures (webhook, Microsoft
// Teams, Slack, email). These are their domain types.

// SchemaNotification names version 1 of the notification document (the
// generic webhook's body).
const SchemaNotification = "wsusfleet.notification.v1"

// Channel kinds.
const (
	NotifierWebhook = "webhook"
	NotifierTeams   = "teams"
	NotifierSlack   = "slack"
	NotifierEmail   = "email"
)

// NotifierKinds lists the channel kinds.
func NotifierKinds() []string {
	return []string{NotifierWebhook, NotifierTeams, NotifierSlack, NotifierEmail}
}

// Events of a notification.
const (
	EventFiring   = "firing"
	EventResolved = "resolved"
)

// Email transport security.
const (
	SMTPStartTLS = "starttls" // plain connection upgraded with STARTTLS (port 587)
	SMTPTLS      = "tls"      // implicit TLS (port 465)
	SMTPNone     = "none"     // no TLS: only for a relay on the same host or network
)

// NotifierInput is a channel as an admin creates it. Its secrets (the
// webhook's signing secret, the SMTP password, and the URLs of Teams and
// Slack, which carry their own token) are write-only: stored, used, never
// shown back or logged.
type NotifierInput struct {
	Name   string         `json:"name" v:"required,max=100"`
	Kind   string         `json:"kind" v:"required,max=20"`
	URL    string         `json:"url,omitempty" v:"max=2048"`
	Secret string         `json:"secret,omitempty" v:"max=1024"`
	Email  *EmailSettings `json:"email,omitempty"`
}

// EmailSettings is how an email channel reaches its SMTP server and whom it writes to.
type EmailSettings struct {
	Host     string   `json:"host" v:"required,max=253,host"`
	Port     int      `json:"port,omitempty" v:"min=0,max=65535"` // default: 587 (starttls), 465 (tls), 25 (none)
	Security string   `json:"security,omitempty" v:"max=10"`      // starttls (default), tls or none
	Username string   `json:"username,omitempty" v:"max=256"`     // with password: SMTP AUTH
	Password string   `json:"password,omitempty" v:"max=1024"`
	From     string   `json:"from" v:"required,max=320"`
	To       []string `json:"to" v:"required,max=50,each=max=320"`
}

// SMTPPort is the port to use: given, or the default of the security mode.
func (e EmailSettings) SMTPPort() int {
	switch {
	case e.Port != 0:
		return e.Port
	case e.Security == SMTPTLS:
		return 465
	case e.Security == SMTPNone:
		return 25
	}
	return 587
}

// Validate checks a channel: its kind, a URL for the web kinds, addresses
// and a security mode for email.
func (n *NotifierInput) Validate(now time.Time) error {
	var p problems
	validateStruct(reflect.ValueOf(n), "", now, &p)
	n.Name = strings.TrimSpace(n.Name)
	if strings.ContainsFunc(n.Name, func(r rune) bool { return badRune(r, false) }) {
		p.add("/name", "contains a control character")
	}
	switch n.Kind {
	case NotifierWebhook, NotifierTeams, NotifierSlack:
		if n.URL == "" {
			p.add("/url", "is required for a %s channel", n.Kind)
		} else if err := checkHTTPURL(n.URL); err != nil {
			p.add("/url", "%s", err.Error())
		}
		if n.Email != nil {
			p.add("/email", "is only for an email channel")
		}
		if n.Secret != "" && n.Kind != NotifierWebhook {
			p.add("/secret", "is only for a webhook channel (Teams and Slack URLs carry their own token)")
		}
	case NotifierEmail:
		if n.URL != "" || n.Secret != "" {
			p.add("/url", "an email channel has no url or secret; give email.host, email.from and email.to")
		}
		if n.Email == nil {
			p.add("/email", "is required for an email channel")
			break
		}
		e := n.Email
		if e.Security == "" {
			e.Security = SMTPStartTLS
		}
		if !slices.Contains([]string{SMTPStartTLS, SMTPTLS, SMTPNone}, e.Security) {
			p.add("/email/security", "must be one of starttls, tls, none; got %q", e.Security)
		}
		if (e.Username == "") != (e.Password == "") {
			p.add("/email/password", "give both username and password for SMTP authentication, or neither")
		}
		if e.Password != "" && e.Security == SMTPNone {
			p.add("/email/security", "a password is never sent without TLS: use starttls or tls")
		}
		if e.From != "" {
			if _, err := mail.ParseAddress(e.From); err != nil {
				p.add("/email/from", "is not an email address: %v", err)
			}
		}
		for i, to := range e.To {
			if _, err := mail.ParseAddress(to); err != nil {
				p.add(fmt.Sprintf("/email/to/%d", i), "is not an email address: %v", err)
			}
		}
	default:
		p.add("/kind", "must be one of %s; got %q", strings.Join(NotifierKinds(), ", "), n.Kind)
	}
	return p.err()
}

// Notifier is a channel as listed: where it sends, never its secrets.
type Notifier struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	Kind      string `json:"kind"`
	Target    string `json:"target"`     // e.g. https://hooks.slack.com/… or ops@corp.example via smtp.corp.example:587
	HasSecret bool   `json:"has_secret"` // a signing secret or SMTP password is set
	// Email is an email channel's settings but its password, so an edit
	// form can show them (the password is kept when left out).
	Email     *EmailTarget `json:"email,omitempty"`
	CreatedAt time.Time    `json:"created_at"`
	CreatedBy string       `json:"created_by,omitempty"`
}

// EmailTarget is an email channel as listed: its settings without the password.
type EmailTarget struct {
	Host     string   `json:"host"`
	Port     int      `json:"port"` // the port used: given, or the security mode's default
	Security string   `json:"security"`
	Username string   `json:"username,omitempty"`
	From     string   `json:"from"`
	To       []string `json:"to"`
}

// NotifierConfig is a channel with its secrets, for sending. Never rendered.
type NotifierConfig struct {
	ID int64
	NotifierInput
}

// View is the channel as listed.
func (c NotifierConfig) View() Notifier {
	n := Notifier{ID: c.ID, Name: c.Name, Kind: c.Kind, HasSecret: c.Secret != ""}
	switch {
	case c.Email != nil:
		n.Target = fmt.Sprintf("%s via %s:%d (%s)", strings.Join(c.Email.To, ", "), c.Email.Host, c.Email.SMTPPort(), c.Email.Security)
		n.HasSecret = c.Email.Password != ""
		n.Email = &EmailTarget{Host: c.Email.Host, Port: c.Email.SMTPPort(), Security: c.Email.Security, Username: c.Email.Username,
			From: c.Email.From, To: slices.Clone(c.Email.To)}
	default:
		n.Target = RedactURL(c.URL)
	}
	return n
}

// RedactURL keeps the scheme and host of a URL: Teams and Slack put their
// token in the path, webhooks often in the query.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "…"
	}
	out := u.Scheme + "://" + u.Host + "/"
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" {
		out += "…"
	}
	return out
}

// Severities a route or threshold may name.
func alertSeverity(s string) bool { return s == SeverityWarning || s == SeverityCritical }

// AlertRoute sends a channel only what matches: with no route a channel
// gets every notification; with routes, what any of them matches.
type AlertRoute struct {
	ID          int64  `json:"id"`
	Notifier    int64  `json:"notifier"`
	MinSeverity string `json:"min_severity,omitempty" v:"max=10"` // warning (default) or critical
	Server      string `json:"server,omitempty" v:"max=253"`      // a name or pattern (wsus-west-*); empty: every server
	Rule        string `json:"rule,omitempty" v:"max=100"`        // a rule id or pattern; empty: every rule
}

// Validate checks the route's patterns and severity.
func (r *AlertRoute) Validate(now time.Time) error {
	var p problems
	validateStruct(reflect.ValueOf(r), "", now, &p)
	if r.Notifier <= 0 {
		p.add("/notifier", "is required: the id of a channel")
	}
	if r.MinSeverity == "" {
		r.MinSeverity = SeverityWarning
	}
	if !alertSeverity(r.MinSeverity) {
		p.add("/min_severity", "must be warning or critical; got %q", r.MinSeverity)
	}
	checkPattern(&p, "/server", r.Server)
	checkPattern(&p, "/rule", r.Rule)
	r.Server = strings.ToLower(strings.TrimSpace(r.Server))
	return p.err()
}

// Matches reports whether the route takes a notification.
func (r AlertRoute) Matches(n Notification) bool {
	return SeverityRank(n.Severity) >= SeverityRank(r.MinSeverity) && MatchPattern(r.Server, n.Server) && MatchPattern(r.Rule, n.Rule)
}

// MatchPattern matches a name against a pattern (shell-style: * and ?, case-insensitive); an empty pattern matches everything.
func MatchPattern(pattern, name string) bool {
	if pattern == "" {
		return true
	}
	ok, err := path.Match(strings.ToLower(pattern), strings.ToLower(name))
	return ok && err == nil
}

func checkPattern(p *problems, ptr, pattern string) {
	if _, err := path.Match(pattern, ""); err != nil {
		p.add(ptr, "is not a valid pattern (use * and ?): %q", pattern)
	}
}

// Silence holds back notifications about a server and/or rule until a time.
type Silence struct {
	ID        int64     `json:"id"`
	Server    string    `json:"server,omitempty" v:"max=253"` // name or pattern; empty: every server
	Rule      string    `json:"rule,omitempty" v:"max=100"`   // rule id or pattern; empty: every rule
	Until     Time      `json:"until" v:"future"`             // or For
	For       string    `json:"for,omitempty" v:"max=20"`     // instead of until: an age like 4h or 2d from now
	Reason    string    `json:"reason" v:"required,max=500"`
	CreatedBy string    `json:"created_by,omitempty"`
	CreatedAt time.Time `json:"created_at,omitzero"`
}

// maxSilence bounds a silence: a forgotten one must not mute a fleet for good.
const maxSilence = 90 * 24 * time.Hour

// Validate checks the silence and resolves For into Until.
func (s *Silence) Validate(now time.Time) error {
	var p problems
	validateStruct(reflect.ValueOf(s), "", now, &p)
	checkPattern(&p, "/server", s.Server)
	checkPattern(&p, "/rule", s.Rule)
	s.Server = strings.ToLower(strings.TrimSpace(s.Server))
	switch {
	case s.For != "" && !s.Until.IsZero():
		p.add("/for", "give until or for, not both")
	case s.For != "":
		d, err := ParseAge(s.For)
		if err != nil || d <= 0 {
			p.add("/for", "is not an age like 4h or 2d")
		} else {
			s.Until = TimeOf(now.Add(d))
		}
	case s.Until.IsZero():
		p.add("/until", "is required (or for: an age like 4h)")
	}
	if !s.Until.IsZero() {
		switch {
		case !s.Until.After(now):
			p.add("/until", "is in the past")
		case s.Until.Sub(now) > maxSilence:
			p.add("/until", "is more than 90 days ahead; use a maintenance window for recurring quiet times")
		}
	}
	if strings.TrimSpace(s.Reason) == "" && s.Reason != "" {
		p.add("/reason", "is required")
	}
	return p.err()
}

// Mutes reports whether the silence holds back a notification at now.
func (s Silence) Mutes(server, rule string, now time.Time) bool {
	return now.Before(s.Until.Time) && MatchPattern(s.Server, server) && MatchPattern(s.Rule, rule)
}

// Recurrences of a maintenance window.
const (
	EveryDay   = "day"
	EveryWeek  = "week"
	EveryMonth = "month"
)

// MaintenanceWindow is a recurring quiet time (e.g. the night after Patch
// Tuesday): while it is on, notifications about its servers are held back;
// a cause still open when it ends is notified then.
type MaintenanceWindow struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name" v:"required,max=100"`
	Server    string    `json:"server,omitempty" v:"max=253"`   // name or pattern; empty: every server
	Every     string    `json:"every" v:"required,max=10"`      // day, week or month
	Weekday   string    `json:"weekday,omitempty" v:"max=10"`   // week and month: Monday … Sunday
	Week      int       `json:"week,omitempty" v:"min=0,max=5"` // month: the 1st … 4th such weekday, 5 = the last
	Start     string    `json:"start" v:"required,max=5"`       // HH:MM in the time zone
	Duration  string    `json:"duration" v:"required,max=10"`   // e.g. 6h; at most 7d
	TimeZone  string    `json:"time_zone,omitempty" v:"max=64"` // IANA name, e.g. Europe/Berlin (default UTC)
	CreatedBy string    `json:"created_by,omitempty"`
	CreatedAt time.Time `json:"created_at,omitzero"`
}

// Validate checks the schedule.
func (w *MaintenanceWindow) Validate(now time.Time) error {
	var p problems
	validateStruct(reflect.ValueOf(w), "", now, &p)
	checkPattern(&p, "/server", w.Server)
	w.Server = strings.ToLower(strings.TrimSpace(w.Server))
	switch w.Every {
	case EveryDay:
		if w.Weekday != "" || w.Week != 0 {
			p.add("/every", "a daily window has no weekday or week")
		}
	case EveryWeek, EveryMonth:
		if _, ok := weekday(w.Weekday); !ok {
			p.add("/weekday", "must be a day of the week in English, e.g. Tuesday; got %q", w.Weekday)
		}
		if w.Every == EveryMonth && w.Week == 0 {
			p.add("/week", "is required for a monthly window: 1 to 4, or 5 for the last (Patch Tuesday is week 2, Tuesday)")
		}
		if w.Every == EveryWeek && w.Week != 0 {
			p.add("/week", "is only for a monthly window")
		}
	case "":
	default:
		p.add("/every", "must be day, week or month; got %q", w.Every)
	}
	if w.Start != "" {
		if _, err := time.Parse("15:04", w.Start); err != nil {
			p.add("/start", "must be a time of day as HH:MM, e.g. 22:00; got %q", w.Start)
		}
	}
	if w.Duration != "" {
		if d, err := ParseAge(w.Duration); err != nil || d < time.Minute || d > 7*24*time.Hour {
			p.add("/duration", "must be an age from 1m to 7d, e.g. 6h; got %q", w.Duration)
		}
	}
	if w.TimeZone != "" {
		if _, err := time.LoadLocation(w.TimeZone); err != nil || w.TimeZone == "Local" {
			p.add("/time_zone", "is not a time zone name like Europe/Berlin or America/New_York; got %q", w.TimeZone)
		}
	}
	return p.err()
}

func weekday(s string) (time.Weekday, bool) {
	for d := time.Sunday; d <= time.Saturday; d++ {
		if strings.EqualFold(d.String(), s) {
			return d, true
		}
	}
	return 0, false
}

// Occurrence returns the window's occurrence that contains t, or the next
// one after t; on reports whether t is inside it. A window that does not
// validate never occurs.
func (w MaintenanceWindow) Occurrence(t time.Time) (start, end time.Time, on bool) {
	loc := time.UTC
	if w.TimeZone != "" {
		l, err := time.LoadLocation(w.TimeZone)
		if err != nil {
			return time.Time{}, time.Time{}, false
		}
		loc = l
	}
	dur, err := ParseAge(w.Duration)
	hm, err2 := time.Parse("15:04", w.Start)
	if err != nil || err2 != nil || dur <= 0 {
		return time.Time{}, time.Time{}, false
	}
	local := t.In(loc)
	// Look back far enough for an occurrence still running, and ahead for the next.
	for back := int(dur/(24*time.Hour)) + 1; back >= -62; back-- {
		day := time.Date(local.Year(), local.Month(), local.Day()-back, 0, 0, 0, 0, loc)
		if !w.occursOn(day) {
			continue
		}
		s := time.Date(day.Year(), day.Month(), day.Day(), hm.Hour(), hm.Minute(), 0, 0, loc)
		e := s.Add(dur)
		if !t.Before(s) && t.Before(e) {
			return s.UTC(), e.UTC(), true
		}
		if s.After(t) {
			return s.UTC(), e.UTC(), false
		}
	}
	return time.Time{}, time.Time{}, false
}

func (w MaintenanceWindow) occursOn(day time.Time) bool {
	switch w.Every {
	case EveryDay:
		return true
	case EveryWeek:
		wd, ok := weekday(w.Weekday)
		return ok && day.Weekday() == wd
	case EveryMonth:
		wd, ok := weekday(w.Weekday)
		if !ok || day.Weekday() != wd {
			return false
		}
		nth := (day.Day()-1)/7 + 1
		if w.Week == 5 {
			return day.AddDate(0, 0, 7).Month() != day.Month()
		}
		return nth == w.Week
	}
	return false
}

// Mutes reports whether the window holds back a notification about server at t.
func (w MaintenanceWindow) Mutes(server string, t time.Time) bool {
	if !MatchPattern(w.Server, server) {
		return false
	}
	_, _, on := w.Occurrence(t)
	return on
}

// Describe says when the window is, the way an admin would.
func (w MaintenanceWindow) Describe() string {
	tz := w.TimeZone
	if tz == "" {
		tz = "UTC"
	}
	var when string
	switch w.Every {
	case EveryDay:
		when = "every day"
	case EveryWeek:
		when = "every " + w.Weekday
	case EveryMonth:
		when = "the " + map[int]string{1: "first", 2: "second", 3: "third", 4: "fourth", 5: "last"}[w.Week] + " " + w.Weekday + " of every month"
	}
	return fmt.Sprintf("%s at %s %s for %s", when, w.Start, tz, w.Duration)
}

// DecodeNotifierUpdate decodes a channel's replacement. It validates like a
// new channel, except that secrets (the URL, the signing secret, the SMTP
// password) may be left out to keep the stored ones: they are never shown,
// so a form cannot send them back.
func DecodeNotifierUpdate(data []byte, now time.Time) (*NotifierInput, error) {
	var n NotifierInput
	if err := decodeStrict(data, &n); err != nil {
		return nil, err
	}
	if err := n.ValidateUpdate(now); err != nil {
		return nil, err
	}
	return &n, nil
}

// ValidateUpdate checks a channel's replacement, from the API or the
// settings page's edit form: like a new channel, except that the secrets
// may be left out to keep the stored ones.
func (n *NotifierInput) ValidateUpdate(now time.Time) error {
	const kept = "https://kept.invalid/"
	keepURL := n.URL == "" && n.Kind != NotifierEmail
	if keepURL {
		n.URL = kept
	}
	keepPassword := n.Email != nil && n.Email.Username != "" && n.Email.Password == ""
	if keepPassword {
		n.Email.Password = kept
	}
	err := n.Validate(now)
	if keepURL {
		n.URL = ""
	}
	if keepPassword {
		n.Email.Password = ""
	}
	return err
}

package ui

import "github.com/a-h/templ"

// NavAlerts is the nav entry of the alert pages.
const NavAlerts = "alerts"

// AlertsView is /alerts: the open alerts and the delivery history.
type AlertsView struct {
	Layout
	Alerts     []AlertRow
	Deliveries []DeliveryRow
	State      string        // the history's state filter ("" all)
	States     []Link        // the filter links
	CanAck     bool          // an admin session: acknowledge buttons
	More       templ.SafeURL // the next page of history
	Settings   templ.SafeURL // the settings page, for admins
	Channels   int           // how many channels exist (0: say how to add one)
}

// AlertRow is one alert.
type AlertRow struct {
	ID         int64
	State      string // pending, firing, resolved
	Severity   string
	Server     string
	ServerHref templ.SafeURL
	Rule       string
	Title      string
	Explains   string
	Judgements int
	Opened     Stamp
	Resolved   Stamp
	Muted      string
	Acked      string // who acknowledged it, "" when nobody
	Ack        templ.SafeURL
}

// DeliveryRow is one delivery in the history.
type DeliveryRow struct {
	ID       int64
	Created  Stamp
	Channel  string
	Kind     string
	Event    string // firing, resolved, reminder, test
	Server   string
	Severity string
	Title    string
	State    string
	Attempts int
	Answer   string
	Next     Stamp
}

// AlertSettingsView is /settings/alerts: channels, routes, silences,
// maintenance windows and the noise-control settings (admin only).
type AlertSettingsView struct {
	Layout
	Notice     string // what the last action did
	Error      string // why the last form was refused
	Test       *TestAnswer
	Channels   []ChannelRow
	Routes     []RouteRow
	Silences   []SilenceRow
	Windows    []WindowRow
	Settings   SettingsForm
	Kinds      []string
	Security   []string
	Severities []string
	Everies    []string
	Weekdays   []string
}

// TestAnswer is what a channel's receiver answered to a test.
type TestAnswer struct {
	Channel string
	OK      bool
	Answer  string
}

// ChannelRow is one channel (never its secrets).
type ChannelRow struct {
	ID        int64
	Name      string
	Kind      string
	Target    string
	HasSecret bool
	Created   Stamp
	CreatedBy string
	Test      templ.SafeURL
	Delete    templ.SafeURL
	Update    templ.SafeURL // the edit form's action
	Email     *EmailForm    // an email channel's settings, for its edit form
}

// EmailForm is an email channel's settings as its edit form shows them
// (never the password: left empty, it is kept).
type EmailForm struct {
	Host, Port, Security, Username, From, To string
}

// RouteRow is one route.
type RouteRow struct {
	ID          int64
	Notifier    int64 // its channel's id, selected in its edit form
	Channel     string
	MinSeverity string
	Server      string
	Rule        string
	Delete      templ.SafeURL
	Update      templ.SafeURL // the edit form's action
}

// SilenceRow is one silence.
type SilenceRow struct {
	ID                       int64
	Server, Rule, Reason, By string
	Until                    Stamp
	Active                   bool
	Expire                   templ.SafeURL
	Update                   templ.SafeURL // the edit form's action
}

// WindowRow is one maintenance window, with its schedule's fields for its
// edit form.
type WindowRow struct {
	ID                 int64
	Name, Server, When string
	Next               Stamp
	On                 bool
	Every, Weekday     string
	Week               int
	Start, Duration    string
	TimeZone           string
	Delete             templ.SafeURL
	Update             templ.SafeURL // the edit form's action
}

// SettingsForm is the noise-control form's values.
type SettingsForm struct {
	FailureThreshold, SuccessThreshold int
	Reminder, RetryAfter, GiveUpAfter  string
	GapThresholds                      string // one per line: category scope min_count min_share% severity
}

// ChannelOption is a channel in the route form's list.
func (v AlertSettingsView) ChannelOptions() []ChannelRow { return v.Channels }

func anyOf(s string) string {
	if s == "" {
		return "any"
	}
	return s
}

// deliveryClass colours a delivery state like a status.
func deliveryClass(state string) string {
	switch state {
	case "sent":
		return "b-ok"
	case "failed":
		return "b-critical"
	case "pending", "sending":
		return "b-warning"
	}
	return "b-unknown"
}

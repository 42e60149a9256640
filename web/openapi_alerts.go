package web

import (
	"net/http"

	"github.com/wsusfleet/wsusfleet/probes"
)

// The alert API, its pages and /metrics (api_notifiers.go, api_alerts.go,
// page_alerts.go, metrics.go). A webhook's body is the Notification schema.

func idPathParam(what string) param { return pathParam("id", what, intSchema(1, 1<<53)) }

func (endpoints) ListNotifiers() operation {
	return get("/api/v1/notifiers", "Notification channels, never with their secrets (scope admin)").by(adminAPI).
		returns(http.StatusOK, "channels", NotifierList{})
}

func (endpoints) CreateNotifier() operation {
	return post("/api/v1/notifiers", "Add a channel: webhook, teams, slack or email (scope admin)").by(adminAPI).
		describe("Secrets (secret, email.password, and the URL of Teams and Slack) are write-only. A webhook's body is a Notification (see its schema), "+
			"signed in X-Wsusfleet-Signature: sha256=<hex HMAC-SHA256 of the raw body keyed with secret>.").
		takes(probes.NotifierInput{}, "the channel").
		returns(http.StatusCreated, "created", Created{})
}

func (endpoints) UpdateNotifier() operation {
	return put("/api/v1/notifiers/{id}", "Replace a channel; secrets left out are kept (scope admin)").by(adminAPI).
		with(idPathParam("the channel's id")).takes(probes.NotifierInput{}, "the channel").
		returns(http.StatusNoContent, "replaced", nil)
}

func (endpoints) DeleteNotifier() operation {
	return del("/api/v1/notifiers/{id}", "Remove a channel, its routes and its undelivered messages (scope admin)").by(adminAPI).
		with(idPathParam("the channel's id")).returns(http.StatusNoContent, "removed", nil)
}

func (endpoints) TestNotifier() operation {
	return post("/api/v1/notifiers/{id}/test", "Send a test message now and answer what the receiver said (scope admin)").by(adminAPI).
		with(idPathParam("the channel's id")).returns(http.StatusOK, "the receiver's answer", TestResult{})
}

func (endpoints) ListDeliveries() operation {
	return get("/api/v1/alerts", "Delivery history, newest first: sent, failed with the receiver's answer, pending").by(readAPI).
		with(queryParam("state", "pending, sending, sent or failed", enumSchema("pending", "sending", "sent", "failed")),
			queryParam("limit", "page size, 1 to 1000 (default 100)", intSchema(1, 1000)),
			queryParam("before", "next_cursor of the previous page", strSchema())).
		returns(http.StatusOK, "deliveries", DeliveryList{})
}

func (endpoints) ListAlerts() operation {
	return get("/api/v1/alerts/active", "Open alerts (firing, then pending) and those resolved within a day").by(readAPI).
		returns(http.StatusOK, "alerts", AlertList{})
}

func (endpoints) AckAlert() operation {
	return post("/api/v1/alerts/{id}/ack", "Acknowledge an open alert: no more reminders (scope admin)").by(adminAPI).
		with(idPathParam("the alert's id")).returns(http.StatusNoContent, "acknowledged", nil)
}

func (endpoints) ListRoutes() operation {
	return get("/api/v1/alerts/routes", "Routes (scope admin)").by(adminAPI).returns(http.StatusOK, "routes", RouteList{})
}

func (endpoints) CreateRoute() operation {
	return post("/api/v1/alerts/routes", "Add a route: a channel with routes gets what any of them matches (scope admin)").by(adminAPI).
		takes(probes.AlertRoute{}, "the route").returns(http.StatusCreated, "created", Created{})
}

func (endpoints) UpdateRoute() operation {
	return put("/api/v1/alerts/routes/{id}", "Replace a route (scope admin)").by(adminAPI).
		with(idPathParam("the route's id")).takes(probes.AlertRoute{}, "the route").
		returns(http.StatusNoContent, "replaced", nil)
}

func (endpoints) DeleteRoute() operation {
	return del("/api/v1/alerts/routes/{id}", "Remove a route (scope admin)").by(adminAPI).
		with(idPathParam("the route's id")).returns(http.StatusNoContent, "removed", nil)
}

func (endpoints) ListSilences() operation {
	return get("/api/v1/alerts/silences", "Silences in force and those ended within a week (scope admin)").by(adminAPI).
		returns(http.StatusOK, "silences", SilenceList{})
}

func (endpoints) CreateSilence() operation {
	return post("/api/v1/alerts/silences", "Hold back notifications about a server and/or rule until a time (until, or for: an age) with a reason (scope admin)").
		by(adminAPI).takes(probes.Silence{}, "the silence").returns(http.StatusCreated, "created", Created{})
}

func (endpoints) ExpireSilence() operation {
	return del("/api/v1/alerts/silences/{id}", "End a silence now (scope admin)").by(adminAPI).
		with(idPathParam("the silence's id")).returns(http.StatusNoContent, "ended", nil)
}

func (endpoints) UpdateSilence() operation {
	return put("/api/v1/alerts/silences/{id}", "Replace a silence's server, rule, end (until, or for: an age from now) and reason; who changes it is who set it (scope admin)").
		by(adminAPI).with(idPathParam("the silence's id")).takes(probes.Silence{}, "the silence").
		returns(http.StatusNoContent, "replaced", nil)
}

func (endpoints) ListWindows() operation {
	return get("/api/v1/alerts/windows", "Recurring maintenance windows (scope admin)").by(adminAPI).returns(http.StatusOK, "windows", WindowList{})
}

func (endpoints) CreateWindow() operation {
	return post("/api/v1/alerts/windows", "Add a recurring maintenance window (scope admin)").by(adminAPI).
		takes(probes.MaintenanceWindow{}, "the window").returns(http.StatusCreated, "created", Created{})
}

func (endpoints) UpdateWindow() operation {
	return put("/api/v1/alerts/windows/{id}", "Replace a maintenance window's name and schedule (scope admin)").by(adminAPI).
		with(idPathParam("the window's id")).takes(probes.MaintenanceWindow{}, "the window").
		returns(http.StatusNoContent, "replaced", nil)
}

func (endpoints) DeleteWindow() operation {
	return del("/api/v1/alerts/windows/{id}", "Remove a maintenance window (scope admin)").by(adminAPI).
		with(idPathParam("the window's id")).returns(http.StatusNoContent, "removed", nil)
}

func (endpoints) GetAlertSettings() operation {
	return get("/api/v1/alerts/settings", "Noise-control settings (scope admin)").by(adminAPI).
		returns(http.StatusOK, "settings", probes.AlertSettings{})
}

func (endpoints) PutAlertSettings() operation {
	return put("/api/v1/alerts/settings", "Replace the noise-control settings; fields left out take their defaults (scope admin)").by(adminAPI).
		takes(probes.AlertSettings{}, "the settings").returns(http.StatusOK, "saved", probes.AlertSettings{})
}

func (endpoints) Metrics() operation {
	return get("/metrics", "Prometheus exposition (guarded like the GET API)").by(readAPI).
		returnsAs(http.StatusOK, "the metrics", "text/plain; version=0.0.4")
}

func (endpoints) AlertsPage() operation {
	return get("/alerts", "Open alerts and the delivery history").by(readPage).returnsAs(http.StatusOK, "the page", "text/html")
}

func (endpoints) AckAlertForm() operation {
	return post("/alerts/{id}/ack", "Acknowledge an alert (form post)").by(adminPage).
		with(idPathParam("the alert's id")).returnsAs(http.StatusSeeOther, "acknowledged: back to the alerts", "text/html")
}

func (endpoints) AlertSettingsPage() operation {
	return get("/settings/alerts", "Channels, routes, silences, maintenance windows and noise control (admin)").by(adminPage).
		returnsAs(http.StatusOK, "the page", "text/html")
}

func (endpoints) AlertSettingsPost() operation {
	return post("/settings/alerts/{section}", "Add a channel, route, silence or window, or save the settings (form post)").by(adminPage).
		with(pathParam("section", "what the form adds", strSchema())).
		returnsAs(http.StatusSeeOther, "saved: back to the settings", "text/html")
}

func (endpoints) AlertSettingsAction() operation {
	return post("/settings/alerts/{section}/{id}/{action}", "Delete, expire, test or edit one entry (form post; edit takes the same fields as adding)").by(adminPage).
		with(pathParam("section", "channels, routes, silences or windows", strSchema()), idPathParam("the entry's id"),
			pathParam("action", "what to do with it", strSchema())).
		returnsAs(http.StatusSeeOther, "done: back to the settings", "text/html")
}

package web

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/wsusfleet/wsusfleet/probes"
)

// routes lists every route of the dashboard and its API.
func (a *app) routes() http.Handler {
	r := chi.NewRouter()
	// HEAD is answered as GET (net/http drops the body): `curl -I` and
	// monitors that check a page with HEAD get its status and headers.
	r.Use(middleware.GetHead)
	r.Use(a.withClient, a.withRequestID, a.logRequests, securityHeaders, a.paceBodies)
	r.Use(a.observe) // metrics.go: requests by route pattern, ingest by kind
	r.NotFound(a.handle(func(w http.ResponseWriter, r *http.Request) error {
		return errStatus(http.StatusNotFound, "no such page or endpoint: %s", r.URL.Path)
	}))
	r.MethodNotAllowed(a.handle(func(w http.ResponseWriter, r *http.Request) error {
		return errStatus(http.StatusMethodNotAllowed, "%s is not allowed on %s", r.Method, r.URL.Path)
	}))

	r.Get("/healthz", a.handle(a.healthz))
	r.Handle("/static/*", a.assets) // content-hashed names, cached forever

	// The dashboard pages: HTML, errors as HTML pages, sessions from sign-in.
	r.Group(func(r chi.Router) {
		r.Use(a.pages)
		r.With(a.requirePageRead, a.cachedPage).Get("/", a.handle(a.fleetPage)) // kept per store version; ETag: the refresh gets 304
		r.With(a.requirePageRead).Get("/servers/{name}", a.handle(a.serverPage))
		r.With(a.requirePageRead).Get("/servers/{name}/clients.csv", a.handle(a.serverClientsCSV))
		r.With(a.requirePageRead).Get("/servers/{name}/fix-plan.ps1", a.handle(a.fixPlanScript))
		r.With(a.requirePageRead).Get("/gaps", a.handle(a.gapsPage))
		r.With(a.requirePageRead).Get("/gaps/{category}.csv", a.handle(a.gapClientsCSV))
		r.With(a.requirePageRead).Get("/gaps/{category}", a.handle(a.gapClientsPage))
		r.With(a.requirePageRead).Get("/hierarchy", a.handle(a.hierarchyPage))
		r.With(a.requirePageRead).Get("/clients/{name}", a.handle(a.clientPage))
		r.With(a.requirePageIngest, a.body(bodyEvidence, a.cfg.MaxEvidenceBytes)).Post("/clients/{name}/evidence", a.handle(a.pasteClientEvidence))
		r.With(a.requirePageIngest, a.body(bodyEvidence, a.cfg.MaxEvidenceBytes)).Post("/servers/{name}/evidence", a.handle(a.pasteServerEvidence))
		r.Get("/signin", a.handle(a.signInPage))
		r.Post("/signin", a.handle(a.signIn))
		r.Post("/signout", a.handle(a.signOut))
		if a.oidc != nil {
			r.Get(oidcStartPath, a.handle(a.oidcStart))
			r.Get(oidcCallbackPath, a.handle(a.oidcCallback))
		}
		r.With(a.requirePageAdmin).Get("/settings/tokens", a.handle(a.tokensPage))
		r.With(a.requirePageAdmin).Post("/settings/tokens", a.handle(a.createToken))
		r.With(a.requirePageAdmin).Post("/settings/tokens/{id}/revoke", a.handle(a.revokeToken))
		r.With(a.requirePageRead).Get("/alerts", a.handle(a.alertsPage))
		r.With(a.requirePageAdmin).Post("/alerts/{id}/ack", a.handle(a.ackAlertForm))
		r.With(a.requirePageAdmin).Get("/settings/alerts", a.handle(a.alertSettingsPage))
		r.With(a.requirePageAdmin).Post("/settings/alerts/{section}", a.handle(a.alertSettingsPost))
		r.With(a.requirePageAdmin).Post("/settings/alerts/{section}/{id}/{action}", a.handle(a.alertSettingsAction))
	})
	r.Get("/readyz", a.handle(a.readyz))
	r.With(a.requireRead).Method(http.MethodGet, "/metrics", a.metricsHandler())

	r.Route("/api/v1", func(r chi.Router) {
		r.Get("/openapi.json", a.handle(a.openAPI))
		r.With(a.require(probes.ScopeIngest), a.body(bodyJSON, a.cfg.MaxReportBytes)).Post("/reports", a.handle(a.postReport))
		r.With(a.require(probes.ScopeClient), a.body(bodyJSON, maxClientReportBytes)).Post("/client-reports", a.handle(a.postClientReport))
		r.With(a.require(probes.ScopeIngest), a.body(bodyJSON, a.cfg.MaxReportBytes)).Post("/inventory", a.handle(a.postInventory))
		r.With(a.requireRead).Get("/gaps", a.handle(a.getGaps))
		r.With(a.requireRead).Get("/gaps/{category}", a.handle(a.getGapClients))
		r.With(a.requireRead).Get("/findings", a.handle(a.getFindings))
		r.With(a.requireRead).Get("/hierarchy", a.handle(a.getHierarchy))
		r.With(a.requireRead).Get("/servers", a.handle(a.listServers))
		r.With(a.require(probes.ScopeIngest)).Get("/resolve", a.handle(a.resolveServer))
		r.With(a.require(probes.ScopeAdmin), a.body(bodyJSON, maxSmallBody)).Post("/servers", a.handle(a.registerServer))
		r.With(a.require(probes.ScopeAdmin)).Delete("/servers/{name}", a.handle(a.deleteServer))
		r.With(a.requireRead).Get("/servers/{name}", a.handle(a.getServer))
		r.With(a.requireRead).Get("/servers/{name}/clients", a.handle(a.listClients))
		r.With(a.requireRead).Get("/servers/{name}/vdirs", a.handle(a.vdirHistory))
		r.With(a.requireRead).Get("/servers/{name}/iislog", a.handle(a.iislogHistory))
		r.With(a.require(probes.ScopeIngest), a.body(bodyEvidence, a.cfg.MaxEvidenceBytes)).Post("/servers/{name}/evidence/{kind}", a.handle(a.postEvidence))

		// Alerts (api_notifiers.go, api_alerts.go): configuration needs admin.
		r.With(a.require(probes.ScopeAdmin)).Get("/notifiers", a.handle(a.listNotifiers))
		r.With(a.require(probes.ScopeAdmin), a.body(bodyJSON, maxSmallBody)).Post("/notifiers", a.handle(a.createNotifier))
		r.With(a.require(probes.ScopeAdmin), a.body(bodyJSON, maxSmallBody)).Put("/notifiers/{id}", a.handle(a.updateNotifier))
		r.With(a.require(probes.ScopeAdmin)).Delete("/notifiers/{id}", a.handle(a.deleteNotifier))
		r.With(a.require(probes.ScopeAdmin), a.body(bodyJSON, maxSmallBody)).Post("/notifiers/{id}/test", a.handle(a.testNotifier))
		r.With(a.requireRead).Get("/alerts", a.handle(a.listDeliveries))
		r.With(a.requireRead).Get("/alerts/active", a.handle(a.listAlerts))
		r.With(a.require(probes.ScopeAdmin), a.body(bodyJSON, maxSmallBody)).Post("/alerts/{id}/ack", a.handle(a.ackAlert))
		r.With(a.require(probes.ScopeAdmin)).Get("/alerts/routes", a.handle(a.listRoutes))
		r.With(a.require(probes.ScopeAdmin), a.body(bodyJSON, maxSmallBody)).Post("/alerts/routes", a.handle(a.createRoute))
		r.With(a.require(probes.ScopeAdmin), a.body(bodyJSON, maxSmallBody)).Put("/alerts/routes/{id}", a.handle(a.updateRoute))
		r.With(a.require(probes.ScopeAdmin)).Delete("/alerts/routes/{id}", a.handle(a.deleteRoute))
		r.With(a.require(probes.ScopeAdmin)).Get("/alerts/silences", a.handle(a.listSilences))
		r.With(a.require(probes.ScopeAdmin), a.body(bodyJSON, maxSmallBody)).Post("/alerts/silences", a.handle(a.createSilence))
		r.With(a.require(probes.ScopeAdmin), a.body(bodyJSON, maxSmallBody)).Put("/alerts/silences/{id}", a.handle(a.updateSilence))
		r.With(a.require(probes.ScopeAdmin)).Delete("/alerts/silences/{id}", a.handle(a.expireSilence))
		r.With(a.require(probes.ScopeAdmin)).Get("/alerts/windows", a.handle(a.listWindows))
		r.With(a.require(probes.ScopeAdmin), a.body(bodyJSON, maxSmallBody)).Post("/alerts/windows", a.handle(a.createWindow))
		r.With(a.require(probes.ScopeAdmin), a.body(bodyJSON, maxSmallBody)).Put("/alerts/windows/{id}", a.handle(a.updateWindow))
		r.With(a.require(probes.ScopeAdmin)).Delete("/alerts/windows/{id}", a.handle(a.deleteWindow))
		r.With(a.require(probes.ScopeAdmin)).Get("/alerts/settings", a.handle(a.getAlertSettings))
		r.With(a.require(probes.ScopeAdmin), a.body(bodyJSON, maxSmallBody)).Put("/alerts/settings", a.handle(a.putAlertSettings))
		r.With(a.require(probes.ScopeClient), a.body(bodyEvidence, a.cfg.MaxEvidenceBytes)).Post("/clients/{name}/evidence/{kind}", a.handle(a.postClientEvidence))
		r.With(a.requireRead).Get("/clients/{name}", a.handle(a.getClient))
	})
	return r
}

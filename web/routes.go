package web

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/wsusfleet/wsusfleet/probes"
)

// routes lists every route of the dashboard and its API.
func (a *app) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(a.withRequestID, a.logRequests, securityHeaders)
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
		r.With(a.requirePageRead).Get("/", a.handle(a.fleetPage))
		r.With(a.requirePageRead).Get("/servers/{name}", a.handle(a.serverPage))
		r.With(a.requirePageRead).Get("/servers/{name}/clients.csv", a.handle(a.serverClientsCSV))
		r.With(a.requirePageRead).Get("/gaps", a.handle(a.gapsPage))
		r.With(a.requirePageRead).Get("/gaps/{category}.csv", a.handle(a.gapClientsCSV))
		r.With(a.requirePageRead).Get("/gaps/{category}", a.handle(a.gapClientsPage))
		r.With(a.requirePageRead).Get("/hierarchy", a.handle(a.hierarchyPage))
		r.With(a.requirePageRead).Get("/clients/{name}", a.handle(a.clientPage))
		r.With(a.requirePageIngest).Post("/clients/{name}/evidence", a.handle(a.pasteClientEvidence))
		r.With(a.requirePageIngest).Post("/servers/{name}/evidence", a.handle(a.pasteServerEvidence))
		r.Get("/signin", a.handle(a.signInPage))
		r.Post("/signin", a.handle(a.signIn))
		r.Post("/signout", a.handle(a.signOut))
		r.With(a.requirePageAdmin).Get("/settings/tokens", a.handle(a.tokensPage))
		r.With(a.requirePageAdmin).Post("/settings/tokens", a.handle(a.createToken))
		r.With(a.requirePageAdmin).Post("/settings/tokens/{id}/revoke", a.handle(a.revokeToken))
	})
	r.Get("/readyz", a.handle(a.readyz))

	r.Route("/api/v1", func(r chi.Router) {
		r.Get("/openapi.json", a.handle(a.openAPI))
		r.With(a.require(probes.ScopeIngest)).Post("/reports", a.handle(a.postReport))
		r.With(a.require(probes.ScopeIngest)).Post("/client-reports", a.handle(a.postClientReport))
		r.With(a.require(probes.ScopeIngest)).Post("/inventory", a.handle(a.postInventory))
		r.With(a.requireRead).Get("/gaps", a.handle(a.getGaps))
		r.With(a.requireRead).Get("/gaps/{category}", a.handle(a.getGapClients))
		r.With(a.requireRead).Get("/findings", a.handle(a.getFindings))
		r.With(a.requireRead).Get("/hierarchy", a.handle(a.getHierarchy))
		r.With(a.requireRead).Get("/servers", a.handle(a.listServers))
		r.With(a.require(probes.ScopeAdmin)).Post("/servers", a.handle(a.registerServer))
		r.With(a.require(probes.ScopeAdmin)).Delete("/servers/{name}", a.handle(a.deleteServer))
		r.With(a.requireRead).Get("/servers/{name}", a.handle(a.getServer))
		r.With(a.requireRead).Get("/servers/{name}/clients", a.handle(a.listClients))
		r.With(a.requireRead).Get("/servers/{name}/vdirs", a.handle(a.vdirHistory))
		r.With(a.requireRead).Get("/servers/{name}/iislog", a.handle(a.iislogHistory))
		r.With(a.require(probes.ScopeIngest)).Post("/servers/{name}/evidence/{kind}", a.handle(a.postEvidence))
		r.With(a.require(probes.ScopeIngest)).Post("/clients/{name}/evidence/{kind}", a.handle(a.postClientEvidence))
		r.With(a.requireRead).Get("/clients/{name}", a.handle(a.getClient))
	})
	return r
}

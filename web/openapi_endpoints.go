package web

import (
	"net/http"
	"strings"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/evidence"
)

// The operations of routes.go, one method each (see openapi.go). A new
// endpoint adds its method here or beside its handler; the method's name
// only has to be unique.

// The ingest API.

func (endpoints) PostReport() operation {
	return post("/api/v1/reports", "Store a server report").by(ingestAPI).
		describe("One WSUS server as seen from one vantage. Sections present replace the server's current ones; absent sections are kept. "+
			"Idempotent on id: the same document again answers 200 with the same body. Content-Encoding: gzip is accepted.").
		takes(probes.Report{}, "a wsusfleet.report.v1 document").
		returns(http.StatusCreated, "stored", probes.Receipt{}).
		returns(http.StatusOK, "this document was stored before; nothing stored twice", probes.Receipt{})
}

func (endpoints) PostClientReport() operation {
	return post("/api/v1/client-reports", "Store one Windows client's own view of its WSUS policy").by(clientAPI).
		describe("The server it belongs to is derived from WUServer (by name or URL). Its policy is judged (policy_off, wrong_server, bad_url, duplicate_id) "+
			"and the answer says where it was filed and its gap now. Idempotent on id.").
		takes(probes.ClientReport{}, "a wsusfleet.client-report.v1 document").
		returns(http.StatusCreated, "stored", probes.ClientReceipt{}).
		returns(http.StatusOK, "stored before", probes.ClientReceipt{})
}

func (endpoints) PostInventory() operation {
	return post("/api/v1/inventory", "Store a directory inventory: the computers expected to use WSUS (e.g. from AD)").by(ingestAPI).
		describe("A complete snapshot replaces its source and scope. Computers no server lists become expected_missing unless something more specific explains them.").
		takes(probes.Inventory{}, "a wsusfleet.inventory.v1 document").
		returns(http.StatusCreated, "stored", probes.InventoryReceipt{}).
		returns(http.StatusOK, "stored before", probes.InventoryReceipt{})
}

func (endpoints) PostEvidence() operation {
	return post("/api/v1/servers/{name}/evidence/{kind}", "Upload a raw evidence file of a server").by(ingestAPI).
		describe("The body is the file itself (Content-Encoding: gzip accepted; up to 1 GiB decompressed, streamed). It is parsed, stored as the server's sections "+
			"(iislog: the summary and hourly history; procmon: denials; apphost: vdir_config and app_pool; computers: a client snapshot; httperr and "+
			"softwaredistributionlog: their digests; events: the events section) and diagnosed; auto detects the kind from the content. "+
			"The answer is the receipt (id, server, kind) with what the file held; the same file again answers 200 and stores nothing twice. "+
			"A file that is not of its kind is refused with the line at fault. The {name} must be a host name.").
		with(serverNameParam(),
			evidenceKindParam(),
			queryParam("file", "the file's name (iislog: uploading the same file again replaces its hours)", strSchema()),
			queryParam("date_order", "computers: dmy or mdy when the file's dates are ambiguous", enumSchema("dmy", "mdy")),
			queryParam("partial", "computers: true when the file does not list every computer", boolSchema()),
			queryParam("site", "apphost: the IIS site of WSUS when it is not WSUS Administration", strSchema()),
			queryParam("utc_offset", "events, softwaredistributionlog: the UTC offset local times were written in, e.g. +01:00", strSchema())).
		takesFile("the evidence file").
		returns(http.StatusCreated, "stored; the summary of what the file held", map[string]any{}).
		returns(http.StatusOK, "this very file was stored before", map[string]any{})
}

// evidenceKindParam is the {kind} of an evidence upload, one of the kinds the
// evidence package parses (each described).
func evidenceKindParam() param {
	var names, desc []string
	for _, k := range evidence.Kinds() {
		names = append(names, k.Name)
		desc = append(desc, k.Name+": "+k.Description)
	}
	return pathParam("kind", "what the file is; "+strings.Join(desc, "; "), enumSchema(names...))
}

// Servers.

// etagNote: the busiest reads are answered from a read model with an ETag.
const etagNote = "Answered from a read model kept current with every write (another instance's within a second), " +
	"with an ETag: send it back in If-None-Match and an unchanged answer is 304 with no body. " +
	"Sent compressed (zstd, or gzip) when Accept-Encoding allows it; each coding has an ETag of its own."

func (endpoints) ListServers() operation {
	return get("/api/v1/servers", "List the fleet").by(readAPI).
		describe(etagNote).
		returns(http.StatusOK, "every server", ServerList{}).
		returns(http.StatusNotModified, "unchanged since the ETag sent in If-None-Match", nil)
}

func (endpoints) RegisterServer() operation {
	return post("/api/v1/servers", "Register a server for the dashboard to probe").by(adminAPI).
		describe("The URL is the WSUS server's base URL (http://host:8530 or https://host:8531); name defaults to the URL's host. "+
			"Link-local and cloud metadata addresses are refused unless the dashboard runs with --allow-link-local. Needs scope admin.").
		takes(probes.Registration{}, "the server").
		returns(http.StatusCreated, "registered", probes.Registration{}).
		returns(http.StatusOK, "already known; its URL updated", probes.Registration{})
}

func (endpoints) GetServer() operation {
	return get("/api/v1/servers/{name}", "The latest value of every section of one server, its client summary and open findings").by(readAPI).
		with(serverNameParam()).
		returns(http.StatusOK, "the server", probes.ServerState{})
}

func (endpoints) DeleteServer() operation {
	return del("/api/v1/servers/{name}", "Forget a server and everything stored about it (scope admin)").by(adminAPI).
		with(serverNameParam()).
		returns(http.StatusNoContent, "deleted", nil)
}

func (endpoints) ListClients() operation {
	return get("/api/v1/servers/{name}/clients", "One server's clients, paginated; Accept: text/csv (or format=csv) exports all of them").by(readAPI).
		with(serverNameParam(),
			queryParam("gap", "all (default), stale_report, never_reported or removed", enumSchema("all", "stale_report", "never_reported", "removed")),
			queryParam("older_than", "with gap=stale_report: only those whose last report is older, e.g. 30d", strSchema()),
			queryParam("category", "only clients in this gap category", enumSchema(probes.GapCategories()...)),
			queryParam("q", "part of the client's name", strSchema()),
			queryParam("sort", "name (default) or last_report (oldest first); prefix - to reverse", strSchema()),
			queryParam("limit", "page size, 1 to 1000 (default 100)", intSchema(1, 1000)),
			queryParam("cursor", "next_cursor of the previous page", strSchema()),
			queryParam("format", "csv to download CSV", strSchema())).
		returns(http.StatusOK, "a page of clients, or CSV", probes.ClientPage{}).orCSV()
}

func (endpoints) VDirHistory() operation {
	return get("/api/v1/servers/{name}/vdirs", "vDir check history of one server, oldest first").by(readAPI).
		with(serverNameParam(), queryParam("since", "RFC 3339 time or an age like 24h or 7d (default 24h)", strSchema())).
		returns(http.StatusOK, "checks", VDirHistory{})
}

func (endpoints) IISLogHistory() operation {
	return get("/api/v1/servers/{name}/iislog", "IIS log history of one server: hourly aggregates per vDir and status.substatus.win32, oldest first").by(readAPI).
		with(serverNameParam(), queryParam("since", "RFC 3339 time or an age like 7d (default 7d)", strSchema())).
		returns(http.StatusOK, "hours", IISLogHistory{})
}

// Fleet-wide reads.

func (endpoints) Gaps() operation {
	return get("/api/v1/gaps", "The fleet's client-reporting gaps by category, per server and unassigned").by(readAPI).
		describe(etagNote).
		returns(http.StatusOK, "counts", probes.FleetGaps{}).
		returns(http.StatusNotModified, "unchanged since the ETag sent in If-None-Match", nil)
}

func (endpoints) GapClients() operation {
	return get("/api/v1/gaps/{category}", "The clients of one gap category with their evidence; Accept: text/csv (or format=csv) exports them all").by(readAPI).
		with(pathParam("category", "a gap category", enumSchema(probes.GapCategories()...)),
			queryParam("server", "only this server's", strSchema()),
			queryParam("cursor", "next_cursor of the previous page", strSchema()),
			queryParam("limit", "page size, 1 to 1000 (default 100)", intSchema(1, 1000)),
			queryParam("format", "csv to download CSV", strSchema())).
		returns(http.StatusOK, "a page of clients, or CSV", probes.GapPage{}).orCSV()
}

func (endpoints) Findings() operation {
	return get("/api/v1/findings", "Open findings across the fleet, most severe first; Accept: text/csv exports them").by(readAPI).
		with(queryParam("severity", "critical, warning or info", enumSchema("critical", "warning", "info")),
			queryParam("rule", "a rule id", strSchema()), queryParam("server", "a server", strSchema())).
		returns(http.StatusOK, "findings", FindingList{}).orCSV()
}

func (endpoints) Hierarchy() operation {
	return get("/api/v1/hierarchy", "Upstream → downstream → replica tree with each server's sync result and age; a server below a failing one is marked affected").by(readAPI).
		returns(http.StatusOK, "the tree", probes.Hierarchy{})
}

func (endpoints) OpenAPIDocument() operation {
	return get("/api/v1/openapi.json", "This document").by(open).
		returns(http.StatusOK, "OpenAPI 3.1", map[string]any{})
}

// Health.

func (endpoints) Healthz() operation {
	return get("/healthz", "Liveness").by(open).returns(http.StatusOK, "alive", map[string]string{})
}

func (endpoints) Readyz() operation {
	return get("/readyz", "Readiness: database reachable and migrated").by(open).returns(http.StatusOK, "ready", map[string]string{})
}

// The dashboard's pages: HTML (and CSV downloads) for people.

func (endpoints) FleetPage() operation {
	return get("/", "The fleet: one row per server").by(readPage).returnsAs(http.StatusOK, "the page", "text/html").
		returns(http.StatusNotModified, "unchanged since the ETag sent in If-None-Match (the page's own refresh)", nil)
}

func (endpoints) ServerPage() operation {
	return get("/servers/{name}", "One server: findings, vDirs, configuration, clients").by(readPage).
		with(serverNameParam()).returnsAs(http.StatusOK, "the page", "text/html")
}

func (endpoints) ServerClientsCSV() operation {
	return get("/servers/{name}/clients.csv", "One server's clients as CSV, as filtered on its page").by(readPage).
		with(serverNameParam()).returnsAs(http.StatusOK, "the clients", "text/csv")
}

func (endpoints) FixPlanScript() operation {
	return get("/servers/{name}/fix-plan.ps1", "One server's fix plan as a PowerShell script: every open root cause in the order to fix them, each step commented with why").by(readPage).
		describe("A download (#Requires -RunAsAdministrator) to review and run on the WSUS server; Command Prompt steps are left as comments to run in cmd.exe.").
		with(serverNameParam()).returnsAs(http.StatusOK, "the script", "text/plain")
}

func (endpoints) GapsPage() operation {
	return get("/gaps", "The fleet's client-reporting gaps by category").by(readPage).returnsAs(http.StatusOK, "the page", "text/html")
}

func (endpoints) GapClientsPage() operation {
	return get("/gaps/{category}", "The clients of one gap category").by(readPage).
		with(pathParam("category", "a gap category", enumSchema(probes.GapCategories()...))).
		returnsAs(http.StatusOK, "the page", "text/html")
}

func (endpoints) GapClientsCSV() operation {
	return get("/gaps/{category}.csv", "The clients of one gap category as CSV").by(readPage).
		with(pathParam("category", "a gap category", enumSchema(probes.GapCategories()...))).
		returnsAs(http.StatusOK, "the clients", "text/csv")
}

func (endpoints) HierarchyPage() operation {
	return get("/hierarchy", "The upstream/downstream tree").by(readPage).returnsAs(http.StatusOK, "the page", "text/html")
}

func (endpoints) SignInPage() operation {
	return get("/signin", "The sign-in form").by(signInPage).returnsAs(http.StatusOK, "the form", "text/html")
}

func (endpoints) SignIn() operation {
	return post("/signin", "Sign in with a read or admin token (form post)").by(signInPage).
		returnsAs(http.StatusSeeOther, "signed in: to the page asked for", "text/html")
}

func (endpoints) SignOut() operation {
	return post("/signout", "Sign out (form post)").by(readPage).returnsAs(http.StatusSeeOther, "signed out", "text/html")
}

func (endpoints) TokensPage() operation {
	return get("/settings/tokens", "The tokens: create and revoke (admin)").by(adminPage).returnsAs(http.StatusOK, "the page", "text/html")
}

func (endpoints) CreateToken() operation {
	return post("/settings/tokens", "Create a token (form post; shown once)").by(adminPage).returnsAs(http.StatusOK, "the page with the new token", "text/html")
}

func (endpoints) RevokeToken() operation {
	return post("/settings/tokens/{id}/revoke", "Revoke a token (form post)").by(adminPage).
		with(pathParam("id", "the token's id", intSchema(1, 1<<53))).
		returnsAs(http.StatusSeeOther, "revoked: back to the tokens", "text/html")
}

func (endpoints) StaticAsset() operation {
	return get("/static/{asset}", "A static asset at its content-hashed name, cached forever").by(open).
		with(pathParam("asset", "the asset's hashed name", strSchema())).
		returnsAs(http.StatusOK, "the asset", "application/octet-stream")
}

// Single sign-on: served only when serve runs with --oidc-issuer.

func (endpoints) OIDCStart() operation {
	return get(oidcStartPath, "Start single sign-on: redirect to the OpenID Connect provider (only with --oidc-issuer)").by(signInPage).
		with(queryParam("next", "the dashboard page to return to (a same-origin path)", strSchema())).
		returnsAs(http.StatusFound, "to the provider's sign-in", "text/html")
}

func (endpoints) OIDCCallback() operation {
	return get(oidcCallbackPath, "Finish single sign-on: the provider's redirect back (only with --oidc-issuer)").by(signInPage).
		with(queryParam("code", "the authorization code", strSchema()), queryParam("state", "the state this browser was given", strSchema())).
		returnsAs(http.StatusSeeOther, "signed in: to the page asked for", "text/html")
}

func (endpoints) ResolveServer() operation {
	return get("/api/v1/resolve", "Which known server a WSUS URL (host and port) names, by its name, URL, alias, address or unique short name").by(ingestAPI).
		describe("What an agent asks before posting a report under a server's name (scope ingest). 404 when no server, or several, or one not serving that port, matches.").
		with(queryParam("url", "the server's URL, e.g. http://10.1.2.3:8530", strSchema())).
		returns(http.StatusOK, "the server", Resolution{})
}

package web

import (
	"encoding/json"
	"net/http"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/evidence"
)

// renderOpenAPI builds the OpenAPI 3.1 document. Its schemas are generated
// from the Go types the handlers decode and encode, so the document cannot
// drift from the code; tests check real responses against it.
func renderOpenAPI(version string) []byte {
	s := probes.NewSchemaSet("#/components/schemas/")
	problem := s.Ref(Problem{})
	body := func(schema map[string]any, desc string) map[string]any {
		return map[string]any{"required": true, "description": desc,
			"content": map[string]any{"application/json": map[string]any{"schema": schema}}}
	}
	jsonResp := func(desc string, schema map[string]any) map[string]any {
		return map[string]any{"description": desc, "content": map[string]any{"application/json": map[string]any{"schema": schema}}}
	}
	problems := func(codes ...string) map[string]any {
		out := map[string]any{}
		for _, c := range codes {
			out[c] = map[string]any{"description": problemText[c], "content": map[string]any{"application/problem+json": map[string]any{"schema": problem}}}
		}
		return out
	}
	merge := func(ms ...map[string]any) map[string]any {
		out := map[string]any{}
		for _, m := range ms {
			for k, v := range m {
				out[k] = v
			}
		}
		return out
	}
	param := func(name, in, desc string, schema map[string]any) map[string]any {
		return map[string]any{"name": name, "in": in, "description": desc, "required": in == "path", "schema": schema}
	}
	str := map[string]any{"type": "string"}
	serverName := param("name", "path", "the server's name (case-insensitive FQDN)", str)
	ingest := []any{map[string]any{"bearer": []any{}}}
	read := []any{map[string]any{}, map[string]any{"bearer": []any{}}} // open with --read-auth=none

	paths := map[string]any{
		"/api/v1/reports": map[string]any{"post": map[string]any{
			"summary":     "Store a server report",
			"description": "One WSUS server as seen from one vantage. Sections present replace the server's current ones; absent sections are kept. Idempotent on id: the same document again answers 200 with the same body. Content-Encoding: gzip is accepted.",
			"security":    ingest, "requestBody": body(s.Ref(probes.Report{}), "a wsusfleet.report.v1 document"),
			"responses": merge(map[string]any{
				"201": jsonResp("stored", s.Ref(probes.Receipt{})),
				"200": jsonResp("this document was stored before; nothing stored twice", s.Ref(probes.Receipt{})),
			}, problems("400", "401", "403", "409", "413", "422")),
		}},
		"/api/v1/servers": map[string]any{
			"get": map[string]any{
				"summary": "List the fleet", "security": read,
				"responses": merge(map[string]any{"200": jsonResp("every server", s.Ref(ServerList{}))}, problems("401")),
			},
			"post": map[string]any{
				"summary":     "Register a server for the dashboard to probe",
				"description": "The URL is the WSUS server's base URL (http://host:8530 or https://host:8531). name defaults to the URL's host. Needs scope admin.",
				"security":    ingest, "requestBody": body(s.Ref(probes.Registration{}), "the server"),
				"responses": merge(map[string]any{
					"201": jsonResp("registered", s.Ref(probes.Registration{})),
					"200": jsonResp("already known; its URL updated", s.Ref(probes.Registration{})),
				}, problems("400", "401", "403", "422")),
			},
		},
		"/api/v1/servers/{name}": map[string]any{
			"get": map[string]any{
				"summary": "The latest value of every section of one server, its client summary and open findings", "security": read,
				"parameters": []any{serverName},
				"responses":  merge(map[string]any{"200": jsonResp("the server", s.Ref(probes.ServerState{}))}, problems("401", "404")),
			},
			"delete": map[string]any{
				"summary": "Forget a server and everything stored about it (scope admin)", "security": ingest,
				"parameters": []any{serverName},
				"responses":  merge(map[string]any{"204": map[string]any{"description": "deleted"}}, problems("401", "403", "404")),
			},
		},
		"/api/v1/servers/{name}/clients": map[string]any{"get": map[string]any{
			"summary": "One server's clients, paginated; Accept: text/csv (or format=csv) exports all of them", "security": read,
			"parameters": []any{serverName,
				param("gap", "query", "all (default), stale_report, never_reported or removed", map[string]any{"type": "string", "enum": []string{"all", "stale_report", "never_reported", "removed"}}),
				param("older_than", "query", "what stale_report means, e.g. 30d (default 7d)", str),
				param("category", "query", "only clients in this DESIGN §6 gap category", map[string]any{"type": "string", "enum": probes.GapCategories()}),
				param("q", "query", "part of the client's name", str),
				param("sort", "query", "name (default) or last_report (oldest first); prefix - to reverse", str),
				param("limit", "query", "page size, 1 to 1000 (default 100)", map[string]any{"type": "integer", "minimum": 1, "maximum": 1000}),
				param("cursor", "query", "next_cursor of the previous page", str),
				param("format", "query", "csv to download CSV", str),
			},
			"responses": merge(map[string]any{"200": map[string]any{"description": "a page of clients, or CSV",
				"content": map[string]any{"application/json": map[string]any{"schema": s.Ref(probes.ClientPage{})}, "text/csv": map[string]any{"schema": str}}}},
				problems("401", "404", "422")),
		}},
		"/api/v1/servers/{name}/vdirs": map[string]any{"get": map[string]any{
			"summary": "vDir check history of one server, oldest first", "security": read,
			"parameters": []any{serverName, param("since", "query", "RFC 3339 time or an age like 24h or 7d (default 24h)", str)},
			"responses":  merge(map[string]any{"200": jsonResp("checks", s.Ref(VDirHistory{}))}, problems("401", "404", "422")),
		}},
		"/api/v1/servers/{name}/evidence/{kind}": map[string]any{"post": map[string]any{
			"summary": "Upload a raw evidence file: iislog (IIS W3C log), procmon (Process Monitor CSV), apphost (applicationHost.config), computers (Get-WsusComputer Export-Csv), httperr (HTTP.sys error log), events (pasted event text), softwaredistributionlog, or auto (detected from the content)",
			"description": "The body is the file itself (Content-Encoding: gzip accepted; up to 1 GiB decompressed, streamed). It is parsed, stored as the server's sections " +
				"(iislog: the summary and hourly history; procmon: denials; apphost: vdir_config and app_pool; computers: a client snapshot) and diagnosed. " +
				"The answer is the receipt (id, server, kind) with what the file held; the same file again answers 200 and stores nothing twice. " +
				"A file that is not of its kind is refused with the line at fault.",
			"security": ingest,
			"parameters": []any{serverName,
				param("kind", "path", "the kind of the file; auto detects it", map[string]any{"type": "string", "enum": kindNames(evidence.Kinds())}),
				param("file", "query", "the file's name (iislog: uploading the same file again replaces its hours)", str),
				param("date_order", "query", "computers: dmy or mdy when the file's dates are ambiguous", map[string]any{"type": "string", "enum": []string{"dmy", "mdy"}}),
				param("partial", "query", "computers: true when the file does not list every computer", map[string]any{"type": "boolean"}),
				param("site", "query", "apphost: the IIS site of WSUS when it is not WSUS Administration", str),
				param("utc_offset", "query", "events: the UTC offset local times were written in, e.g. +01:00", str),
			},
			"requestBody": map[string]any{"required": true, "content": map[string]any{"application/octet-stream": map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}}},
			"responses": merge(map[string]any{
				"201": jsonResp("stored; the summary of what the file held", map[string]any{"type": "object"}),
				"200": jsonResp("this very file was stored before", map[string]any{"type": "object"}),
			}, problems("400", "401", "403", "404", "413", "422")),
		}},
		"/api/v1/servers/{name}/iislog": map[string]any{"get": map[string]any{
			"summary": "IIS log history of one server: hourly aggregates per vDir and status.substatus.win32, oldest first", "security": read,
			"parameters": []any{serverName, param("since", "query", "RFC 3339 time or an age like 7d (default 7d)", str)},
			"responses":  merge(map[string]any{"200": jsonResp("hours", s.Ref(IISLogHistory{}))}, problems("401", "404", "422")),
		}},
		"/api/v1/clients/{name}/evidence/{kind}": map[string]any{"post": map[string]any{
			"summary": "Store evidence about one client: regquery (reg query /s, Get-ItemProperty or a .reg export of the Windows Update policy), windowsupdatelog (classic or Get-WindowsUpdateLog), or auto",
			"description": "The body is the text or file as the admin has it (UTF-16LE or UTF-8, pasted Markdown, gzip accepted). Registry output that shows enough of the policy " +
				"is applied to what is known of the client and judged as a client report is; a WindowsUpdate.log is kept as facts and never changes the policy. " +
				"The answer is what was understood and what changed; the same content for the same client again answers 200 with the same body.",
			"security": ingest,
			"parameters": []any{param("name", "path", "the client's name (case-insensitive FQDN)", str),
				param("kind", "path", "the kind of the text; auto detects it", map[string]any{"type": "string", "enum": kindNames(evidence.ClientKinds())}),
				param("file", "query", "the file's name", str),
				param("utc_offset", "query", "windowsupdatelog: the UTC offset the client wrote local times in, e.g. +01:00", str)},
			"requestBody": map[string]any{"required": true, "content": map[string]any{"application/octet-stream": map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}}},
			"responses": merge(map[string]any{
				"201": jsonResp("stored", s.Ref(probes.ClientEvidence{})),
				"200": jsonResp("this content was stored for this client before", s.Ref(probes.ClientEvidence{})),
			}, problems("400", "401", "403", "404", "413", "422")),
		}},
		"/api/v1/clients/{name}": map[string]any{"get": map[string]any{
			"summary":  "Everything known about one computer: the servers' view, its own policy and checks, the evidence sent, its gap, its errors decoded and the server finding that explains them, the fix, its history",
			"security": read, "parameters": []any{param("name", "path", "the client's name (case-insensitive FQDN)", str)},
			"responses": merge(map[string]any{"200": jsonResp("the client", s.Ref(probes.ClientDetail{}))}, problems("401", "404")),
		}},
		"/api/v1/client-reports": map[string]any{"post": map[string]any{
			"summary":     "Store one Windows client's own view of its WSUS policy",
			"description": "The server it belongs to is derived from WUServer (by name or URL). Its policy is judged (DESIGN §6: policy_off, wrong_server, bad_url, duplicate_id) and the answer says where it was filed and its gap now. Idempotent on id.",
			"security":    ingest, "requestBody": body(s.Ref(probes.ClientReport{}), "a wsusfleet.client-report.v1 document"),
			"responses": merge(map[string]any{
				"201": jsonResp("stored", s.Ref(probes.ClientReceipt{})), "200": jsonResp("stored before", s.Ref(probes.ClientReceipt{})),
			}, problems("400", "401", "403", "409", "413", "422")),
		}},
		"/api/v1/inventory": map[string]any{"post": map[string]any{
			"summary":     "Store a directory inventory: the computers expected to use WSUS (e.g. from AD)",
			"description": "A complete snapshot replaces its source and scope. Computers no server lists become expected_missing unless something more specific explains them.",
			"security":    ingest, "requestBody": body(s.Ref(probes.Inventory{}), "a wsusfleet.inventory.v1 document"),
			"responses": merge(map[string]any{
				"201": jsonResp("stored", s.Ref(probes.InventoryReceipt{})), "200": jsonResp("stored before", s.Ref(probes.InventoryReceipt{})),
			}, problems("400", "401", "403", "409", "413", "422")),
		}},
		"/api/v1/gaps": map[string]any{"get": map[string]any{
			"summary": "The fleet's client-reporting gaps by category (DESIGN §6), per server and unassigned", "security": read,
			"responses": merge(map[string]any{"200": jsonResp("counts", s.Ref(probes.FleetGaps{}))}, problems("401")),
		}},
		"/api/v1/gaps/{category}": map[string]any{"get": map[string]any{
			"summary": "The clients of one gap category with their evidence; Accept: text/csv (or format=csv) exports them all", "security": read,
			"parameters": []any{param("category", "path", "a gap category", map[string]any{"type": "string", "enum": probes.GapCategories()}),
				param("server", "query", "only this server's", str), param("cursor", "query", "next_cursor of the previous page", str),
				param("limit", "query", "page size, 1 to 1000 (default 100)", map[string]any{"type": "integer", "minimum": 1, "maximum": 1000})},
			"responses": merge(map[string]any{"200": map[string]any{"description": "a page of clients, or CSV",
				"content": map[string]any{"application/json": map[string]any{"schema": s.Ref(probes.GapPage{})}, "text/csv": map[string]any{"schema": str}}}},
				problems("401", "404", "422")),
		}},
		"/api/v1/findings": map[string]any{"get": map[string]any{
			"summary": "Open findings across the fleet, most severe first; Accept: text/csv exports them", "security": read,
			"parameters": []any{param("severity", "query", "critical, warning or info", map[string]any{"type": "string", "enum": []string{"critical", "warning", "info"}}),
				param("rule", "query", "a rule id", str), param("server", "query", "a server", str)},
			"responses": merge(map[string]any{"200": jsonResp("findings", s.Ref(FindingList{}))}, problems("401", "422")),
		}},
		"/api/v1/hierarchy": map[string]any{"get": map[string]any{
			"summary": "Upstream → downstream → replica tree with each server's sync result and age; a server below a failing one is marked affected", "security": read,
			"responses": merge(map[string]any{"200": jsonResp("the tree", s.Ref(probes.Hierarchy{}))}, problems("401")),
		}},
		"/api/v1/openapi.json": map[string]any{"get": map[string]any{"summary": "This document", "security": []any{map[string]any{}},
			"responses": map[string]any{"200": map[string]any{"description": "OpenAPI 3.1"}}}},
		"/healthz": map[string]any{"get": map[string]any{"summary": "Liveness", "security": []any{map[string]any{}},
			"responses": map[string]any{"200": map[string]any{"description": "alive"}}}},
		"/readyz": map[string]any{"get": map[string]any{"summary": "Readiness: database reachable and migrated", "security": []any{map[string]any{}},
			"responses": merge(map[string]any{"200": map[string]any{"description": "ready"}}, problems("503"))}},
	}
	doc := map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "wsusfleet API", "version": version,
			"description": "Probe results and evidence from a fleet of WSUS servers. Writes need Authorization: Bearer <token> with scope ingest (or admin). Errors are application/problem+json (RFC 9457) whose errors list names each bad field by JSON pointer, query parameter or line."},
		"paths": paths,
		"components": map[string]any{
			"schemas":         s.Defs(),
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer", "description": "a token from wsusfleet token create"}},
		},
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		panic("openapi: " + err.Error()) // static structure: fails in every test run if ever broken
	}
	return b
}

// kindNames lists evidence kinds for the document's enums.
func kindNames(kinds []evidence.Kind) []string {
	out := make([]string, len(kinds))
	for i, k := range kinds {
		out[i] = k.Name
	}
	return out
}

var problemText = map[string]string{
	"400": "malformed request (not JSON, bad gzip)",
	"401": "no token, or an unknown or revoked one",
	"403": "the token's scope does not allow this",
	"404": "no such server",
	"409": "the id was already used for a different document",
	"413": "the body is larger than the limit",
	"422": "invalid fields, each named in errors",
	"503": "not ready",
}

func (a *app) openAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Write(a.openapi)
	return nil
}

package web

import (
	"net/http"
	"strings"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/evidence"
)

// One client: its evidence, its API view and its page (api_client*.go,
// page_client*.go, page_evidence.go).

func clientNameParam() param {
	return pathParam("name", "the client's name (case-insensitive FQDN)", strSchema())
}

func (endpoints) PostClientEvidence() operation {
	var names, desc []string
	for _, k := range evidence.ClientKinds() {
		names = append(names, k.Name)
		desc = append(desc, k.Name+": "+k.Description)
	}
	return post("/api/v1/clients/{name}/evidence/{kind}", "Store evidence about one client: regquery, windowsupdatelog, or auto").by(clientAPI).
		describe("The body is the text or file as the admin has it (UTF-16LE or UTF-8, pasted Markdown, gzip accepted). Registry output that shows enough of the policy "+
			"is applied to what is known of the client and judged as a client report is; a WindowsUpdate.log is kept as facts and never changes the policy. "+
			"The answer is what was understood and what changed; the same content for the same client again answers 200 with the same body.").
		with(clientNameParam(), pathParam("kind", "what the text is; "+strings.Join(desc, "; "), enumSchema(names...)),
			queryParam("file", "the file's name", strSchema()),
			queryParam("utc_offset", "windowsupdatelog: the UTC offset the client wrote local times in, e.g. +01:00", strSchema())).
		takesFile("the evidence text or file").
		returns(http.StatusCreated, "stored", probes.ClientEvidence{}).
		returns(http.StatusOK, "this content was stored for this client before", probes.ClientEvidence{})
}

func (endpoints) GetClient() operation {
	return get("/api/v1/clients/{name}", "Everything known about one computer").by(readAPI).
		describe("The servers' view of it, its own policy and checks, the evidence sent, its gap, its errors decoded and the server finding that explains them, the fix, its history.").
		with(clientNameParam()).
		returns(http.StatusOK, "the client", probes.ClientDetail{})
}

func (endpoints) ClientPage() operation {
	return get("/clients/{name}", "One computer: its gap, why, the fix and its evidence").by(readPage).
		with(clientNameParam()).returnsAs(http.StatusOK, "the page", "text/html")
}

func (endpoints) PasteClientEvidence() operation {
	return post("/clients/{name}/evidence", "Add evidence about a client: pasted text or a file (form post, ingest or admin session)").by(ingestPage).
		with(clientNameParam()).returnsAs(http.StatusOK, "what was understood and what changed", "text/html")
}

func (endpoints) PasteServerEvidence() operation {
	return post("/servers/{name}/evidence", "Add evidence about a server: pasted text or a file (form post, ingest or admin session)").by(ingestPage).
		with(serverNameParam()).returnsAs(http.StatusOK, "what was understood and what changed", "text/html")
}

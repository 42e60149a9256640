package web

import (
	"net/http"
	"net/url"

	"github.com/wsusfleet/wsusfleet/probes"
)

// postReport stores a server report: 201 when new, 200 with the same body
// when this very document was stored before.
func (a *app) postReport(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(w, r, a.cfg.MaxReportBytes)
	if err != nil {
		return err
	}
	now := a.now()
	if len(body) <= fastDecodeMax {
		rep, err := decodeReport(body, now)
		if err != nil {
			return err
		}
		receipt, replay, err := a.store.SaveReport(r.Context(), rep, probes.Digest(body))
		return a.answerReport(w, receipt, replay, err)
	}
	digest := make(chan string, 1)
	go func() { digest <- probes.Digest(body) }() // beside the decoding
	if !a.store.LoadsWhileDecoding() {
		rep, err := probes.DecodeReport(body, now)
		if err != nil {
			return err
		}
		receipt, replay, err := a.store.SaveReport(r.Context(), rep, <-digest)
		return a.answerReport(w, receipt, replay, err)
	}
	// A large client list is loaded as its items are decoded, in the
	// report's one transaction, which the store commits only once every
	// item arrived valid (PostgreSQL: the load runs in the database's
	// process while this one decodes).
	rep, err := probes.DecodeReportStreamed(body, now)
	if err != nil {
		return err
	}
	sum := <-digest
	receipt, replay, err := a.store.SaveReport(r.Context(), rep, sum)
	if rep.Clients.Wait() != nil {
		// Refused on the way: nothing was stored, and the strict decode
		// names the problems (or, if it accepts the document, stores it).
		if rep, err = probes.DecodeReport(body, now); err != nil {
			return err
		}
		receipt, replay, err = a.store.SaveReport(r.Context(), rep, sum)
	}
	return a.answerReport(w, receipt, replay, err)
}

// answerReport answers a stored report: 201 when new, 200 for a replay.
func (a *app) answerReport(w http.ResponseWriter, receipt probes.Receipt, replay bool, err error) error {
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if replay {
		status = http.StatusOK
	}
	w.Header().Set("Location", "/api/v1/servers/"+url.PathEscape(receipt.Server))
	return writeJSON(w, status, receipt)
}

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
	rep, err := decodeReport(body, a.now())
	if err != nil {
		return err
	}
	receipt, replay, err := a.store.SaveReport(r.Context(), rep, probes.Digest(body))
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

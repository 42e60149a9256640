package web

import (
	"net/http"

	"github.com/wsusfleet/wsusfleet/probes"
)

// maxClientReportBytes bounds a client report: one computer's view is small,
// and tens of thousands of them arrive at once.
const maxClientReportBytes = 1 << 20

// postClientReport stores one Windows client's own view of its policy.
func (a *app) postClientReport(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(w, r, maxClientReportBytes)
	if err != nil {
		return err
	}
	cr, err := decodeClientReport(body, a.now())
	if err != nil {
		return err
	}
	receipt, replay, err := a.store.SaveClientReport(r.Context(), cr, probes.Digest(body))
	if err != nil {
		return err
	}
	return writeJSON(w, createdOr(replay), receipt)
}

// postInventory stores a directory inventory snapshot.
func (a *app) postInventory(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(w, r, a.cfg.MaxReportBytes)
	if err != nil {
		return err
	}
	inv, err := probes.DecodeInventory(body, a.now())
	if err != nil {
		return err
	}
	receipt, replay, err := a.store.SaveInventory(r.Context(), inv, probes.Digest(body))
	if err != nil {
		return err
	}
	return writeJSON(w, createdOr(replay), receipt)
}

// createdOr: 201 for a new document, 200 when it was stored before.
func createdOr(replay bool) int {
	if replay {
		return http.StatusOK
	}
	return http.StatusCreated
}

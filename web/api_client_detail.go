package web

import (
	"context"
	"net/http"

	"github.com/wsusfleet/wsusfleet/probes"
)

// getClient is GET /api/v1/clients/{name}: everything known about one
// computer, its errors decoded and explained, and the fix.
func (a *app) getClient(w http.ResponseWriter, r *http.Request) error {
	name, err := clientName(r)
	if err != nil {
		return err
	}
	d, err := a.clientDetail(r.Context(), name)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}

// clientDetail reads a client and explains it with its server's findings.
func (a *app) clientDetail(ctx context.Context, name string) (*probes.ClientDetail, error) {
	d, err := a.store.ClientDetail(ctx, name)
	if err != nil {
		return nil, err
	}
	var findings []probes.Finding
	if d.Server != "" {
		sf, err := a.store.Findings(ctx, probes.FindingQuery{Server: d.Server})
		if err != nil {
			return nil, err
		}
		for _, f := range sf {
			findings = append(findings, f.Finding)
		}
	}
	if findings == nil {
		findings = []probes.Finding{}
	}
	d.Explain(findings, a.now())
	return d, nil
}

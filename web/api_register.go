package web

import (
	"net/http"
	"net/url"

	"github.com/wsusfleet/wsusfleet/probes"
)

// maxSmallBody bounds bodies that are a few fields (registrations, forms).
const maxSmallBody = 64 << 10

// registerServer makes the dashboard probe a server: 201 when new, 200 when
// a known server's URL was updated.
func (a *app) registerServer(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(w, r, maxSmallBody)
	if err != nil {
		return err
	}
	reg, err := probes.Decode[probes.Registration](body, a.now())
	if err != nil {
		return err
	}
	if !a.cfg.AllowLinkLocal {
		if err := reg.CheckTarget(); err != nil {
			return err
		}
	}
	name := reg.ServerName()
	created, err := a.store.RegisterServer(r.Context(), name, reg.URL)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	w.Header().Set("Location", "/api/v1/servers/"+url.PathEscape(name))
	return writeJSON(w, status, probes.Registration{Name: name, URL: reg.URL})
}

// deleteServer forgets a decommissioned server and all its history.
func (a *app) deleteServer(w http.ResponseWriter, r *http.Request) error {
	name, err := serverName(r)
	if err != nil {
		return err
	}
	if err := a.store.DeleteServer(r.Context(), name); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

package web

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/wsusfleet/wsusfleet/probes"
)

// ServerList is the answer of GET /api/v1/servers.
type ServerList struct {
	Servers []probes.ServerSummary `json:"servers"`
}

// listServers answers from a read model, rebuilt when a write lands (ETag,
// 304 on If-None-Match).
func (a *app) listServers(w http.ResponseWriter, r *http.Request) error {
	return a.cachedJSON(w, r, "api:servers", func(ctx context.Context) (any, error) {
		servers, err := a.store.ListServers(ctx)
		if err != nil {
			return nil, err
		}
		return ServerList{Servers: servers}, nil
	})
}

// Resolution is the answer of GET /api/v1/resolve: the fleet server a URL
// names, and how (name, url, alias, address or short).
type Resolution struct {
	URL       string `json:"url"`
	Server    string `json:"server"`
	MatchedBy string `json:"matched_by"`
}

// resolveServer answers which known server a URL (host and port) names, by
// any of its names: what an agent asks before posting a report under the
// server's name, so it never files one under a name the fleet does not know.
func (a *app) resolveServer(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r)
	if err != nil {
		return err
	}
	raw := q.Get("url")
	if raw == "" {
		return probes.InvalidParam("url", "is required: the WSUS server's URL, e.g. http://wsus01.corp.example:8530")
	}
	m, err := a.store.ResolveServer(r.Context(), raw)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, Resolution{URL: raw, Server: m.Server, MatchedBy: m.Kind})
}

// serverName reads the {name} path segment (which may be percent-encoded).
func serverName(r *http.Request) (string, error) {
	name, err := url.PathUnescape(chi.URLParam(r, "name"))
	if err != nil || name == "" {
		return "", errStatus(http.StatusBadRequest, "the server name in the path is not valid")
	}
	return name, nil
}

// newServerName reads a {name} that a write will store: it must be a host
// name (probes.CheckName). Lookups take any name, so a row stored before
// names were checked stays reachable and deletable.
func newServerName(r *http.Request) (string, error) {
	name, err := serverName(r)
	if err != nil {
		return "", err
	}
	if err := probes.CheckName(name); err != nil {
		return "", probes.InvalidParam("name", "%s", err.Error())
	}
	return name, nil
}

func (a *app) getServer(w http.ResponseWriter, r *http.Request) error {
	st, err := a.serverState(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, st)
}

// serverState reads the state of the server the path names.
func (a *app) serverState(r *http.Request) (*probes.ServerState, error) {
	name, err := serverName(r)
	if err != nil {
		return nil, err
	}
	return a.store.ServerState(r.Context(), name)
}

// VDirHistory is the answer of GET /api/v1/servers/{name}/vdirs.
type VDirHistory struct {
	Server string                 `json:"server"`
	Since  time.Time              `json:"since"`
	Checks []probes.ObservedCheck `json:"checks"`
}

func (a *app) vdirHistory(w http.ResponseWriter, r *http.Request) error {
	name, err := serverName(r)
	if err != nil {
		return err
	}
	since := a.now().Add(-24 * time.Hour)
	if v := r.URL.Query().Get("since"); v != "" {
		if since, err = parseSince(v, a.now()); err != nil {
			return err
		}
	}
	checks, err := a.store.VDirHistory(r.Context(), name, since)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, VDirHistory{Server: probes.NormalizeName(name), Since: since, Checks: checks})
}

// parseSince accepts an RFC 3339 time or an age such as 24h or 7d.
func parseSince(v string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	d, err := probes.ParseAge(v)
	if err != nil {
		return time.Time{}, probes.InvalidParam("since", "must be an RFC 3339 time or an age like 24h or 7d; got %q", v)
	}
	return now.Add(-d), nil
}

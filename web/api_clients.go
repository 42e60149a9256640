package web

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

// clientQuery reads the query string of the client list.
func clientQuery(r *http.Request, server string) (probes.ClientQuery, error) {
	v, err := query(r)
	if err != nil {
		return probes.ClientQuery{}, err
	}
	q := probes.ClientQuery{Server: server, Gap: v.Get("gap"), Category: v.Get("category"), Cursor: v.Get("cursor"), Search: v.Get("q"), Sort: v.Get("sort")}
	if s := v.Get("older_than"); s != "" {
		d, err := probes.ParseAge(s)
		if err != nil || d == 0 {
			return q, probes.InvalidParam("older_than", "must be an age like 30d or 36h; got %q", s)
		}
		q.OlderThan = d
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return q, probes.InvalidParam("limit", "must be a whole number from 1 to 1000; got %q", s)
		}
		q.Limit = n
	}
	return q, nil
}

// query parses the query string strictly: a malformed one is an error, not
// silently dropped parameters.
func query(r *http.Request) (url.Values, error) {
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, errStatus(http.StatusBadRequest, "malformed query string: %v", err)
	}
	return v, nil
}

// wantsCSV: Accept: text/csv, or ?format=csv for a plain download link.
func wantsCSV(r *http.Request) bool {
	return r.URL.Query().Get("format") == "csv" || strings.Contains(r.Header.Get("Accept"), "text/csv")
}

func (a *app) listClients(w http.ResponseWriter, r *http.Request) error {
	name, err := serverName(r)
	if err != nil {
		return err
	}
	q, err := clientQuery(r, name)
	if err != nil {
		return err
	}
	if wantsCSV(r) {
		return a.clientsCSV(w, r, q)
	}
	page, err := a.store.Clients(r.Context(), q)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, page)
}

var csvHeader = []string{"server", "name", "id", "ip", "os", "client_version", "groups", "requested_group",
	"last_sync", "last_sync_result", "last_report", "first_seen", "last_seen", "removed_at", "gap", "gap_detail"}

// clientsCSV streams every matching client (no paging) as CSV. The first row
// is fetched before the header is written, so a bad query still gets a
// proper error instead of a half-written file.
func (a *app) clientsCSV(w http.ResponseWriter, r *http.Request, q probes.ClientQuery) error {
	cw := csv.NewWriter(w)
	started := false
	err := a.store.EachClient(r.Context(), q, func(c probes.ClientRecord) error {
		if !started {
			startCSV(w, q.Server)
			cw.Write(csvHeader)
			started = true
		}
		return cw.Write(csvRow(c))
	})
	if err != nil && !started {
		return err
	}
	if !started {
		startCSV(w, q.Server)
		cw.Write(csvHeader)
	}
	cw.Flush()
	return cw.Error()
}

func startCSV(w http.ResponseWriter, server string) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+csvFileName(server)+`-clients.csv"`)
	w.WriteHeader(http.StatusOK)
}

func csvFileName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
			return r
		}
		return '_'
	}, probes.NormalizeName(s))
}

func csvRow(c probes.ClientRecord) []string {
	t := func(p *time.Time) string {
		if p == nil {
			return ""
		}
		return p.UTC().Format(time.RFC3339)
	}
	row := []string{c.Server, c.Name, c.ID, c.IP, c.OS, c.ClientVersion, strings.Join(c.Groups, ";"), c.RequestedGroup,
		t(c.LastSync.Ptr()), c.LastSyncResult, t(c.LastReport.Ptr()), t(&c.FirstSeen), t(&c.LastSeen), t(c.RemovedAt), c.Gap, c.GapDetail}
	for i, v := range row {
		row[i] = csvSafe(v)
	}
	return row
}

// csvSafe defuses spreadsheet formulas: report values are untrusted, and
// admins open these files in Excel.
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

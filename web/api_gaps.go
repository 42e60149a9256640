package web

import (
	"context"
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/wsusfleet/wsusfleet/probes"
)

func (a *app) getGaps(w http.ResponseWriter, r *http.Request) error {
	return a.cachedJSON(w, r, "api:gaps", func(ctx context.Context) (any, error) { return a.store.Gaps(ctx) })
}

// getGapClients lists the clients of one category with their evidence;
// Accept: text/csv (or format=csv) exports all of them.
func (a *app) getGapClients(w http.ResponseWriter, r *http.Request) error {
	v, err := query(r)
	if err != nil {
		return err
	}
	q := probes.GapQuery{Category: chi.URLParam(r, "category"), Server: v.Get("server"), Cursor: v.Get("cursor")}
	if s := v.Get("limit"); s != "" {
		if q.Limit, err = strconv.Atoi(s); err != nil || q.Limit < 1 {
			return probes.InvalidParam("limit", "must be a whole number from 1 to 1000; got %q", s)
		}
	}
	if wantsCSV(r) {
		return a.gapClientsCSVFor(w, r, q)
	}
	page, err := a.store.GapClients(r.Context(), q)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, page)
}

func (a *app) gapClientsCSVFor(w http.ResponseWriter, r *http.Request, q probes.GapQuery) error {
	cw := csv.NewWriter(w)
	started := false
	start := func() {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+csvFileName(q.Category)+`.csv"`)
		w.WriteHeader(http.StatusOK)
		cw.Write([]string{"name", "server", "category", "detail", "cause", "since", "listed", "last_report", "last_sync", "ip", "os"})
		started = true
	}
	t := func(p *time.Time) string {
		if p == nil {
			return ""
		}
		return p.UTC().Format(time.RFC3339)
	}
	err := a.store.EachGapClient(r.Context(), q, func(c probes.GapClient) error {
		if !started {
			start()
		}
		row := []string{c.Name, c.Server, c.Category, c.Detail, c.Cause, t(c.Since), strconv.FormatBool(c.Listed), t(c.LastReport), t(c.LastSync), c.IP, c.OS}
		for i := range row {
			row[i] = csvSafe(row[i])
		}
		return cw.Write(row)
	})
	if err != nil && !started {
		return err
	}
	if !started {
		start()
	}
	cw.Flush()
	return cw.Error()
}

// FindingList is the answer of GET /api/v1/findings.
type FindingList struct {
	Findings []probes.ServerFinding `json:"findings"`
}

func (a *app) getFindings(w http.ResponseWriter, r *http.Request) error {
	v, err := query(r)
	if err != nil {
		return err
	}
	list, err := a.store.Findings(r.Context(), probes.FindingQuery{Severity: v.Get("severity"), Rule: v.Get("rule"), Server: v.Get("server")})
	if err != nil {
		return err
	}
	if !wantsCSV(r) {
		return writeJSON(w, http.StatusOK, FindingList{Findings: list})
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="findings.csv"`)
	cw := csv.NewWriter(w)
	cw.Write([]string{"server", "severity", "rule", "subject", "title", "first_seen", "last_seen", "cause", "first_step"})
	for _, f := range list {
		step := ""
		if len(f.Remediation) > 0 {
			step = strings.TrimSpace(f.Remediation[0].Text + ": " + f.Remediation[0].Command)
		}
		row := []string{f.Server, f.Severity, f.Rule, f.Subject, f.Title, f.FirstSeen.UTC().Format(time.RFC3339), f.LastSeen.UTC().Format(time.RFC3339), f.Cause, step}
		for i := range row {
			row[i] = csvSafe(row[i])
		}
		cw.Write(row)
	}
	cw.Flush()
	return cw.Error()
}

func (a *app) getHierarchy(w http.ResponseWriter, r *http.Request) error {
	fleet, err := a.store.Fleet(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, probes.BuildHierarchy(fleet, a.now()))
}

package web_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/rules"
	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
	"github.com/wsusfleet/wsusfleet/web"
)

// A healthy server with a few stale laptops is OK everywhere — the API,
// the fleet page and the metrics read one status — and the same server with
// a third of its clients silent is a warning (serve --gap-warning-share).
func TestGapShareDecidesStatusEverywhere(t *testing.T) {
	for name, open := range storetest.Dialects(t) {
		t.Run(name, func(t *testing.T) {
			for _, tc := range []struct {
				stale int
				want  string
			}{{8, probes.StatusOK}, {30, probes.StatusWarning}} {
				e := newEnvOn(t, web.Config{}, store.Options{Diagnose: rules.Diagnose, GapWarningShare: 0.25}, open)
				server := fmt.Sprintf("wsus%02d.corp.example", tc.stale)
				var clients []probes.Client
				for i := range 100 {
					age := time.Hour
					if i < tc.stale {
						age = 20 * 24 * time.Hour
					}
					clients = append(clients, listed(fmt.Sprintf("pc%03d.corp.example", i), age, age))
				}
				r := storetest.Report(server, server, t0)
				r.Server.URL = "http://" + server + ":8530"
				r.Clients = &probes.ClientList{Complete: true, Items: clients}
				e.mustPost("/api/v1/reports", r)
				e.settle()

				var list web.ServerList
				e.do("GET", "/api/v1/servers", "", nil).json(t, &list)
				if len(list.Servers) != 1 || list.Servers[0].Status != tc.want {
					t.Fatalf("%d %% stale: API status %+v, want %s", tc.stale, list.Servers, tc.want)
				}
				var st probes.ServerState
				e.do("GET", "/api/v1/servers/"+server, "", nil).json(t, &st)
				var stale *probes.Finding
				for i := range st.Findings {
					if st.Findings[i].Rule == probes.GapStaleReport {
						stale = &st.Findings[i]
					}
				}
				if stale == nil {
					t.Fatalf("%d %% stale: no stale_report finding in %+v", tc.stale, st.Findings)
				}
				if wantSev := map[string]string{probes.StatusOK: probes.SeverityInfo, probes.StatusWarning: probes.SeverityWarning}[tc.want]; stale.Severity != wantSev {
					t.Errorf("%d %% stale: the finding is %s, want %s", tc.stale, stale.Severity, wantSev)
				}
				doc, err := goquery.NewDocumentFromReader(bytes.NewReader(e.do("GET", "/", "", nil).body))
				if err != nil {
					t.Fatal(err)
				}
				row := doc.Find(`[data-testid="server-row"]`).First()
				if got := row.AttrOr("data-status", ""); got != tc.want {
					t.Errorf("%d %% stale: fleet row status %q, want %s", tc.stale, got, tc.want)
				}
			}
		})
	}
}

package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/sim/demofleet"
	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
)

// Both databases keep a server's sections packed (on PostgreSQL since
// migration 0017). The server's state, its identity and the fleet's sync
// read them back, and sections stored as JSON before read the same.
func TestSectionsStoredPacked(t *testing.T) {
	const server = "wsus-hq.corp.example"
	for dialect, open := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			s := open(t, store.Options{Now: func() time.Time { return storetest.T0 }})
			ctx := context.Background()
			// What the collector on a server sends (as the demo fleet's).
			r := demofleet.Fleet()[0].Report("http://"+server+":8530", storetest.T0, 0)
			r.Clients = nil
			r.Server.Aliases = []string{"wsus.corp.example"}
			if _, _, err := s.SaveReport(ctx, r, ""); err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{probes.SectionServer, probes.SectionVDirConfig, probes.SectionACLs, probes.SectionSync} {
				stored, err := store.StoredSection(ctx, s, server, name)
				if err != nil || !strings.HasPrefix(stored, store.RunPackTag) {
					t.Fatalf("stored %s starts %.4q, %v; want it packed", name, stored, err)
				}
			}
			want := func(when, client string) {
				t.Helper()
				st, err := s.ServerState(ctx, server)
				if err != nil {
					t.Fatalf("%s: %v", when, err)
				}
				if st.Server.Version != r.Server.Version || len(st.VDirConfig) != len(r.VDirConfig) || st.VDirConfig[0] != r.VDirConfig[0] ||
					st.AppPool == nil || len(st.ACLs) != len(r.ACLs) || st.Sync == nil || st.Sync.From != r.Sync.From {
					t.Fatalf("%s: state reads server %+v, %d vDir configs, pool %v, %d ACLs, sync %+v", when, st.Server, len(st.VDirConfig),
						st.AppPool, len(st.ACLs), st.Sync)
				}
				fleet, err := s.Fleet(ctx)
				if err != nil || len(fleet) != 1 || fleet[0].Sync == nil || fleet[0].Sync.From != r.Sync.From {
					t.Fatalf("%s: fleet %+v, %v", when, fleet, err)
				}
				// The alias from the server section names the server (its identity).
				rec, _, err := s.SaveClientReport(ctx, storetest.ClientReport(client, "http://wsus.corp.example:8530",
					"http://wsus.corp.example:8530", "", storetest.T0), "")
				if err != nil || rec.Server != server {
					t.Fatalf("%s: a client of the alias filed under %q, %v", when, rec.Server, err)
				}
			}
			want("packed", "pc1.corp.example")
			if err := store.SetSectionsPlain(ctx, s, server); err != nil {
				t.Fatal(err)
			}
			if stored, _ := store.StoredSection(ctx, s, server, probes.SectionVDirConfig); !strings.HasPrefix(stored, "[") {
				t.Fatalf("the vDir configuration as JSON starts %.4q", stored)
			}
			want("stored as JSON", "pc2.corp.example")
		})
	}
}

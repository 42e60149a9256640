package store_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
)

// A page of a server's clients in one gap category is read in the list's
// order from the server's own index: sorting the whole category for every
// page took PostgreSQL ~1 s a page for 65,000 stale clients (migration
// 0014), and the fleet-wide index (clients_gap_fleet, by category and
// name) would walk every other server's clients of the category too.
var serverGapIndex = regexp.MustCompile(`\bclients_gap\b`)

func TestCategoryPageReadInOrderFromAnIndex(t *testing.T) {
	for name, open := range storetest.Dialects(t) {
		t.Run(name, func(t *testing.T) {
			s := open(t, store.Options{})
			ctx := context.Background()
			if _, _, err := s.SaveReport(ctx, storetest.Report("order", "wsus01", storetest.T0), ""); err != nil {
				t.Fatal(err)
			}
			for _, q := range []probes.ClientQuery{
				{Server: "wsus01", Gap: probes.GapStaleReport},
				{Server: "wsus01", Gap: probes.GapNeverReported},
				{Server: "wsus01", Category: probes.GapStaleReport},
			} {
				plan, err := store.ClientPagePlan(ctx, s, q)
				if err != nil {
					t.Fatal(err)
				}
				if !serverGapIndex.MatchString(plan) || strings.Contains(strings.ToUpper(plan), "SORT") || strings.Contains(plan, "TEMP B-TREE") {
					t.Errorf("%+v: plan\n%s\nwant the clients_gap index read in order, nothing sorted", q, plan)
				}
			}
		})
	}
}

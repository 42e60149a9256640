package demofleet

import (
	"context"
	"fmt"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

// Store is what seeding the demo writes to (the dashboard's store).
type Store interface {
	RegisterServer(ctx context.Context, name, url string) (created bool, err error)
	SaveReport(ctx context.Context, r *probes.Report, digest string) (probes.Receipt, bool, error)
	SaveClientReport(ctx context.Context, cr *probes.ClientReport, digest string) (probes.ClientReceipt, bool, error)
	SaveInventory(ctx context.Context, inv *probes.Inventory, digest string) (probes.InventoryReceipt, bool, error)
	Settle(ctx context.Context) (classified, diagnosed int, err error)
}

// Seed registers the fleet's servers at urls (one per server of fleet, in
// order) and sends what the collectors on those servers, their clients and
// the directory inventory would send, with the servers' client lists scaled
// by scale; it returns how many clients the lists hold.
func Seed(ctx context.Context, st Store, fleet []Server, urls []string, scale float64, now time.Time) (clients int, err error) {
	for i, d := range fleet {
		if _, err := st.RegisterServer(ctx, d.Name, urls[i]); err != nil {
			return 0, err
		}
		r := d.Report(urls[i], now, scale)
		clients += len(r.Clients.Items)
		if _, _, err := st.SaveReport(ctx, r, ""); err != nil {
			return 0, fmt.Errorf("seed %s: %w", d.Name, err)
		}
	}
	return clients, seedClientViews(ctx, st, now)
}

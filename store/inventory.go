package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/wsusfleet/wsusfleet/probes"
)

var inventoryColumns = []string{"name", "source", "scope", "enabled", "last_logon", "ou", "snapshot"}

const upsertInventorySet = ` ON CONFLICT (name) DO UPDATE SET source = excluded.source, scope = excluded.scope,
	enabled = excluded.enabled, last_logon = excluded.last_logon, ou = excluded.ou, snapshot = excluded.snapshot`

// SaveInventory stores a directory inventory snapshot (the computers
// expected to use WSUS). A complete one replaces its source and scope: items
// it no longer lists are forgotten. Computers no server lists become
// expected_missing unless something more specific explains them.
func (s *Store) SaveInventory(ctx context.Context, inv *probes.Inventory, digest string) (receipt probes.InventoryReceipt, replay bool, err error) {
	if digest == "" {
		b, _ := json.Marshal(inv)
		digest = probes.Digest(b)
	}
	rows := make([][]any, len(inv.Items))
	for i, it := range inv.Items {
		rows[i] = []any{probes.NormalizeName(it.Name), inv.Source, inv.Scope, it.Enabled, msPtr(it.LastLogon.Time), it.OU, nil}
	}
	var replayed string
	err = s.write(ctx, func(ctx context.Context, t *wtx) error {
		doc := document{id: inv.ID, kind: "inventory", digest: digest, collectedAt: ms(inv.CollectedAt.Time)}
		if inv.Collector != nil {
			doc.collector, doc.origin = inv.Collector.Name, inv.Collector.Host
		}
		if err := claimDocument(ctx, t, doc, nil, "{}", &replayed); err != nil {
			return err
		}
		removed, err := s.mergeInventory(ctx, t, inv, rows)
		if err != nil {
			return err
		}
		d, w := gapDeltas{}, t.pipe()
		if err := s.classifyUnlisted(ctx, t, w, nameSet{}, nil, d, nil); err != nil {
			return err
		}
		if err := s.settleGaps(ctx, t, w, d); err != nil {
			return err
		}
		if err := w.run(ctx, "store computer gaps"); err != nil {
			return err
		}
		receipt = probes.InventoryReceipt{ID: inv.ID, Items: len(inv.Items), Removed: removed, Complete: inv.Complete}
		if err := t.QueryRowContext(ctx, `SELECT COUNT(*) FROM fleet_gaps WHERE category = $1`, probes.GapExpectedMissing).Scan(&receipt.Missing); err != nil {
			return err
		}
		answer, _ := json.Marshal(receipt)
		_, err = t.ExecContext(ctx, `UPDATE reports SET response = $2 WHERE id = $1`, inv.ID, string(answer))
		return err
	})
	if errors.Is(err, errReplay) {
		return receipt, true, json.Unmarshal([]byte(replayed), &receipt)
	}
	return receipt, false, err
}

// mergeInventory upserts the items; a complete snapshot forgets the items of
// its source and scope it no longer lists. An older snapshot than the last
// one applied changes nothing.
func (s *Store) mergeInventory(ctx context.Context, t *wtx, inv *probes.Inventory, rows [][]any) (removed int64, err error) {
	var seq, last sql.NullInt64
	err = t.QueryRowContext(ctx, `SELECT snapshot, collected_at FROM inventory_scopes WHERE source = $1 AND scope = $2`, inv.Source, inv.Scope).Scan(&seq, &last)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("read inventory scope: %w", err)
	}
	collected := ms(inv.CollectedAt.Time)
	if last.Valid && collected < last.Int64 {
		return 0, nil
	}
	next := seq.Int64
	if inv.Complete {
		next++
	}
	if _, err := t.ExecContext(ctx, `INSERT INTO inventory_scopes (source, scope, snapshot, collected_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (source, scope) DO UPDATE SET snapshot = excluded.snapshot, collected_at = excluded.collected_at`,
		inv.Source, inv.Scope, next, collected); err != nil {
		return 0, fmt.Errorf("store inventory scope: %w", err)
	}
	for _, r := range rows {
		r[6] = next
	}
	if len(rows) > 0 {
		if err := s.d.bulkLoad(ctx, t, "inventory", inventoryColumns, slices.Values(rows), upsertInventorySet); err != nil {
			return 0, fmt.Errorf("load inventory: %w", err)
		}
	}
	if !inv.Complete {
		return 0, nil
	}
	res, err := t.ExecContext(ctx, `DELETE FROM inventory WHERE source = $1 AND scope = $2 AND snapshot < $3`, inv.Source, inv.Scope, next)
	if err != nil {
		return 0, fmt.Errorf("forget inventory items: %w", err)
	}
	removed, _ = res.RowsAffected()
	return removed, nil
}

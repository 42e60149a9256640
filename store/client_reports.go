package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/wsusfleet/wsusfleet/probes"
)

// SaveClientReport stores one Windows client's own view: its policy judged
// against the fleet server its WUServer names, and the gap categories of its
// name (and of the names sharing its SusClientId) re-derived. replay is true
// when this very document was stored before.
func (s *Store) SaveClientReport(ctx context.Context, cr *probes.ClientReport, digest string) (receipt probes.ClientReceipt, replay bool, err error) {
	cr.Normalize()
	body, err := json.Marshal(struct {
		Client       probes.ClientView    `json:"client"`
		VDirChecks   []probes.VDirCheck   `json:"vdir_checks"`
		Collector    probes.Collector     `json:"collector"`
		UpdateErrors []probes.UpdateError `json:"update_errors,omitempty"` // read back by the client page
	}{cr.Client, cr.VDirChecks, cr.Collector, cr.UpdateErrors})
	if err != nil {
		return receipt, false, err
	}
	if digest == "" {
		b, _ := json.Marshal(cr)
		digest = probes.Digest(b)
	}
	var replayed string
	err = s.write(ctx, func(ctx context.Context, t *wtx) error {
		m, serverID, err := matchWUServer(ctx, t, cr.Client.WUServer)
		if err != nil {
			return err
		}
		verdict := probes.JudgePolicy(cr, m)
		if err := s.upsertClientReport(ctx, t, cr, verdict, serverID, string(body)); err != nil {
			return err
		}
		if receipt, err = clientReceipt(ctx, t, cr, m.Server, verdict); err != nil {
			return err
		}
		answer, _ := json.Marshal(receipt)
		// Claimed last, with its answer: a replay rolls back what came before.
		doc := document{id: cr.ID, kind: "client-report", digest: digest, collectedAt: ms(cr.CollectedAt.Time),
			vantage: probes.VantageClient, collector: strings.TrimSpace(cr.Collector.Name + " " + cr.Collector.Version), origin: cr.Client.Name}
		return claimDocument(ctx, t, doc, nullID(serverID), string(answer), &replayed)
	})
	if errors.Is(err, errReplay) {
		var stored probes.ClientReceipt
		return stored, true, json.Unmarshal([]byte(replayed), &stored)
	}
	return receipt, false, err
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func (s *Store) upsertClientReport(ctx context.Context, t *wtx, cr *probes.ClientReport, verdict probes.PolicyVerdict, serverID int64, body string) error {
	name := cr.Client.Name
	sus := strings.ToLower(strings.Trim(cr.Client.SusClientID, "{}"))
	// In one read: this name's stored view, and the names sharing its
	// SusClientId (cloned images).
	var oldSus, oldChecks string
	var stored, oldServer sql.NullInt64
	sharing := []string{name}
	rows, err := t.QueryContext(ctx, `SELECT name, sus_client_id, collected_at, server_id, checks FROM client_reports
		WHERE name = $1 OR (sus_client_id = $2 AND sus_client_id <> '')`, name, sus)
	if err != nil {
		return fmt.Errorf("read client report: %w", err)
	}
	for rows.Next() {
		var n, id, checks string
		var at, server sql.NullInt64
		if err := rows.Scan(&n, &id, &at, &server, &checks); err != nil {
			rows.Close()
			return err
		}
		if n == name {
			oldSus, stored, oldServer, oldChecks = id, at, server, checks
		} else {
			sharing = append(sharing, n)
		}
	}
	rows.Close()
	if stored.Valid && stored.Int64 > ms(cr.CollectedAt.Time) {
		return nil // a newer view of this client is stored: a late report changes nothing
	}
	checks := checkKeys(cr.VDirChecks)
	if _, err := t.ExecContext(ctx, `INSERT INTO client_reports (name, report_id, collected_at, server_id, sus_client_id, policy_gap, policy_detail,
			policy_scope, body, checks)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (name) DO UPDATE SET report_id = excluded.report_id, collected_at = excluded.collected_at, server_id = excluded.server_id,
			sus_client_id = excluded.sus_client_id, policy_gap = excluded.policy_gap, policy_detail = excluded.policy_detail,
			policy_scope = excluded.policy_scope, body = excluded.body, checks = excluded.checks`,
		name, cr.ID, ms(cr.CollectedAt.Time), nullID(serverID), sus, verdict.Category, verdict.Detail, verdict.Scope, body, checks); err != nil {
		return fmt.Errorf("store client report: %w", err)
	}
	if err := countClientChecks(ctx, t, oldServer, oldChecks, serverID, checks, name, ms(cr.CollectedAt.Time)); err != nil {
		return err
	}
	// Its name, the names sharing its SusClientId, and those that shared the
	// one it reported before (which may be a clone no longer).
	names, dups := slices.Clone(sharing), map[string][]string{}
	if sus != "" && len(sharing) > 1 {
		dups[sus] = sharing
	}
	if oldSus != "" && oldSus != sus {
		before, err := namesWithSusID(ctx, t, oldSus)
		if err != nil {
			return err
		}
		names = append(names, before...)
		if len(before) > 1 {
			dups[oldSus] = before
		}
	}
	return s.classifyNames(ctx, t, names, dups)
}

// namesWithSusID lists the names whose latest report gives SusClientId id.
func namesWithSusID(ctx context.Context, t *wtx, id string) ([]string, error) {
	rows, err := t.QueryContext(ctx, `SELECT name FROM client_reports WHERE sus_client_id = $1`, id)
	if err != nil {
		return nil, fmt.Errorf("read names sharing a SusClientId: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// matchWUServer finds the fleet server a WUServer value names, by any of
// its names (matchHost); the zero match when it is no URL or names none.
func matchWUServer(ctx context.Context, t *wtx, wuServer string) (probes.ServerMatch, int64, error) {
	wu, ok := probes.ParseWUServer(wuServer)
	if !ok {
		return probes.ServerMatch{}, 0, nil
	}
	return matchHost(ctx, t, wu.Host, wu.EffectivePort())
}

// clientReceipt says where the client was filed and its gap now; without a
// gap, what its own report said of it (e.g. that its collector could not run).
func clientReceipt(ctx context.Context, t *wtx, cr *probes.ClientReport, server string, verdict probes.PolicyVerdict) (probes.ClientReceipt, error) {
	r := probes.ClientReceipt{ID: cr.ID, Client: cr.Client.Name, Server: server}
	err := t.QueryRowContext(ctx, `SELECT gap, gap_detail FROM clients WHERE name = $1 AND gap IS NOT NULL
		UNION ALL SELECT category, detail FROM fleet_gaps WHERE name = $1 LIMIT 1`, cr.Client.Name).Scan(&r.Gap, &r.Detail)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return r, err
	}
	if r.Gap == "" {
		r.Detail = verdict.Detail
	}
	return r, nil
}

package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
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
		srv, serverID, known, err := matchPolicyServer(ctx, t, cr.Client.WUServer)
		if err != nil {
			return err
		}
		if err := s.upsertClientReport(ctx, t, cr, srv, serverID, known, string(body)); err != nil {
			return err
		}
		if receipt, err = clientReceipt(ctx, t, cr, srv.Name); err != nil {
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

func (s *Store) upsertClientReport(ctx context.Context, t *wtx, cr *probes.ClientReport, srv probes.PolicyServer, serverID int64, known bool, body string) error {
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
	policy, detail := probes.PolicyGap(cr.Client, srv, known)
	checks := checkKeys(cr.VDirChecks)
	if _, err := t.ExecContext(ctx, `INSERT INTO client_reports (name, report_id, collected_at, server_id, sus_client_id, policy_gap, policy_detail, body, checks)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (name) DO UPDATE SET report_id = excluded.report_id, collected_at = excluded.collected_at, server_id = excluded.server_id,
			sus_client_id = excluded.sus_client_id, policy_gap = excluded.policy_gap, policy_detail = excluded.policy_detail, body = excluded.body,
			checks = excluded.checks`,
		name, cr.ID, ms(cr.CollectedAt.Time), nullID(serverID), sus, policy, detail, body, checks); err != nil {
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

// matchPolicyServer finds the fleet server a WUServer value names: by name,
// or by the host of its URL (preferring the same port).
func matchPolicyServer(ctx context.Context, t *wtx, wuServer string) (srv probes.PolicyServer, id int64, known bool, err error) {
	wu, ok := probes.ParseWUServer(wuServer)
	if !ok {
		return srv, 0, false, nil
	}
	rows, err := t.QueryContext(ctx, `SELECT id, name, url FROM servers WHERE name = $1 OR host = $1`, wu.Host)
	if err != nil {
		return srv, 0, false, fmt.Errorf("match WUServer: %w", err)
	}
	defer rows.Close()
	best := -1
	for rows.Next() {
		var cid int64
		var name, raw string
		if err := rows.Scan(&cid, &name, &raw); err != nil {
			return srv, 0, false, err
		}
		cand := probes.PolicyServer{Name: name}
		score := 0
		if u, err := url.Parse(raw); err == nil && raw != "" {
			cand.HTTPPort, cand.HTTPSPort = serverPorts(u)
			if port, _ := strconv.Atoi(u.Port()); port == wu.EffectivePort() || (u.Port() == "" && wu.Port == 0) {
				score = 2
			}
		}
		if name == wu.Host {
			score++
		}
		if score > best {
			best, srv, id = score, cand, cid
		}
	}
	return srv, id, best >= 0, rows.Err()
}

// serverPorts derives a WSUS server's HTTP and HTTPS ports from its URL: in
// SSL mode the HTTP port is the SSL port - 1 (80 when SSL is on 443).
func serverPorts(u *url.URL) (http, https int) {
	port, _ := strconv.Atoi(u.Port())
	if u.Scheme == "https" {
		if port == 0 || port == 443 {
			return 80, 443
		}
		return port - 1, port
	}
	if port == 0 || port == 80 {
		return 80, 443
	}
	return port, port + 1
}

// clientReceipt says where the client was filed and its gap now.
func clientReceipt(ctx context.Context, t *wtx, cr *probes.ClientReport, server string) (probes.ClientReceipt, error) {
	r := probes.ClientReceipt{ID: cr.ID, Client: cr.Client.Name, Server: server}
	err := t.QueryRowContext(ctx, `SELECT gap, gap_detail FROM clients WHERE name = $1 AND gap IS NOT NULL
		UNION ALL SELECT category, detail FROM fleet_gaps WHERE name = $1 LIMIT 1`, cr.Client.Name).Scan(&r.Gap, &r.Detail)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return r, err
	}
	return r, nil
}

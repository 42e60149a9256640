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
	body, err := json.Marshal(clientBody{Client: cr.Client, VDirChecks: cr.VDirChecks, Collector: cr.Collector, UpdateErrors: cr.UpdateErrors})
	if err != nil {
		return receipt, false, err
	}
	packed := packRun(body)
	if digest == "" {
		b, _ := json.Marshal(cr)
		digest = probes.Digest(b)
	}
	var replayed string
	// On PostgreSQL the reads that need nothing written before them go in
	// one round trip with the transaction's BEGIN, the client's writes and
	// the classification's reads in a second (writeClientReport), and the
	// writes that follow from them (the vantage counts, the gaps) with the
	// claim in a third.
	err = s.writeClient(ctx, cr, func(ctx context.Context, t *wtx) error {
		p := t.pipe()
		// The lock first: in a group every write has it, the next shared
		// query then is the prior, which every write has too (mergeSteps).
		var prior clientPrior
		if err := queueClientPrior(ctx, p, cr, &prior); err != nil {
			return err
		}
		var server hostCandidates
		if err := queueMatchWUServer(ctx, p, cr.Client.WUServer, &server); err != nil {
			return err
		}
		if err := p.run(ctx, "read client report"); err != nil {
			return err
		}
		m, serverID := server.match()
		t.serverID = serverID // orders a group's count updates (pgSteps)
		verdict := probes.JudgePolicy(cr, m)
		late := t.pipe()
		gaps, err := s.writeClientReport(ctx, t, cr, verdict, serverID, packed, &prior, late)
		if err != nil {
			return err
		}
		if receipt, err = clientReceipt(ctx, t, cr, m.Server, verdict, gaps); err != nil {
			return err
		}
		answer, _ := json.Marshal(receipt)
		// Claimed last, with its answer: a replay rolls back what came before.
		doc := document{id: cr.ID, kind: "client-report", digest: digest, collectedAt: ms(cr.CollectedAt.Time),
			vantage: probes.VantageClient, collector: strings.TrimSpace(cr.Collector.Name + " " + cr.Collector.Version), origin: cr.Client.Name}
		return claimAfter(ctx, t, late, doc, nullID(serverID), string(answer), &replayed)
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

// upsertClientReport stores a judged client report (writeClientReport)
// after reading what is stored of the client.
func (s *Store) upsertClientReport(ctx context.Context, t *wtx, cr *probes.ClientReport, verdict probes.PolicyVerdict, serverID int64, body []byte) (map[string]nameGap, error) {
	p := t.pipe()
	var prior clientPrior
	if err := queueClientPrior(ctx, p, cr, &prior); err != nil {
		return nil, err
	}
	if err := p.run(ctx, "read client report"); err != nil {
		return nil, err
	}
	late := t.pipe()
	gaps, err := s.writeClientReport(ctx, t, cr, verdict, serverID, body, &prior, late)
	if err != nil {
		return nil, err
	}
	return gaps, late.run(ctx, "store client report")
}

// clientPrior is what is stored of a client before its report: its name's
// stored view, and the names sharing its SusClientId (cloned images).
type clientPrior struct {
	oldSus, oldChecks string
	stored, oldServer sql.NullInt64
	sharing           []string // the client's name first
}

// clientSusID is a report's SusClientId as stored: lower case, no braces.
func clientSusID(cr *probes.ClientReport) string {
	return strings.ToLower(strings.Trim(cr.Client.SusClientID, "{}"))
}

// lockClient serialises the writes of one client's view on PostgreSQL,
// taken before anything of the client is read: each report (or evidence)
// then reads what the one before stored. Without it two reports read the
// same prior view and both move the vantage counts from it (the client
// counted twice, or not at all), or an older report committed last
// overwrites a newer one. A row lock cannot do it: a client's first report
// has no row yet. The two-key form keeps these locks apart from the
// migrations' one-key lock; 30563 is "wc".
func lockClient(name string) stmt {
	return stmt{lockClientQuery.one, []any{name}}
}

var lockClientQuery = &sharedQuery{
	one: `SELECT pg_advisory_xact_lock(30563, hashtext($1))`,
	many: `SELECT i.ord, pg_advisory_xact_lock(30563, hashtext(i.name))
		FROM unnest($1::text[]) WITH ORDINALITY AS i(name, ord) ORDER BY i.ord`,
}

// clientPriorQuery reads what is stored of the client named $1 and the
// names sharing its SusClientId $2 (OFFSET 0: index lookups for each
// client, as matchHostQuery's).
var clientPriorQuery = &sharedQuery{
	one: `SELECT name, sus_client_id, collected_at, server_id, checks FROM client_reports
		WHERE name = $1 OR (sus_client_id = $2 AND sus_client_id <> '')`,
	many: `SELECT i.ord, c.* FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS i(name, sus, ord)
		CROSS JOIN LATERAL (SELECT name, sus_client_id, collected_at, server_id, checks FROM client_reports
			WHERE name = i.name OR (sus_client_id = i.sus AND sus_client_id <> '') OFFSET 0) c ORDER BY i.ord`,
}

// queueClientPrior reads the client's prior into p, in one read after the
// client's lock (a statement of its own: the read's snapshot is taken once
// the lock is held).
func queueClientPrior(ctx context.Context, p *pipe, cr *probes.ClientReport, prior *clientPrior) error {
	name := cr.Client.Name
	prior.sharing = []string{name}
	if p.t.conn != nil {
		if err := p.shared(ctx, lockClientQuery, []string{name}, nil); err != nil {
			return fmt.Errorf("lock client report: %w", err)
		}
	}
	err := p.shared(ctx, clientPriorQuery, []string{name, clientSusID(cr)}, func(rows rowsScanner) error {
		for rows.Next() {
			var n, id, checks string
			var at, server sql.NullInt64
			if err := rows.Scan(&n, &id, &at, &server, &checks); err != nil {
				return err
			}
			if n == name {
				prior.oldSus, prior.stored, prior.oldServer, prior.oldChecks = id, at, server, checks
			} else {
				prior.sharing = append(prior.sharing, n)
			}
		}
		return rows.Err()
	})
	if err != nil {
		return fmt.Errorf("read client report: %w", err)
	}
	return nil
}

// writeClientReport stores a judged client report over what was stored of
// the client (prior), moves its checks' counts, and re-derives the gap
// categories of its name, of the names sharing its SusClientId and of those
// that shared the one it reported before; it returns their categories as
// they are once late ran (classifyRead), nil for a late report, which
// changes nothing. Its writes and the classification's reads go as one
// round trip on PostgreSQL (pipe), unless the client moved off a
// SusClientId: the names that shared it are read first. The writes that
// follow, moving counts that the server's other clients' reports move too
// (the vantage counts, the gap counts), are queued into late for the caller
// to send with its last statements (claimAfter).
func (s *Store) writeClientReport(ctx context.Context, t *wtx, cr *probes.ClientReport, verdict probes.PolicyVerdict, serverID int64, body []byte, prior *clientPrior, late *pipe) (map[string]nameGap, error) {
	name, sus := cr.Client.Name, clientSusID(cr)
	if prior.stored.Valid && prior.stored.Int64 > ms(cr.CollectedAt.Time) {
		return nil, nil // a newer view of this client is stored: a late report changes nothing
	}
	checks := checkKeys(cr.VDirChecks)
	p := t.pipe()
	if err := p.exec(ctx, stmt{`INSERT INTO client_reports (name, report_id, collected_at, server_id, sus_client_id, policy_gap, policy_detail,
			policy_scope, body, checks)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (name) DO UPDATE SET report_id = excluded.report_id, collected_at = excluded.collected_at, server_id = excluded.server_id,
			sus_client_id = excluded.sus_client_id, policy_gap = excluded.policy_gap, policy_detail = excluded.policy_detail,
			policy_scope = excluded.policy_scope, body = excluded.body, checks = excluded.checks`,
		[]any{name, cr.ID, ms(cr.CollectedAt.Time), nullID(serverID), sus, verdict.Category, verdict.Detail, verdict.Scope, body, checks}}); err != nil {
		return nil, fmt.Errorf("store client report: %w", err)
	}
	counts, err := clientCheckCounts(prior.oldServer, prior.oldChecks, serverID, checks, name, ms(cr.CollectedAt.Time))
	if err != nil {
		return nil, err
	}
	for _, st := range counts {
		if err := late.exec(ctx, st); err != nil {
			return nil, fmt.Errorf("count client checks: %w", err)
		}
	}
	dups := map[string][]string{}
	if sus != "" && len(prior.sharing) > 1 {
		dups[sus] = prior.sharing
	}
	names := prior.sharing
	if prior.oldSus != "" && prior.oldSus != sus {
		// Those that shared the SusClientId it reported before (which may be
		// a clone no longer), read after its own row moved off it: the
		// names to classify are known a round trip later.
		var before []string
		err = p.query(ctx, `SELECT name FROM client_reports WHERE sus_client_id = $1`, []any{prior.oldSus}, func(rows rowsScanner) error {
			for rows.Next() {
				var n string
				if err := rows.Scan(&n); err != nil {
					return err
				}
				before = append(before, n)
			}
			return rows.Err()
		})
		if err != nil {
			return nil, fmt.Errorf("read names sharing a SusClientId: %w", err)
		}
		if err := p.run(ctx, "store client report"); err != nil {
			return nil, err
		}
		if len(before) > 1 {
			dups[prior.oldSus] = before
		}
		names = slices.Concat(names, before)
	}
	var nr nameReads
	if err := queueNameReads(ctx, p, names, &nr); err != nil {
		return nil, err
	}
	if err := p.run(ctx, "store client report"); err != nil {
		return nil, err
	}
	return s.classifyRead(ctx, t, late, names, dups, &nr)
}

// claimAfter is claimDocument sending what late holds first, in the
// claim's round trip on PostgreSQL. late holds the count updates: every
// report from the clients of one server moves the same few rows, and a row
// updated early in the transaction stays locked through the rest of it, so
// the server's other clients' reports queued behind each other for all of
// its round trips.
func claimAfter(ctx context.Context, t *wtx, late *pipe, doc document, serverID any, response string, replayed *string) error {
	if late.b == nil || (late.b.Len() == 0 && t.step == nil) { // nothing left (they ran at once on SQLite): claim as usual, without RETURNING's temporary table
		return claimDocument(ctx, t, doc, serverID, response, replayed)
	}
	c := claimStmt(doc, "$1", serverID, ms(t.now), response)
	claimed := false
	err := late.query(ctx, c.sql+` RETURNING 1`, c.args, func(rows rowsScanner) error {
		for rows.Next() {
			claimed = true
		}
		return rows.Err()
	})
	if err == nil {
		err = late.run(ctx, "count client checks and record document")
	}
	if err != nil {
		return fmt.Errorf("record document: %w", err)
	}
	if claimed {
		return nil
	}
	return storedDocument(ctx, t, doc, replayed)
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

// queueMatchWUServer is matchWUServer through p: the candidates are in
// *server once p has run (server.match).
func queueMatchWUServer(ctx context.Context, p *pipe, wuServer string, server *hostCandidates) error {
	wu, ok := probes.ParseWUServer(wuServer)
	if !ok {
		return nil
	}
	*server = hostCandidates{host: probes.NormalizeHost(wu.Host), port: wu.EffectivePort()}
	if server.host == "" {
		return nil
	}
	if err := p.shared(ctx, matchHostQuery, []string{server.host}, server.scan); err != nil {
		return fmt.Errorf("match %s: %w", server.host, err)
	}
	return nil
}

// clientReceipt says where the client was filed and its gap now; without a
// gap, what its own report said of it (e.g. that its collector could not run).
// gaps are the categories its write left (writeClientReport); nil (a late
// report) reads what is stored.
func clientReceipt(ctx context.Context, t *wtx, cr *probes.ClientReport, server string, verdict probes.PolicyVerdict, gaps map[string]nameGap) (probes.ClientReceipt, error) {
	r := probes.ClientReceipt{ID: cr.ID, Client: cr.Client.Name, Server: server}
	if gaps != nil {
		g := gaps[cr.Client.Name]
		r.Gap, r.Detail = g.gap, g.detail
		if r.Gap == "" {
			r.Detail = verdict.Detail
		}
		return r, nil
	}
	err := t.read(ctx, "read client gap", `SELECT gap, gap_detail FROM clients WHERE name = $1 AND gap IS NOT NULL
		UNION ALL SELECT category, detail FROM fleet_gaps WHERE name = $1 LIMIT 1`, []any{cr.Client.Name}, func(rows rowsScanner) error {
		if rows.Next() {
			if err := rows.Scan(&r.Gap, &r.Detail); err != nil {
				return err
			}
		}
		return rows.Err()
	})
	if err != nil {
		return r, err
	}
	if r.Gap == "" {
		r.Detail = verdict.Detail
	}
	return r, nil
}

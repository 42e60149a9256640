package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

// clientBody is a client_reports row's body: the client's view of itself,
// its checks, the collector and the errors it reported, as JSON packed for
// storing (packRun), or JSON alone in rows stored before (migration 0016).
type clientBody struct {
	Client       probes.ClientView    `json:"client"`
	VDirChecks   []probes.VDirCheck   `json:"vdir_checks"`
	Collector    probes.Collector     `json:"collector"`
	UpdateErrors []probes.UpdateError `json:"update_errors,omitempty"`
}

// maxClientEvidence bounds the evidence a client page reads back.
const maxClientEvidence = 20

// SaveClientEvidence stores one piece of evidence about a client in one
// transaction. Registry output is applied to what is known of the client and
// judged exactly as a client report is (the same upsert, PolicyGap and gap
// classification) — when, with what was known, it shows enough of the policy;
// otherwise it is kept and says what it lacks. A log is kept as a fact about
// the client and never changes its policy view. The same content for the same
// client again (ev.ID, derived from both) is a replay: the stored answer
// comes back and nothing is stored twice.
func (s *Store) SaveClientEvidence(ctx context.Context, ev *probes.ClientEvidence, digest string) (answer probes.ClientEvidence, replay bool, err error) {
	ev.Client = probes.NormalizeName(ev.Client)
	var replayed string
	err = s.write(ctx, func(ctx context.Context, t *wtx) error {
		e := *ev // a retried transaction starts again from what was sent
		e.ReceivedAt = t.now
		var serverID int64
		var err error
		switch {
		case e.Policy != nil:
			serverID, err = s.applyPolicyEvidence(ctx, t, &e)
		case e.Log != nil:
			serverID, err = logServer(ctx, t, &e)
		}
		if err != nil {
			return err
		}
		if !e.Judged {
			if e.Gap, e.GapDetail, err = currentGap(ctx, t, e.Client); err != nil {
				return err
			}
		}
		body, err := json.Marshal(e)
		if err != nil {
			return err
		}
		if _, err := t.ExecContext(ctx, `INSERT INTO client_evidence (id, name, kind, received_at, collected_at, body) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (id) DO NOTHING`, e.ID, e.Client, e.Kind, ms(e.ReceivedAt), ms(e.CollectedAt), string(body)); err != nil {
			return fmt.Errorf("store client evidence: %w", err)
		}
		answer = e
		// Claimed last, with its answer: a replay rolls back what came before.
		doc := document{id: e.ID, kind: "client-evidence", digest: digest, collectedAt: ms(e.CollectedAt), vantage: probes.VantageClient,
			collector: "evidence " + e.Kind, origin: e.Client}
		return claimDocument(ctx, t, doc, nullID(serverID), string(body), &replayed)
	})
	if errors.Is(err, errReplay) {
		var stored probes.ClientEvidence
		return stored, true, json.Unmarshal([]byte(replayed), &stored)
	}
	return answer, false, err
}

// applyPolicyEvidence applies registry evidence to the client's stored view
// and judges it through the client-report path.
func (s *Store) applyPolicyEvidence(ctx context.Context, t *wtx, e *probes.ClientEvidence) (serverID int64, err error) {
	var raw []byte
	var storedAt int64
	known := true
	if t.conn != nil {
		if _, err := t.ExecContext(ctx, lockClient(e.Client).sql, e.Client); err != nil {
			return 0, fmt.Errorf("lock client view: %w", err)
		}
	}
	err = t.QueryRowContext(ctx, `SELECT body, collected_at FROM client_reports WHERE name = $1`, e.Client).Scan(&raw, &storedAt)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		known = false
	case err != nil:
		return 0, fmt.Errorf("read client view: %w", err)
	}
	body := clientBody{Client: probes.ClientView{Name: e.Client}}
	if known {
		if err := decodeRun(string(raw), &body); err != nil {
			return 0, fmt.Errorf("decode client view: %w", err)
		}
	}
	if covers, missing := e.Policy.Covers(); !known && !covers {
		// Nothing was known and this shows too little: a value it does not
		// show must not be judged as "not set".
		e.Missing = missing
		return 0, nil
	}
	view := body.Client
	view.Name = e.Client
	changed, bad := e.Policy.Apply(&view)
	e.Changed = changed
	for _, b := range bad {
		e.Notes = append(e.Notes, "not read: "+b)
	}
	at := t.now
	if storedAt >= ms(at) {
		at = fromMS(storedAt + 1) // a collector's clock ahead of ours: still the newest view
	}
	cr := &probes.ClientReport{Schema: probes.SchemaClientReport, ID: e.ID, CollectedAt: probes.TimeOf(at),
		Collector: probes.Collector{Name: "evidence " + e.Kind, Vantage: probes.VantageClient}, Client: view,
		VDirChecks: body.VDirChecks, UpdateErrors: body.UpdateErrors}
	if err := cr.Validate(at); err != nil {
		return 0, err
	}
	cr.Normalize()
	out, err := json.Marshal(clientBody{Client: cr.Client, VDirChecks: cr.VDirChecks, Collector: cr.Collector, UpdateErrors: cr.UpdateErrors})
	if err != nil {
		return 0, err
	}
	m, serverID, err := matchWUServer(ctx, t, cr.Client.WUServer)
	if err != nil {
		return 0, err
	}
	verdict := probes.JudgePolicy(cr, m)
	gaps, err := s.upsertClientReport(ctx, t, cr, verdict, serverID, packRun(out))
	if err != nil {
		return 0, err
	}
	receipt, err := clientReceipt(ctx, t, cr, m.Server, verdict, gaps)
	if err != nil {
		return 0, err
	}
	e.Judged, e.Server, e.Gap, e.GapDetail = true, receipt.Server, receipt.Gap, receipt.Detail
	return serverID, nil
}

// logServer finds the fleet server the log's agent used.
func logServer(ctx context.Context, t *wtx, e *probes.ClientEvidence) (int64, error) {
	for _, s := range []*probes.WULogSetting{e.Log.Server, e.Log.StatusServer} {
		if s == nil || s.Value == probes.WULogNull {
			continue
		}
		m, id, err := matchWUServer(ctx, t, s.Value)
		if err != nil || m.Known() {
			e.Server = m.Server
			return id, err
		}
	}
	return 0, nil
}

// currentGap is the client's gap now (on a server's list, or unlisted).
func currentGap(ctx context.Context, q interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}, name string) (category, detail string, err error) {
	err = q.QueryRowContext(ctx, `SELECT gap, gap_detail FROM clients WHERE name = $1 AND gap IS NOT NULL
		UNION ALL SELECT category, detail FROM fleet_gaps WHERE name = $1 LIMIT 1`, name).Scan(&category, &detail)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", nil
	}
	return category, detail, err
}

// ClientEvidence lists the evidence sent about a client, newest first.
func (s *Store) ClientEvidence(ctx context.Context, name string, limit int) ([]probes.ClientEvidence, error) {
	if limit <= 0 || limit > 1000 {
		limit = maxClientEvidence
	}
	rows, err := s.db.QueryContext(ctx, `SELECT body FROM client_evidence WHERE name = $1 ORDER BY received_at DESC, id LIMIT $2`,
		probes.NormalizeName(name), limit)
	if err != nil {
		return nil, fmt.Errorf("read client evidence: %w", err)
	}
	defer rows.Close()
	out := []probes.ClientEvidence{}
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return nil, err
		}
		var e probes.ClientEvidence
		if err := json.Unmarshal([]byte(body), &e); err != nil {
			return nil, fmt.Errorf("decode client evidence: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// ClientDetail reads everything stored about one computer: the servers'
// lists that hold it, its own latest view, the directory's record, its gap,
// the evidence sent about it and a history built from them. It is
// probes.ErrNotFound when nothing at all is known of the name.
func (s *Store) ClientDetail(ctx context.Context, name string) (*probes.ClientDetail, error) {
	if err := s.diagnosed(ctx); err != nil {
		return nil, err
	}
	name = probes.NormalizeName(name)
	d := &probes.ClientDetail{Name: name, Listings: []probes.ClientRecord{}, Evidence: []probes.ClientEvidence{}, Errors: []probes.DecodedError{},
		History: []probes.ClientEvent{}}
	if err := s.clientListings(ctx, d); err != nil {
		return nil, err
	}
	if err := s.clientOwnView(ctx, d); err != nil {
		return nil, err
	}
	if err := s.clientInventory(ctx, d); err != nil {
		return nil, err
	}
	if err := s.clientGap(ctx, d); err != nil {
		return nil, err
	}
	ev, err := s.ClientEvidence(ctx, name, maxClientEvidence)
	if err != nil {
		return nil, err
	}
	d.Evidence = ev
	for i := range ev {
		if ev[i].Log != nil && (d.Log == nil || ev[i].Log.Last.After(d.Log.Last)) {
			d.Log = ev[i].Log
		}
	}
	if len(d.Listings) == 0 && d.Report == nil && d.Inventory == nil && d.Gap == nil && len(d.Evidence) == 0 {
		return nil, fmt.Errorf("client %q: %w: no server lists it, and no report, evidence or inventory names it", name, probes.ErrNotFound)
	}
	d.Server = clientServer(d)
	d.History = clientHistory(d)
	return d, nil
}

func (s *Store) clientListings(ctx context.Context, d *probes.ClientDetail) error {
	rows, err := s.db.QueryContext(ctx, `SELECT srv.name, srv.clients_listed_at, c.key, c.target_id, c.name, c.ip, c.os, c.client_version, c.groups,
		c.requested_group, c.last_sync, c.last_sync_result, c.last_report, c.first_seen, c.last_seen, c.removed_at, COALESCE(c.gap, ''), c.gap_detail
		FROM clients c JOIN servers srv ON srv.id = c.server_id WHERE c.name = $1 ORDER BY c.removed_at IS NOT NULL, c.last_seen DESC, srv.name`, d.Name)
	if err != nil {
		return fmt.Errorf("read client listings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var rec probes.ClientRecord
		var key, groups string
		var listedAt, lastSync, lastReport, removed sql.NullInt64
		var first, seen int64
		if err := rows.Scan(&rec.Server, &listedAt, &key, &rec.ID, &rec.Name, &rec.IP, &rec.OS, &rec.ClientVersion, &groups, &rec.RequestedGroup,
			&lastSync, &rec.LastSyncResult, &lastReport, &first, &seen, &removed, &rec.Gap, &rec.GapDetail); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(groups), &rec.Groups); err != nil {
			return fmt.Errorf("decode groups: %w", err)
		}
		if !removed.Valid && listedAt.Valid && listedAt.Int64 > seen {
			seen = listedAt.Int64 // a complete list vouches for the targets it names
		}
		rec.LastSync, rec.LastReport = nullTime(lastSync), nullTime(lastReport)
		rec.FirstSeen, rec.LastSeen, rec.RemovedAt = fromMS(first), fromMS(seen), fromNullMS(removed)
		d.Listings = append(d.Listings, rec)
	}
	return rows.Err()
}

func (s *Store) clientOwnView(ctx context.Context, d *probes.ClientDetail) error {
	var id, policy, detail, server string
	var body []byte
	var at int64
	err := s.db.QueryRowContext(ctx, `SELECT r.report_id, r.collected_at, r.policy_gap, r.policy_detail, r.body, COALESCE(s.name, '')
		FROM client_reports r LEFT JOIN servers s ON s.id = r.server_id WHERE r.name = $1`, d.Name).Scan(&id, &at, &policy, &detail, &body, &server)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read client view: %w", err)
	}
	var b clientBody
	if err := decodeRun(string(body), &b); err != nil {
		return fmt.Errorf("decode client view: %w", err)
	}
	d.Report = &probes.ClientOwnView{ID: id, CollectedAt: fromMS(at), Source: strings.TrimSpace(b.Collector.Name + " " + b.Collector.Version),
		Server: server, Policy: policy, PolicyDetail: detail, Client: b.Client, VDirChecks: b.VDirChecks, UpdateErrors: b.UpdateErrors}
	if d.Report.VDirChecks == nil {
		d.Report.VDirChecks = []probes.VDirCheck{}
	}
	if d.Report.UpdateErrors == nil {
		d.Report.UpdateErrors = []probes.UpdateError{}
	}
	return nil
}

func (s *Store) clientInventory(ctx context.Context, d *probes.ClientDetail) error {
	var it probes.InventoryItem
	var enabled bool
	var logon sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT name, enabled, last_logon, ou FROM inventory WHERE name = $1`, d.Name).Scan(&it.Name, &enabled, &logon, &it.OU)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read inventory: %w", err)
	}
	it.Enabled, it.LastLogon = enabled, nullTime(logon)
	d.Inventory = &it
	return nil
}

func (s *Store) clientGap(ctx context.Context, d *probes.ClientDetail) error {
	var g probes.ClientGapState
	var since sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT c.gap, c.gap_detail, s.name, c.gap_since, 1 FROM clients c JOIN servers s ON s.id = c.server_id
			WHERE c.name = $1 AND c.gap IS NOT NULL
		UNION ALL SELECT f.category, f.detail, COALESCE(s.name, ''), f.since, 0 FROM fleet_gaps f LEFT JOIN servers s ON s.id = f.server_id
			WHERE f.name = $1 LIMIT 1`, d.Name).Scan(&g.Category, &g.Detail, &g.Server, &since, &g.Listed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read client gap: %w", err)
	}
	g.Since = fromNullMS(since)
	d.Gap = &g
	return nil
}

// clientServer is the fleet server a client belongs to: the one its policy
// names, else the one listing it, else the one its log's agent used.
func clientServer(d *probes.ClientDetail) string {
	if d.Report != nil && d.Report.Server != "" {
		return d.Report.Server
	}
	for _, l := range d.Listings {
		if l.RemovedAt == nil {
			return l.Server
		}
	}
	if d.Gap != nil && d.Gap.Server != "" {
		return d.Gap.Server
	}
	for _, e := range d.Evidence {
		if e.Server != "" {
			return e.Server
		}
	}
	return ""
}

// clientHistory is the dated facts of a client, newest first.
func clientHistory(d *probes.ClientDetail) []probes.ClientEvent {
	var h []probes.ClientEvent
	add := func(at *time.Time, what, ref string) {
		if at != nil && !at.IsZero() {
			h = append(h, probes.ClientEvent{At: at.UTC(), What: what, Ref: ref})
		}
	}
	for _, l := range d.Listings {
		first, seen := l.FirstSeen, l.LastSeen
		add(&first, "first listed by "+l.Server, "")
		add(l.LastReport.Ptr(), "last status report to "+l.Server, "")
		add(l.LastSync.Ptr(), "last sync with "+l.Server+" ("+orUnknown(l.LastSyncResult)+")", "")
		if l.RemovedAt != nil {
			add(l.RemovedAt, "dropped off "+l.Server+"'s list", "")
		} else {
			add(&seen, "last seen on "+l.Server+"'s list", "")
		}
	}
	if d.Report != nil {
		at := d.Report.CollectedAt
		add(&at, "its own view received ("+d.Report.Source+")", d.Report.ID)
	}
	for _, e := range d.Evidence {
		at := e.ReceivedAt
		what := "evidence received: " + e.Kind
		if e.Format != "" {
			what += " (" + e.Format + ")"
		}
		add(&at, what, e.ID)
	}
	if d.Gap != nil {
		add(d.Gap.Since, "in gap "+d.Gap.Category, "")
	}
	if d.Inventory != nil {
		add(d.Inventory.LastLogon.Ptr(), "last logon in the directory", "")
	}
	slices.SortStableFunc(h, func(a, b probes.ClientEvent) int { return b.At.Compare(a.At) })
	if len(h) > 100 {
		h = h[:100]
	}
	return h
}

func orUnknown(s string) string {
	if s == "" {
		return "result unknown"
	}
	return s
}

package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

// Alerts follow findings: every diagnosis of a server is one judgement of
// its root causes. A cause seen by FailureThreshold judgements in a row
// fires; one not seen by SuccessThreshold in a row resolves. Firing and
// resolving write their notifications to the outbox in the diagnosis's own
// transaction, so a state change and its notification commit together.

// alertKey identifies a cause across judgements: a rule and subject on a
// server, or a fleet-wide threshold.
func alertKey(serverID int64, rule, subject string) string {
	return strconv.FormatInt(serverID, 10) + "|" + rule + "|" + subject
}

func fleetAlertKey(rule string) string { return "fleet|" + rule }

// clientGrace: while a cause that kept clients from reporting is open, and
// this long after it resolved, its server's gap thresholds wait: the clients report again at their
// next detection (every 22 hours by default), not at once.
const clientGrace = 24 * time.Hour

type alertRow struct {
	id                   int64
	key                  string
	serverID             sql.NullInt64
	rule, subject        string
	severity, state      string
	fails, oks           int
	msg                  probes.Notification
	explained            int64
	opened               int64
	notifiedAt, remindAt sql.NullInt64
	notifiedSeverity     string
	ackedAt, resolvedAt  sql.NullInt64
	ackedBy              string
	order                int // a candidate's place in its judgement
	// body is msg as stored; newMsg says a judgement gave the alert a
	// message of its own since (save compares them).
	body   string
	newMsg bool
}

const alertColumns = `id, key, server_id, rule, subject, severity, state, fails, oks, body, explained_clients, opened_at,
	notified_at, notified_severity, remind_at, acked_at, acked_by, resolved_at`

func scanAlert(sc interface{ Scan(...any) error }) (alertRow, error) {
	var a alertRow
	var body string
	err := sc.Scan(&a.id, &a.key, &a.serverID, &a.rule, &a.subject, &a.severity, &a.state, &a.fails, &a.oks, &body, &a.explained, &a.opened,
		&a.notifiedAt, &a.notifiedSeverity, &a.remindAt, &a.ackedAt, &a.ackedBy, &a.resolvedAt)
	if err == nil {
		a.body = body
		err = json.Unmarshal([]byte(body), &a.msg)
	}
	return a, err
}

// judgement is one pass of alert decisions inside a write: the settings,
// and (loaded when first needed) the silences, windows, channels and routes.
type judgement struct {
	s      *Store
	ctx    context.Context
	t      *wtx
	cfg    probes.AlertSettings
	loaded bool
	quiet  []probes.Silence
	wins   []probes.MaintenanceWindow
	chans  []storedNotifier
	routes []probes.AlertRoute
	queued int
}

func (s *Store) newJudgement(ctx context.Context, t *wtx) (*judgement, error) {
	if t.judge != nil {
		return t.judge, nil
	}
	cfg, err := alertSettings(ctx, t)
	if err != nil {
		return nil, err
	}
	j := &judgement{s: s, ctx: ctx, t: t, cfg: cfg}
	if t.shareJudgement {
		t.judge = j
	}
	return j, nil
}

func (j *judgement) load() error {
	if j.loaded {
		return nil
	}
	var err error
	if j.quiet, err = silences(j.ctx, j.t, ms(j.t.now)); err != nil {
		return err
	}
	if j.wins, err = maintenanceWindows(j.ctx, j.t); err != nil {
		return err
	}
	if j.chans, err = notifierConfigs(j.ctx, j.t); err != nil {
		return err
	}
	if j.routes, err = alertRoutes(j.ctx, j.t); err != nil {
		return err
	}
	j.loaded = true
	return nil
}

// muted says why notifications about server and rule are held back now:
// a silence's reason or a maintenance window's name; "" when they are not.
func mutedBy(quiet []probes.Silence, wins []probes.MaintenanceWindow, server, rule string, now time.Time) string {
	for _, sl := range quiet {
		if sl.Mutes(server, rule, now) {
			return "silenced until " + sl.Until.UTC().Format("2006-01-02 15:04 UTC") + " by " + sl.CreatedBy + ": " + sl.Reason
		}
	}
	for _, w := range wins {
		if w.Mutes(server, now) {
			return "maintenance window " + w.Name
		}
	}
	return ""
}

func (j *judgement) muted(a *alertRow) (string, error) {
	if err := j.load(); err != nil {
		return "", err
	}
	return mutedBy(j.quiet, j.wins, a.msg.Server, a.rule, j.t.now), nil
}

// queue writes one message about a to the outbox: a row per channel whose
// routes take it (every channel when it has none).
func (j *judgement) queue(a *alertRow, event string, reminder bool) error {
	if err := j.load(); err != nil {
		return err
	}
	msg := a.msg
	msg.Schema, msg.ID, msg.Event, msg.Alert, msg.Reminder = probes.SchemaNotification, probes.NewID(), event, a.id, reminder
	msg.At, msg.Since = j.t.now, fromMS(a.opened)
	body, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	for _, ch := range j.chans {
		if !routed(j.routes, ch.cfg.ID, msg) {
			continue
		}
		if _, err := j.t.ExecContext(j.ctx, `INSERT INTO notifications (event_id, alert_id, notifier_id, event, server, severity, rule, title, body, state, next_at, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', $10, $10)`,
			msg.ID, a.id, ch.cfg.ID, event, msg.Server, msg.Severity, msg.Rule, msg.Title, string(body), ms(j.t.now)); err != nil {
			return fmt.Errorf("queue notification: %w", err)
		}
		j.queued++
	}
	return nil
}

// routed: a channel without routes takes everything; with routes, what one matches.
func routed(routes []probes.AlertRoute, channel int64, msg probes.Notification) bool {
	has := false
	for _, r := range routes {
		if r.Notifier != channel {
			continue
		}
		has = true
		if r.Matches(msg) {
			return true
		}
	}
	return !has
}

// fire notifies a firing alert unless it is muted (then a later tick does,
// once the silence or window ends).
func (j *judgement) fire(a *alertRow) error {
	why, err := j.muted(a)
	if err != nil || why != "" {
		return err
	}
	a.notifiedAt = sql.NullInt64{Int64: ms(j.t.now), Valid: true}
	a.notifiedSeverity = a.severity
	a.remindAt = j.nextReminder()
	return j.queue(a, probes.EventFiring, false)
}

func (j *judgement) nextReminder() sql.NullInt64 {
	if d := j.cfg.Reminder(); d > 0 {
		return sql.NullInt64{Int64: ms(j.t.now.Add(d)), Valid: true}
	}
	return sql.NullInt64{}
}

// seen advances an alert a judgement saw again.
func (j *judgement) seen(a *alertRow) error {
	a.fails++
	a.oks = 0
	switch {
	case a.state == probes.AlertPending && a.fails >= j.cfg.FailureThreshold:
		a.state = probes.AlertFiring
		return j.fire(a)
	case a.state == probes.AlertFiring && !a.notifiedAt.Valid:
		return j.fire(a)
	case a.state == probes.AlertFiring && probes.SeverityRank(a.severity) > probes.SeverityRank(a.notifiedSeverity):
		return j.fire(a) // it got worse: say so
	}
	return nil
}

// gone advances an alert a judgement did not see: a pending one was a blip
// and is forgotten; a firing one resolves after enough judgements.
func (j *judgement) gone(a *alertRow) (forget bool, err error) {
	if a.state == probes.AlertPending {
		return true, nil
	}
	a.oks++
	if a.oks < j.cfg.SuccessThreshold {
		return false, nil
	}
	a.state = probes.AlertResolved
	a.resolvedAt = sql.NullInt64{Int64: ms(j.t.now), Valid: true}
	if !a.notifiedAt.Valid {
		return false, nil // nobody was told it fired: nothing to resolve for them
	}
	return false, j.queue(a, probes.EventResolved, false) // a resolution closes what was opened, muted or not
}

func (j *judgement) save(a *alertRow) error {
	st, err := j.saveStmt(a)
	if err == nil {
		_, err = j.t.ExecContext(j.ctx, st.sql, st.args...)
	}
	if err != nil {
		return fmt.Errorf("store alert: %w", err)
	}
	return nil
}

// saveStmt is the statement that stores what a judgement changed of an
// alert. Its body is encoded only when the judgement gave it a message
// (newMsg), and sent only when that differs from the stored one (NULL keeps
// it): every judgement moves the counters, few change the text.
func (j *judgement) saveStmt(a *alertRow) (stmt, error) {
	var body any
	if a.newMsg {
		b, err := json.Marshal(a.msg)
		if err != nil {
			return stmt{}, err
		}
		a.newMsg = false
		if string(b) != a.body {
			a.body = string(b)
			body = a.body
		}
	}
	return stmt{`UPDATE alerts SET severity = $2, state = $3, fails = $4, oks = $5, body = COALESCE($6, body), explained_clients = $7,
		last_judged_at = $8, notified_at = $9, notified_severity = $10, remind_at = $11, resolved_at = $12 WHERE id = $1`,
		[]any{a.id, a.severity, a.state, a.fails, a.oks, body, a.explained, ms(j.t.now), a.notifiedAt, a.notifiedSeverity, a.remindAt, a.resolvedAt}}, nil
}

// open inserts a new alert for a cause first seen; it reports false when
// another instance opened it meanwhile.
func (j *judgement) open(a *alertRow) (bool, error) {
	a.state, a.fails, a.oks, a.opened = probes.AlertPending, 0, 0, ms(j.t.now)
	body, err := json.Marshal(a.msg)
	if err != nil {
		return false, err
	}
	a.body, a.newMsg = string(body), false
	err = j.t.QueryRowContext(j.ctx, `INSERT INTO alerts (key, server_id, rule, subject, severity, state, fails, oks, body, explained_clients, opened_at, last_judged_at)
		VALUES ($1, $2, $3, $4, $5, $6, 0, 0, $7, $8, $9, $9) ON CONFLICT DO NOTHING RETURNING id`,
		a.key, a.serverID, a.rule, a.subject, a.severity, a.state, string(body), a.explained, a.opened).Scan(&a.id)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

func (j *judgement) forget(a *alertRow) error {
	st := forgetStmt(a)
	_, err := j.t.ExecContext(j.ctx, st.sql, st.args...)
	return err
}

// forgetStmt deletes a pending alert whose cause went away before it fired.
func forgetStmt(a *alertRow) stmt { return stmt{`DELETE FROM alerts WHERE id = $1`, []any{a.id}} }

// advance applies one judgement to the open alerts of a scope: what it saw
// (candidates, by key) and what it did not. Open alerts in keep stay as
// they are (seen by nobody, judged elsewhere).
func (j *judgement) advance(open []alertRow, cands map[string]*alertRow) error {
	byKey := map[string]*alertRow{}
	for i := range open {
		a := &open[i]
		byKey[a.key] = a
		c, ok := cands[a.key]
		if ok {
			explains := a.msg.Explains
			a.msg, a.severity, a.explained = c.msg, c.severity, c.explained
			a.msg.Explains.Merge(explains) // what it explained earlier recovers with it too
			a.newMsg = true
			if err := j.seen(a); err != nil {
				return err
			}
		} else {
			forget, err := j.gone(a)
			if err != nil {
				return err
			}
			if forget {
				if err := j.forget(a); err != nil {
					return err
				}
				continue
			}
		}
		if err := j.save(a); err != nil {
			return err
		}
	}
	// New alerts open in the order the judgement found them (the rules'
	// catalogue order: the cause that explains most first), so the first
	// critical cause of a server is the one its symptoms elsewhere name.
	keys := make([]string, 0, len(cands))
	for k := range cands {
		if byKey[k] == nil {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	slices.SortStableFunc(keys, func(a, b string) int { return cmp.Compare(cands[a].order, cands[b].order) })
	for _, k := range keys {
		a := cands[k]
		ok, err := j.open(a)
		if err != nil || !ok {
			return err
		}
		if err := j.seen(a); err != nil {
			return err
		}
		if err := j.save(a); err != nil {
			return err
		}
	}
	return nil
}

// openAlerts reads (and on PostgreSQL locks) the open alerts that match.
func (j *judgement) openAlerts(where string, skipLocked bool, args ...any) ([]alertRow, error) {
	rows, err := j.t.QueryContext(j.ctx, `SELECT `+alertColumns+` FROM alerts WHERE state <> 'resolved' AND `+where+` ORDER BY id`+j.s.d.lockRows(skipLocked), args...)
	if err != nil {
		return nil, fmt.Errorf("read alerts: %w", err)
	}
	defer rows.Close()
	var out []alertRow
	err = scanAlerts(&out)(rows)
	return out, err
}

// scanAlerts appends the alerts of a query's rows to out.
func scanAlerts(out *[]alertRow) func(rowsScanner) error {
	return func(rows rowsScanner) error {
		for rows.Next() {
			a, err := scanAlert(rows)
			if err != nil {
				return err
			}
			*out = append(*out, a)
		}
		return rows.Err()
	}
}

// queueServerAlerts reads, and on PostgreSQL locks, the server's open alerts
// that judgeAlerts advances: with the diagnosis's other reads (reader).
func (s *Store) queueServerAlerts(ctx context.Context, r reader, serverID int64, open *[]alertRow) error {
	err := r.query(ctx, `SELECT `+alertColumns+` FROM alerts WHERE state <> 'resolved' AND server_id = $1 AND rule <> $2 ORDER BY id`+s.d.lockRows(false),
		[]any{serverID, probes.RuleServerUnknown}, scanAlerts(open))
	if err != nil {
		return fmt.Errorf("read alerts: %w", err)
	}
	return nil
}

// judgeAlerts is the alerting side of one diagnosis (called by diagnose in
// its transaction, with the server's open alerts read by queueServerAlerts):
// the server's root causes and gap thresholds are judged,
// symptoms are attached to the cause that explains them, and whatever
// fires or resolves is queued for delivery.
func (s *Store) judgeAlerts(ctx context.Context, t *wtx, row serverRow, st *probes.ServerState, findings []probes.Finding, gaps []probes.GapCount, open []alertRow) error {
	j, err := s.newJudgement(ctx, t)
	if err != nil {
		return err
	}
	upstream := s.upstreamCause(ctx, t, row.name, st)
	cands := map[string]*alertRow{}
	byRule := map[string]*alertRow{}
	var elsewhere []explainedSymptom
	for _, f := range findings {
		if !probes.Notifiable(f) {
			continue
		}
		if c, ok := probes.AlertCauseOf(row.name, f, findings, upstream); ok {
			elsewhere = append(elsewhere, explainedSymptom{c, probes.Symptom{Server: row.name, Rule: f.Rule, Title: f.Title}})
			continue
		}
		k := alertKey(row.id, f.Rule, f.Subject)
		a := &alertRow{key: k, serverID: sql.NullInt64{Int64: row.id, Valid: true}, rule: f.Rule, subject: f.Subject,
			severity: f.Severity, msg: probes.NewNotification(row.name, f), order: len(cands)}
		cands[k] = a
		if byRule[f.Rule] == nil {
			byRule[f.Rule] = a
		}
	}
	// Symptoms of a cause judged here ride in its message; others are
	// attached to their cause's open alert once this server's are settled.
	var rest []explainedSymptom
	for _, e := range elsewhere {
		if cause := byRule[e.cause.Rule]; e.cause.Server == row.name && cause != nil {
			cause.msg.Explains.Add(e.symptom)
			continue
		}
		rest = append(rest, e)
	}
	// Clients a server-wide cause keeps from reporting ride in its message.
	counts := map[string]int64{}
	for _, g := range gaps {
		counts[g.Category] = g.Count
	}
	explainedGaps := map[string]bool{}
	clientsOf := map[string]map[string]int64{}
	for _, f := range findings {
		if f.Cause == "" || !slices.Contains(probes.GapCategories(), f.Rule) {
			continue
		}
		explainedGaps[f.Rule] = true
		if clientsOf[f.Cause] == nil {
			clientsOf[f.Cause] = map[string]int64{}
		}
		clientsOf[f.Cause][f.Rule] = counts[f.Rule]
	}
	for rule, byCat := range clientsOf {
		if cause := byRule[rule]; cause != nil {
			cause.msg.Explains.SetClients(byCat)
			cause.explained = cause.msg.Explains.ClientTotal()
		}
	}
	// Gap thresholds of this server, for clients no open cause explains.
	if err := j.serverGapThresholds(row, findings, counts, explainedGaps, cands); err != nil {
		return err
	}
	// A firing alert whose finding is now explained stays as it is: it was
	// told, and resolves when its finding goes.
	for i := range open {
		a := &open[i]
		if cands[a.key] == nil && a.state == probes.AlertFiring && stillFound(findings, a) {
			c := *a
			cands[a.key] = &c
		}
	}
	if err := j.advance(open, cands); err != nil {
		return err
	}
	for _, e := range rest {
		if err := j.attachSymptom(e.cause, e.symptom); err != nil {
			return err
		}
	}
	return nil
}

func stillFound(findings []probes.Finding, a *alertRow) bool {
	return slices.ContainsFunc(findings, func(f probes.Finding) bool { return f.Rule == a.rule && f.Subject == a.subject })
}

type explainedSymptom struct {
	cause   probes.CauseRef
	symptom probes.Symptom
}

// attachSymptom records a symptom in the open alert of the cause on another
// server (or one of this server's causes that is not notifiable itself).
func (j *judgement) attachSymptom(c probes.CauseRef, sym probes.Symptom) error {
	open, err := j.openAlerts(`rule = $1 AND server_id = (SELECT id FROM servers WHERE name = $2)`, false, c.Rule, c.Server)
	if err != nil || len(open) == 0 {
		return err
	}
	a := &open[0]
	before := len(a.msg.Explains.Findings)
	a.msg.Explains.Add(sym)
	if len(a.msg.Explains.Findings) == before {
		return nil
	}
	body, err := json.Marshal(a.msg)
	if err != nil {
		return err
	}
	_, err = j.t.ExecContext(j.ctx, `UPDATE alerts SET body = $2 WHERE id = $1`, a.id, string(body))
	return err
}

// serverGapThresholds adds a candidate per crossed gap threshold of this
// server whose clients no open cause explains.
func (j *judgement) serverGapThresholds(row serverRow, findings []probes.Finding, counts map[string]int64, explained map[string]bool, cands map[string]*alertRow) error {
	var graceChecked, inGrace bool
	for _, g := range j.cfg.GapThresholds {
		if g.Scope != "server" || explained[g.Category] || !g.Crossed(counts[g.Category], row.counts.Total) {
			continue
		}
		if !graceChecked {
			graceChecked = true
			var n int
			if err := j.t.QueryRowContext(j.ctx, `SELECT COUNT(*) FROM alerts WHERE server_id = $1 AND explained_clients > 0 AND (state <> 'resolved' OR resolved_at > $2)`,
				row.id, ms(j.t.now.Add(-clientGrace))).Scan(&n); err != nil {
				return err
			}
			inGrace = n > 0
		}
		if inGrace {
			continue
		}
		f := probes.Finding{Rule: g.Category, Severity: g.Severity, Title: probes.FormatCount(counts[g.Category]) + " clients in " + g.Category}
		if i := slices.IndexFunc(findings, func(f probes.Finding) bool { return f.Rule == g.Category }); i >= 0 {
			f.Title, f.Summary, f.Evidence, f.Remediation = findings[i].Title, findings[i].Summary, findings[i].Evidence, findings[i].Remediation
		}
		f.Severity = g.Severity
		k := alertKey(row.id, g.Category, "")
		cands[k] = &alertRow{key: k, serverID: sql.NullInt64{Int64: row.id, Valid: true}, rule: g.Category, severity: g.Severity,
			msg: probes.NewNotification(row.name, f), order: len(cands)}
	}
	return nil
}

// upstreamCause returns how to ask for the critical cause on this server's
// upstream (a fleet server) that explains its failing synchronization: one
// open now, or one that was open when the last synchronization ran (the
// replica reports its failure until it syncs again after the upstream recovered).
func (s *Store) upstreamCause(ctx context.Context, t *wtx, server string, st *probes.ServerState) func() (probes.CauseRef, bool) {
	return func() (probes.CauseRef, bool) {
		if st == nil || st.Sync == nil || st.Sync.From != probes.SyncFromUpstream || st.Sync.Upstream == nil {
			return probes.CauseRef{}, false
		}
		up, ok := s.upstream(ctx, t)(st.Sync.Upstream.Host, st.Sync.Upstream.Port)
		if !ok || up.Name == server {
			return probes.CauseRef{}, false
		}
		ran := t.now
		if last := st.Sync.Last; last != nil {
			ran = cmp.Or(last.FinishedAt.Time, last.StartedAt.Time, ran)
		}
		var rule string
		err := t.QueryRowContext(ctx, `SELECT a.rule FROM alerts a JOIN servers s ON s.id = a.server_id
			WHERE s.name = $1 AND a.severity = $2 AND a.rule <> $3 AND (a.state <> 'resolved' OR a.resolved_at >= $4)
			ORDER BY a.state = 'resolved', a.state = 'firing' DESC, a.id LIMIT 1`, up.Name, probes.SeverityCritical, probes.RuleServerUnknown, ms(ran)).Scan(&rule)
		if err != nil {
			return probes.CauseRef{}, false
		}
		return probes.CauseRef{Server: up.Name, Rule: rule}, true
	}
}

// AckAlert acknowledges a firing alert: no more reminders about it.
func (s *Store) AckAlert(ctx context.Context, id int64, by string) error {
	return s.write(ctx, func(ctx context.Context, t *wtx) error {
		res, err := t.ExecContext(ctx, `UPDATE alerts SET acked_at = $2, acked_by = $3, remind_at = NULL WHERE id = $1 AND state <> 'resolved'`, id, ms(t.now), by)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("no open alert %d: %w", id, probes.ErrNotFound)
		}
		return nil
	})
}

// Alerts lists the open alerts (firing first, then pending), with why any
// is held back now, and those resolved within the last day.
func (s *Store) Alerts(ctx context.Context) ([]probes.Alert, error) {
	if err := s.diagnosed(ctx); err != nil {
		return nil, err
	}
	now := s.now()
	rows, err := s.db.QueryContext(ctx, `SELECT `+alertColumns+` FROM alerts WHERE state <> 'resolved' OR resolved_at > $1 ORDER BY id DESC LIMIT 500`, ms(now.Add(-24*time.Hour)))
	if err != nil {
		return nil, fmt.Errorf("read alerts: %w", err)
	}
	var list []alertRow
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		list = append(list, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	quiet, err := silences(ctx, s.db, ms(now))
	if err != nil {
		return nil, err
	}
	wins, err := maintenanceWindows(ctx, s.db)
	if err != nil {
		return nil, err
	}
	out := make([]probes.Alert, 0, len(list))
	for _, a := range list {
		al := probes.Alert{ID: a.id, Server: a.msg.Server, Rule: a.rule, Subject: a.subject, Severity: a.severity, Title: a.msg.Title,
			State: a.state, Judgements: a.fails, OpenedAt: fromMS(a.opened), NotifiedAt: fromNullMS(a.notifiedAt),
			ResolvedAt: fromNullMS(a.resolvedAt), AckedAt: fromNullMS(a.ackedAt), AckedBy: a.ackedBy, Message: a.msg}
		if a.state == probes.AlertFiring && a.oks > 0 {
			al.Judgements = a.oks
		}
		if a.state != probes.AlertResolved {
			al.Muted = mutedBy(quiet, wins, a.msg.Server, a.rule, now)
		}
		al.Message.Alert, al.Message.Since = a.id, fromMS(a.opened)
		out = append(out, al)
	}
	slices.SortStableFunc(out, func(a, b probes.Alert) int {
		return cmp.Compare(alertOrder(a.State), alertOrder(b.State))
	})
	return out, nil
}

func alertOrder(state string) int {
	return map[string]int{probes.AlertFiring: 0, probes.AlertPending: 1, probes.AlertResolved: 2}[state]
}

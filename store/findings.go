package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

// rediagnoseEvery bounds how long judgements may stand on one diagnosis
// while the server's reports say the same thing (inputs_digest): the rules
// read the clock too (a certificate's days left, a synchronization's age),
// and findings cite when their evidence was collected, so a server is
// diagnosed again at least this often while it reports.
const rediagnoseEvery = 10 * time.Minute

// judgeChunk judges the due servers among ids (ascending). One marked
// diagnose_due (or whose last diagnosis is older than rediagnoseEvery) is
// diagnosed (diagnose); one only marked judge_due (its reports repeated what
// the rules read) is judged without the rules (rejudge), together with the
// servers next to it in ids that are too. On PostgreSQL the chunk's marks
// travel with the transaction's BEGIN.
func (s *Store) judgeChunk(ctx context.Context, t *wtx, ids []int64) error {
	// SQLite's single writer serialises: its first reading is final.
	locked := s.d.lockRows(false) == ""
	marks, err := s.dueMarks(ctx, t, ids, false)
	if err != nil {
		return err
	}
	return s.judgeMarked(ctx, t, marks, locked)
}

type dueMark struct {
	id   int64
	full bool
}

// dueMarks reads which of ids are due, and how, taking their row locks
// when lock says so.
func (s *Store) dueMarks(ctx context.Context, t *wtx, ids []int64, lock bool) ([]dueMark, error) {
	in, args := inList(ids, 1, s.diagnoseChunk())
	q := `SELECT id, diagnose_due IS NOT NULL, judge_due IS NOT NULL, diagnosed_at FROM servers WHERE id IN (` + in + `) ORDER BY id`
	if lock {
		q += s.d.lockRows(false)
	}
	var marks []dueMark
	err := t.read(ctx, "read due marks", q, args, func(rows rowsScanner) error {
		for rows.Next() {
			var m dueMark
			var judge bool
			var last sql.NullInt64
			if err := rows.Scan(&m.id, &m.full, &judge, &last); err != nil {
				return err
			}
			if !m.full && !judge {
				continue
			}
			if !m.full && (!last.Valid || t.now.Sub(fromMS(last.Int64)) >= rediagnoseEvery) {
				m.full = true // time may have changed what the rules find
			}
			marks = append(marks, m)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("diagnose: %w", err)
	}
	return marks, nil
}

// judgeMarked judges the marked servers in id order. A run of servers only
// judged touches nothing but their own findings and alerts (and the
// outbox), so judging the run together is judging them one after the
// other. Unless locked, a server's (or a run's) marks are read again under
// its row locks first, taken when the judgement reaches it as judging them
// one by one did: a report committed after that reading marks the server
// due again rather than being missed, and a server another instance judged
// meanwhile is skipped.
func (s *Store) judgeMarked(ctx context.Context, t *wtx, marks []dueMark, locked bool) error {
	for i := 0; i < len(marks); {
		run := []int64{marks[i].id}
		full := marks[i].full
		for i++; !full && i < len(marks) && !marks[i].full; i++ {
			run = append(run, marks[i].id)
		}
		var err error
		switch {
		case !locked:
			var again []dueMark
			if again, err = s.dueMarks(ctx, t, run, true); err == nil {
				err = s.judgeMarked(ctx, t, again, true)
			}
		case full:
			err = s.diagnose(ctx, t, run[0])
		default:
			err = s.rejudge(ctx, t, run)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// inList is the placeholders $from… of an IN list of ids, and its
// arguments, padded to pad (diagnoseChunk) with the last id so that every
// chunk runs the same statement (one prepared statement, not one per length).
func inList(ids []int64, from, pad int) (string, []any) {
	var b strings.Builder
	args := make([]any, 0, max(pad, len(ids)))
	for i := 0; i < cap(args); i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(from+i))
		args = append(args, ids[min(i, len(ids)-1)])
	}
	return b.String(), args
}

// diagnose re-derives a due server's findings from its current state and
// stores them: new ones open, continuing ones get last_seen, cleared ones
// resolve; the server's severity follows, and its alerts are judged.
func (s *Store) diagnose(ctx context.Context, t *wtx, serverID int64) error {
	// What the rules read (and the server's open alerts, which judgeAlerts
	// advances) goes as one pipelined batch on PostgreSQL, one round trip
	// where a statement each took seventeen; its callbacks run in order, so
	// the server's row is in st before its counts are added.
	p := t.pipe()
	err := p.exec(ctx, stmt{`UPDATE servers SET diagnose_due = NULL, judge_due = NULL, diagnosed_at = $2 WHERE id = $1`, []any{serverID, ms(t.now)}})
	var row serverRow
	st := &probes.ServerState{Collected: map[string]time.Time{}}
	if err == nil {
		err = p.query(ctx, `SELECT `+serverRowColumns+` FROM servers WHERE id = $1`, []any{serverID}, func(rows rowsScanner) (err error) {
			if !rows.Next() {
				return cmp.Or(rows.Err(), sql.ErrNoRows)
			}
			if row, err = scanServerRow(rows); err == nil {
				s.fillState(st, row)
			}
			return err
		})
	}
	var facts probes.Facts
	open := map[findingKey]openFinding{}
	if err == nil {
		err = queueState(ctx, p, serverID, st)
	}
	if err == nil {
		err = queueFacts(ctx, p, serverID, &facts, open)
	}
	var alerts []alertRow
	if err == nil {
		err = s.queueServerAlerts(ctx, p, serverID, &alerts)
	}
	if err == nil {
		err = p.run(ctx, "read state")
	}
	if err == nil {
		settleState(st)
		facts.Gaps = gapFacts(st.Gaps)
		err = gapSamples(ctx, t, serverID, facts.Gaps)
	}
	if err != nil {
		return fmt.Errorf("diagnose: %w", err)
	}
	facts.State, facts.Now, facts.Upstream, facts.StaleAfter = st, t.now, s.upstream(ctx, t), s.opts.StaleAfter
	facts.CertWarningDays, facts.GapWarningShare = s.opts.CertWarningDays, s.opts.GapWarningShare
	findings := s.opts.Diagnose(facts)
	// The findings, severity and causes need no answers: one more batch.
	w := t.pipe()
	if err := queueFindings(ctx, w, row, findings, open); err != nil {
		return err
	}
	if err := queueCauses(ctx, w, serverID, findings, facts.Gaps); err != nil {
		return err
	}
	if err := w.run(ctx, "store findings"); err != nil {
		return err
	}
	// Alerts (store/alerts.go): this diagnosis is a judgement of the
	// server's root causes; what fires or resolves is queued in this transaction.
	if err := s.judgeAlerts(ctx, t, row, st, findings, facts.Gaps, alerts); err != nil {
		return fmt.Errorf("diagnose: alerts: %w", err)
	}
	return nil
}

// rejudge is the judgement of servers whose reports since their last
// diagnosis repeated what the rules read: the rules would find what they
// found then, so that diagnosis's findings are seen again (last_seen) and
// its alerts advance as if judged anew. Every diagnosis advances all of a
// server's open alerts (advance), leaving oks at 0 on each one it saw and
// above 0 on a firing one it did not: the first is seen again, the second
// counts one more judgement without it, so failure and success thresholds
// count every judgement whether or not the rules ran. The servers' marks,
// findings and alerts are each one statement for all of them, sent as one
// round trip on PostgreSQL, and their alerts' rows another; an alert's body
// is not rewritten (its message is the one stored), and servers without
// open alerts need no judgement at all.
func (s *Store) rejudge(ctx context.Context, t *wtx, ids []int64) error {
	in, args := inList(ids, 1, s.diagnoseChunk())
	in2, args2 := inList(ids, 2, s.diagnoseChunk())
	p := t.pipe()
	var open []alertRow
	err := p.exec(ctx, stmt{`UPDATE servers SET judge_due = NULL WHERE id IN (` + in + `)`, args})
	if err == nil {
		err = p.exec(ctx, stmt{`UPDATE findings SET last_seen = $1 WHERE resolved_at IS NULL AND server_id IN (` + in2 + `)`, append([]any{ms(t.now)}, args2...)})
	}
	if err == nil {
		// By server, then as openAlerts orders them: the order judging them
		// one server after the other had.
		err = p.query(ctx, `SELECT `+alertColumns+` FROM alerts WHERE state <> 'resolved' AND rule <> $1 AND server_id IN (`+in2+`) ORDER BY server_id, id`+s.d.lockRows(false),
			append([]any{probes.RuleServerUnknown}, args2...), scanAlerts(&open))
	}
	if err == nil {
		err = p.run(ctx, "read")
	}
	if err != nil {
		return fmt.Errorf("judge: %w", err)
	}
	if len(open) == 0 {
		return nil
	}
	j, err := s.newJudgement(ctx, t)
	if err != nil {
		return fmt.Errorf("judge: %w", err)
	}
	saves := t.pipe()
	for i := range open {
		a := &open[i]
		var st stmt
		if a.oks == 0 {
			err = j.seen(a)
		} else {
			var forget bool
			if forget, err = j.gone(a); err == nil && forget {
				err = saves.exec(ctx, forgetStmt(a))
				if err != nil {
					return fmt.Errorf("judge: alerts: %w", err)
				}
				continue
			}
		}
		if err == nil {
			st, err = j.saveStmt(a)
		}
		if err == nil {
			err = saves.exec(ctx, st)
		}
		if err != nil {
			return fmt.Errorf("judge: alerts: %w", err)
		}
	}
	return saves.run(ctx, "judge: store alerts")
}

// queueCauses keeps on p what lists show without reading every finding: the
// cause the server's stale clients are attributed to (rule and title), and
// its root cause, the first finding in causal order when it is a warning or
// worse. The attributed cause is that of a gap finding (other findings may
// have causes of their own).
func queueCauses(ctx context.Context, p *pipe, serverID int64, findings []probes.Finding, gaps []probes.GapCount) error {
	ordered := slices.Clone(findings)
	counts := map[string]int64{}
	for _, g := range gaps {
		counts[g.Category] = g.Count
	}
	probes.OrderFindings(ordered, affectedBy(counts))
	cause, title, root := "", "", ""
	for _, f := range ordered {
		if f.Cause != "" && f.CauseServer == "" && cause == "" && slices.Contains(probes.GapCategories(), f.Rule) {
			cause = f.Cause
		}
	}
	for _, f := range ordered {
		if cause != "" && f.Rule == cause && title == "" {
			title = f.Title
		}
	}
	if len(ordered) > 0 && probes.SeverityRank(ordered[0].Severity) >= probes.SeverityRank(probes.SeverityWarning) {
		b, err := json.Marshal(ordered[0].Head())
		if err != nil {
			return err
		}
		root = string(b)
	}
	return p.exec(ctx, stmt{`UPDATE servers SET gap_cause = $2, gap_cause_title = $3, root_cause = $4 WHERE id = $1`, []any{serverID, cause, title, root}})
}

// queueFacts reads what the rules see of a server besides its state (its
// gap counts come from the state: gapFacts): when each silent category's
// clients went silent, when each open finding was first seen (and into
// open, the findings queueFindings settles), and since when the dashboard
// knows the server.
func queueFacts(ctx context.Context, r reader, serverID int64, f *probes.Facts, open map[findingKey]openFinding) error {
	if err := loadSilence(ctx, r, serverID, &f.Silence); err != nil {
		return err
	}
	f.Opened = map[probes.FindingKey]time.Time{}
	if err := r.query(ctx, `SELECT id, rule, subject, severity, body, first_seen FROM findings WHERE server_id = $1 AND resolved_at IS NULL`, []any{serverID}, func(rows rowsScanner) error {
		for rows.Next() {
			var o openFinding
			var k findingKey
			var first int64
			if err := rows.Scan(&o.id, &k.rule, &k.subject, &o.severity, &o.body, &first); err != nil {
				return err
			}
			open[k] = o
			f.Opened[probes.FindingKey{Rule: k.rule, Subject: k.subject}] = fromMS(first)
		}
		return rows.Err()
	}); err != nil {
		return fmt.Errorf("read open findings: %w", err)
	}
	if err := r.query(ctx, `SELECT created_at FROM servers WHERE id = $1`, []any{serverID}, func(rows rowsScanner) error {
		if !rows.Next() {
			return cmp.Or(rows.Err(), sql.ErrNoRows)
		}
		var created int64
		err := rows.Scan(&created)
		f.WatchedSince = fromMS(created)
		return err
	}); err != nil {
		return fmt.Errorf("read server: %w", err)
	}
	return nil
}

// silentCategories are the gap categories of clients that stopped reporting:
// the ones a server-wide cause can explain, given when they went silent.
var silentCategories = []string{probes.GapNeverReported, probes.GapScanOKReportStale, probes.GapStaleReport}

const dayMS = 24 * 60 * 60 * 1000

// loadSilence counts the server's silent clients per category and UTC day of
// their last status report (never-reported ones by the day they were first
// listed), keeping the newest probes.MaxSilenceDays days of each category
// and folding older ones into the oldest kept.
func loadSilence(ctx context.Context, r reader, serverID int64, dst *map[string][]probes.DayCount) error {
	err := r.query(ctx, `SELECT gap, COALESCE(last_report, first_seen) / $2 AS day, COUNT(*) FROM clients
		WHERE server_id = $1 AND gap IN ($3, $4, $5) AND removed_at IS NULL GROUP BY gap, day ORDER BY gap, day DESC`,
		[]any{serverID, int64(dayMS), silentCategories[0], silentCategories[1], silentCategories[2]}, func(rows rowsScanner) error {
			out := map[string][]probes.DayCount{}
			for rows.Next() {
				var gap string
				var day, n int64
				if err := rows.Scan(&gap, &day, &n); err != nil {
					return err
				}
				days := out[gap]
				if len(days) == probes.MaxSilenceDays {
					days[len(days)-1].Day = fromMS(day * dayMS)
					days[len(days)-1].Count += n
					continue
				}
				out[gap] = append(days, probes.DayCount{Day: fromMS(day * dayMS), Count: n})
			}
			*dst = out
			return rows.Err()
		})
	if err != nil {
		return fmt.Errorf("read silence: %w", err)
	}
	return nil
}

// loadOpenFindings reads the rule, subject, severity, title and first
// sighting of a server's open findings (for its own timing and for its
// downstreams').
func loadOpenFindings(ctx context.Context, q querier, serverID int64) (out []probes.FleetFinding, err error) {
	err = direct{q}.query(ctx, openFindingsQuery, []any{serverID}, func(rows rowsScanner) (err error) {
		out, err = scanOpenFindings(rows)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read open findings: %w", err)
	}
	return out, nil
}

const openFindingsQuery = `SELECT rule, subject, severity, body, first_seen FROM findings WHERE server_id = $1 AND resolved_at IS NULL ORDER BY rule, subject`

func scanOpenFindings(rows rowsScanner) ([]probes.FleetFinding, error) {
	var out []probes.FleetFinding
	for rows.Next() {
		var f probes.FleetFinding
		var body string
		var first int64
		if err := rows.Scan(&f.Rule, &f.Subject, &f.Severity, &body, &first); err != nil {
			return nil, err
		}
		var title struct {
			Title string `json:"title"`
		}
		if err := json.Unmarshal([]byte(body), &title); err != nil {
			return nil, fmt.Errorf("decode finding: %w", err)
		}
		f.Title, f.FirstSeen = title.Title, fromMS(first)
		out = append(out, f)
	}
	return out, rows.Err()
}

// gapFacts is a server's gap categories that hold clients, as the rules
// read them, in the categories' order (gapSamples adds their examples).
func gapFacts(gaps map[string]int64) []probes.GapCount {
	var out []probes.GapCount
	for cat, n := range gaps {
		if n > 0 {
			out = append(out, probes.GapCount{Category: cat, Count: n})
		}
	}
	slices.SortFunc(out, func(a, b probes.GapCount) int {
		return cmp.Or(cmp.Compare(slices.Index(probes.GapCategories(), a.Category), slices.Index(probes.GapCategories(), b.Category)),
			cmp.Compare(a.Category, b.Category))
	})
	return out
}

// gapSamples adds up to five examples to each of a server's gap counts
// (gapFacts).
func gapSamples(ctx context.Context, t *wtx, serverID int64, gaps []probes.GapCount) error {
	for i := range gaps {
		g := &gaps[i]
		err := direct{t}.query(ctx, `SELECT name, gap_detail FROM clients WHERE server_id = $1 AND gap = $2
			UNION ALL SELECT name, detail FROM fleet_gaps WHERE server_id = $1 AND category = $2 ORDER BY 1 LIMIT 5`, []any{serverID, g.Category}, func(rows rowsScanner) error {
			for rows.Next() {
				var smp probes.GapSample
				if err := rows.Scan(&smp.Name, &smp.Detail); err != nil {
					return err
				}
				g.Samples = append(g.Samples, smp)
			}
			return rows.Err()
		})
		if err != nil {
			return fmt.Errorf("read gap examples: %w", err)
		}
	}
	return nil
}

// diagnoseChunk bounds how many servers one diagnosis transaction covers:
// enough to share a commit, few enough to hold their rows only briefly. On
// PostgreSQL a chunk holds its servers' row locks until it commits, and a
// report for one of them waits for that, with it the report's whole group
// (pg_group.go, up to its lock timeout, then alone): 500 servers' first
// diagnosis in chunks of 32 gave pushes a p99 of 160–190 ms, in chunks of 8
// 58–122 ms (docs/PERFORMANCE.md, phase 9). The SQLite writer runs one job
// at a time, so nothing waits on a chunk's rows there.
func (s *Store) diagnoseChunk() int {
	if s.w != nil {
		return 32
	}
	return 8
}

// RediagnoseDue re-derives the findings of every server something was
// written for since its last diagnosis. Writes only mark servers due, so a
// burst of reports for one server is judged once, not once per report, and
// the rules run outside the single writer's critical path. Every read of
// findings or severity calls this first, so what a reader sees always
// includes each acknowledged write's diagnosis.
func (s *Store) RediagnoseDue(ctx context.Context) (int, error) {
	if s.opts.Diagnose == nil {
		return 0, nil
	}
	ids, err := s.serverIDs(ctx, `SELECT id FROM servers WHERE diagnose_due IS NOT NULL OR judge_due IS NOT NULL ORDER BY id`)
	if err != nil {
		return 0, fmt.Errorf("find servers to diagnose: %w", err)
	}
	// Ascending ids in every chunk: concurrent diagnoses lock rows in one order.
	for chunk := range slices.Chunk(ids, s.diagnoseChunk()) {
		// No effect outside its transaction: the SQLite writer may run it
		// again (rerun); on PostgreSQL its BEGIN travels with its first read.
		err := s.writeBatched(ctx, func(ctx context.Context, t *wtx) error {
			// The chunk's servers share one judgement (wtx.shareJudgement);
			// the next job of the batch gets its own.
			t.shareJudgement, t.judge = true, nil
			defer func() { t.shareJudgement, t.judge = false, nil }()
			return s.judgeChunk(ctx, t, chunk)
		}, true)
		if err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

// diagnosed runs before every read of findings, severity or gap causes.
func (s *Store) diagnosed(ctx context.Context) error {
	_, err := s.RediagnoseDue(ctx)
	return err
}

type findingKey struct{ rule, subject string }

type openFinding struct {
	id             int64
	severity, body string
}

// queueFindings records one diagnosis on p, which the caller runs: a finding
// seen again keeps its first_seen and moves last_seen (its row rewritten only
// when its text changed), a new one opens, one no longer produced (left in
// open, the server's open findings read with its facts) resolves.
func queueFindings(ctx context.Context, p *pipe, row serverRow, findings []probes.Finding, open map[findingKey]openFinding) error {
	now := ms(p.t.now)
	severity := probes.SeverityInfo
	var err error
	for _, f := range findings {
		if probes.SeverityRank(f.Severity) > probes.SeverityRank(severity) {
			severity = f.Severity
		}
		f.FirstSeen, f.LastSeen, f.ResolvedAt = time.Time{}, time.Time{}, nil
		body, merr := json.Marshal(f)
		if merr != nil {
			return merr
		}
		k := findingKey{f.Rule, f.Subject}
		o, ok := open[k]
		delete(open, k)
		switch {
		case !ok:
			err = p.exec(ctx, stmt{`INSERT INTO findings (server_id, rule, subject, severity, body, first_seen, last_seen)
				VALUES ($1, $2, $3, $4, $5, $6, $6)`, []any{row.id, f.Rule, f.Subject, f.Severity, string(body), now}})
		case o.severity != f.Severity || o.body != string(body):
			err = p.exec(ctx, stmt{`UPDATE findings SET severity = $2, body = $3 WHERE id = $1`, []any{o.id, f.Severity, string(body)}})
		}
		if err != nil {
			return fmt.Errorf("store finding %s: %w", f.Rule, err)
		}
	}
	for _, o := range open {
		if err := p.exec(ctx, stmt{`UPDATE findings SET resolved_at = $2 WHERE id = $1`, []any{o.id, now}}); err != nil {
			return fmt.Errorf("resolve finding: %w", err)
		}
	}
	if len(findings) > 0 {
		if err := p.exec(ctx, stmt{`UPDATE findings SET last_seen = $2 WHERE server_id = $1 AND resolved_at IS NULL`, []any{row.id, now}}); err != nil {
			return fmt.Errorf("store finding last seen: %w", err)
		}
	}
	if severity == probes.SeverityInfo {
		severity = "ok"
	}
	if severity != row.severity {
		err = p.exec(ctx, stmt{`UPDATE servers SET severity = $2 WHERE id = $1`, []any{row.id, severity}})
		if err == nil {
			err = p.exec(ctx, stmt{`INSERT INTO status_history (server_id, at, status) VALUES ($1, $2, $3)
			ON CONFLICT (server_id, at) DO UPDATE SET status = excluded.status`, []any{row.id, now, severity}})
		}
		if err != nil {
			return fmt.Errorf("store severity: %w", err)
		}
	}
	return nil
}

// openFindings lists a server's open findings (callers order them causally,
// with probes.OrderFindings).
func openFindings(ctx context.Context, q querier, serverID int64) ([]probes.Finding, error) {
	rows, err := q.QueryContext(ctx, `SELECT body, first_seen, last_seen FROM findings WHERE server_id = $1 AND resolved_at IS NULL`, serverID)
	if err != nil {
		return nil, fmt.Errorf("read findings: %w", err)
	}
	defer rows.Close()
	out := []probes.Finding{}
	for rows.Next() {
		var body string
		var first, last int64
		if err := rows.Scan(&body, &first, &last); err != nil {
			return nil, err
		}
		var f probes.Finding
		if err := json.Unmarshal([]byte(body), &f); err != nil {
			return nil, fmt.Errorf("decode finding: %w", err)
		}
		f.FirstSeen, f.LastSeen = fromMS(first), fromMS(last)
		out = append(out, f)
	}
	return out, rows.Err()
}

package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/wsusfleet/wsusfleet/probes"
)

// errReplay rolls back a write whose document was already stored.
var errReplay = errors.New("replay")

// document is the bookkeeping row every accepted document gets.
type document struct {
	id, kind, digest           string
	collectedAt                int64
	vantage, collector, origin string
}

// claimDocument records doc, or finds it already stored: then it returns
// errReplay with the stored answer in *replayed, or ErrConflict when the same
// id arrived with other content.
func claimDocument(ctx context.Context, t *wtx, doc document, serverID any, response string, replayed *string) error {
	c := claimStmt(doc, "$1", serverID, ms(t.now), response)
	res, err := t.ExecContext(ctx, c.sql, c.args...)
	if err != nil {
		return fmt.Errorf("record document: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	return storedDocument(ctx, t, doc, replayed)
}

// claimStmt inserts doc's bookkeeping row unless its id is stored; server is
// the SQL for its server's id, given $1 = serverArg.
func claimStmt(doc document, server string, serverArg any, now int64, response string) stmt {
	return stmt{`INSERT INTO reports (id, kind, server_id, digest, collected_at, received_at, vantage, collector, origin, response)
		VALUES ($2, $3, ` + server + `, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING`,
		[]any{serverArg, doc.id, doc.kind, doc.digest, doc.collectedAt, now, doc.vantage, doc.collector, doc.origin, response}}
}

// storedDocument is what a claim that found doc's id stored answers: errReplay
// with the stored answer, or ErrConflict for other content under that id.
func storedDocument(ctx context.Context, t *wtx, doc document, replayed *string) error {
	var digest, kind string
	if err := t.QueryRowContext(ctx, `SELECT digest, kind, response FROM reports WHERE id = $1`, doc.id).Scan(&digest, &kind, replayed); err != nil {
		return fmt.Errorf("look up stored document: %w", err)
	}
	if digest != doc.digest || kind != doc.kind {
		return fmt.Errorf("%w: id %q was already used for a different document; give each document a new id", probes.ErrConflict, doc.id)
	}
	return errReplay
}

// stmt is one statement with its arguments.
type stmt struct {
	sql  string
	args []any
}

// SaveReport stores a validated server report in one transaction: sections
// that are present replace the server's current ones (unless newer ones are
// already stored), vDir checks join the history, a client list is merged, and
// the server is marked due for diagnosis (RediagnoseDue). digest identifies the document's
// content (Digest of the request body); "" derives it from the report.
// replay is true when this very document was stored before: nothing is
// stored twice.
func (s *Store) SaveReport(ctx context.Context, r *probes.Report, digest string) (saved probes.Receipt, replay bool, err error) {
	r.Normalize()
	if digest == "" {
		b, err := json.Marshal(r)
		if err != nil {
			return probes.Receipt{}, false, err
		}
		digest = probes.Digest(b)
	}
	p, err := prepareReport(r)
	if err != nil {
		return probes.Receipt{}, false, err
	}
	saved = probes.Receipt{ID: r.ID, Server: r.Server.Name}
	response, _ := json.Marshal(saved)
	var replayed string
	write := func(ctx context.Context, t *wtx) error {
		return s.saveReport(ctx, t, p, digest, string(response), &replayed)
	}
	if p.rerunnable() {
		err = s.writeGrouped(ctx, r.Server.Name, p.inputs, write)
	} else {
		err = s.writeBatched(ctx, write, false)
	}
	if errors.Is(err, errReplay) {
		if err := json.Unmarshal([]byte(replayed), &saved); err != nil {
			return probes.Receipt{}, false, fmt.Errorf("stored answer for %s: %w", r.ID, err)
		}
		return saved, true, nil
	}
	if err != nil {
		return probes.Receipt{}, false, err
	}
	return saved, false, nil
}

func (s *Store) saveReport(ctx context.Context, t *wtx, p *preparedReport, digest, response string, replayed *string) error {
	r := p.r
	collected := ms(r.CollectedAt.Time)
	doc := document{id: r.ID, kind: "report", digest: digest, collectedAt: collected,
		vantage: r.Collector.Vantage, collector: strings.TrimSpace(r.Collector.Name + " " + r.Collector.Version), origin: r.Collector.Host}
	if t.conn != nil {
		return writeReportBatch(ctx, t, p, doc, response, func(serverID int64, repeat, claimed bool) error {
			return s.finishReport(ctx, t, p, doc, serverID, repeat, claimed, replayed)
		})
	}
	serverID, repeat, claimed, err := writeReportSteps(ctx, t, p, doc, response)
	if err != nil {
		return err
	}
	return s.finishReport(ctx, t, p, doc, serverID, repeat, claimed, replayed)
}

// finishReport is what a report's write does after its server, document,
// sections and checks were written: the answer to a replay, the server's
// names, a client list, an IIS log.
func (s *Store) finishReport(ctx context.Context, t *wtx, p *preparedReport, doc document, serverID int64, repeat, claimed bool, replayed *string) error {
	r := p.r
	collected := doc.collectedAt
	if !claimed {
		return storedDocument(ctx, t, doc, replayed) // the transaction is rolled back: nothing of it stays
	}
	if r.Clients != nil {
		if err := s.mergeClients(ctx, t, serverID, collected, r.Clients.Complete, p.clients); err != nil {
			return err
		}
	}
	if r.IISLog != nil {
		if err := s.saveIISLogHours(ctx, t, serverID, r.IISLog.File, p.iislog); err != nil {
			return err
		}
	}
	// A repeat gave the server the URL and server section the previous
	// report gave it, and that report brought its names in line. Last: a
	// large client list's load on PostgreSQL starts sooner, while its items
	// are still being decoded (the names' statements wait for nothing else).
	if !repeat {
		return syncIdentity(ctx, t, serverID)
	}
	return nil
}

// writeReportSteps upserts the server, claims the document and stores the
// sections and checks one statement after another (SQLite: the writer is
// in the process, so a statement costs no round trip).
func writeReportSteps(ctx context.Context, t *wtx, p *preparedReport, doc document, response string) (serverID int64, repeat, claimed bool, err error) {
	r := p.r
	serverID, repeat, err = upsertServer(ctx, t, r.Server.Name, r.Server.URL, doc.collectedAt, p.inputs)
	if err != nil {
		return 0, false, false, err
	}
	c := claimStmt(doc, "$1", serverID, ms(t.now), response)
	res, err := t.ExecContext(ctx, c.sql, c.args...)
	if err != nil {
		return 0, false, false, fmt.Errorf("record document: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return serverID, repeat, false, nil
	}
	for _, st := range reportStmts(p, "$1", serverID) {
		if _, err := t.ExecContext(ctx, st.sql, st.args...); err != nil {
			return 0, false, false, fmt.Errorf("save report: %w", err)
		}
	}
	return serverID, repeat, true, nil
}

// writeReportBatch does what writeReportSteps does in one round trip to
// PostgreSQL, and in one statement: the server's upsert is a data-modifying
// WITH query that the document's claim, the sections and the checks read
// the server's id from, so PostgreSQL plans, starts and ends one statement
// per report instead of one per row and looks the server up once (PostgreSQL
// runs the upsert first: the final SELECT reads it before anything else,
// so the server's row lock comes first, as with separate statements). The
// statement goes as one pipelined batch with the transaction's BEGIN. A claim
// that finds the document stored leaves the rest written in a transaction
// that is then rolled back. then runs once the statement's results are in:
// at once, or in a group (wtx.group), whose reports share statements
// (groupBatch), after the group's batch returned.
func writeReportBatch(ctx context.Context, t *wtx, p *preparedReport, doc document, response string, then func(serverID int64, repeat, claimed bool) error) error {
	r := p.r
	var serverID, repeats int64
	var claimed bool
	finish := func() error {
		t.serverID = serverID
		return then(serverID, repeats > 0, claimed)
	}
	if t.group != nil { // the group sends its reports together, then runs finish (pgGroups)
		t.group.reports = append(t.group.reports, groupedReport{p: p, doc: doc, response: response, now: ms(t.now),
			scan: func(id, n int64, c bool) { serverID, repeats, claimed = id, n, c }})
		t.after = finish
		return nil
	}
	const byUpsert = `(SELECT id FROM up)`
	up := upsertStmt(r.Server.Name, r.Server.URL, ms(t.now), doc.collectedAt, p.inputs)
	claim := claimStmt(doc, byUpsert, nil, ms(t.now), response)
	claim.sql += ` RETURNING 1`
	one := withStmt(up, append([]stmt{claim}, reportStmts(p, byUpsert, nil)...),
		`SELECT id, inputs_repeats, EXISTS (SELECT 1 FROM w0) FROM up`)
	b := &pgx.Batch{}
	if t.lazy && !t.begun {
		b.Queue("begin") // the transaction begins with the batch (writeBatched)
		t.begun = true
	}
	b.Queue(one.sql, one.args...).QueryRow(func(row pgx.Row) error { return row.Scan(&serverID, &repeats, &claimed) })
	err := t.conn.Raw(func(dc any) error {
		return dc.(*stdlib.Conn).Conn().SendBatch(ctx, b).Close()
	})
	if err != nil {
		return fmt.Errorf("save report for %s: %w", r.Server.Name, err)
	}
	return finish()
}

// withStmt joins statements into one: first as the WITH query "up", each of
// rest as "w0", "w1", ... (their $1, the server argument, unused: they name
// the server through up; their other parameters renumbered after first's),
// then final. The joined SQL depends only on the statements' SQL, which
// comes in a few shapes: it is built once per shape (withSQL).
func withStmt(first stmt, rest []stmt, final string) stmt {
	var key strings.Builder
	key.WriteString(strconv.Itoa(len(first.args)) + "\x00" + first.sql)
	n := len(first.args)
	for _, st := range rest {
		key.WriteString("\x00" + strconv.Itoa(len(st.args)) + "\x00" + st.sql)
		n += len(st.args) - 1
	}
	key.WriteString("\x00" + final)
	query, ok := withSQL.Load(key.String())
	if !ok {
		query = joinWith(first, rest, final)
		if withSQLShapes.Add(1) <= maxWithShapes {
			withSQL.Store(key.String(), query)
		}
	}
	args := make([]any, 0, n)
	args = append(args, first.args...)
	for _, st := range rest {
		args = append(args, st.args[1:]...)
	}
	return stmt{query.(string), args}
}

// withSQL caches joinWith's SQL by its statements' SQL; maxWithShapes bounds
// it should a statement's SQL ever vary with its data.
var (
	withSQL       sync.Map
	withSQLShapes atomic.Int64
)

const maxWithShapes = 256

// joinWith is withStmt's SQL.
func joinWith(first stmt, rest []stmt, final string) string {
	var b strings.Builder
	next := len(first.args)
	b.WriteString("WITH up AS (" + first.sql + ")")
	for i, st := range rest {
		base := next - 1 // $2 becomes $(next+1)
		fmt.Fprintf(&b, ", w%d AS (", i)
		b.WriteString(placeholder.ReplaceAllStringFunc(st.sql, func(m string) string {
			n, _ := strconv.Atoi(m[1:])
			if n == 1 {
				panic("withStmt: a statement reads its server argument")
			}
			return "$" + strconv.Itoa(n+base)
		}))
		b.WriteString(")")
		next += len(st.args) - 1
	}
	b.WriteString(" " + final)
	return b.String()
}

// placeholder is a statement's parameter ($N).
var placeholder = regexp.MustCompile(`\$[0-9]+`)

// reportStmts store a report's sections and checks; server is the SQL for
// its server's id, given $1 = serverArg.
func reportStmts(p *preparedReport, server string, serverArg any) []stmt {
	r := p.r
	collected := ms(r.CollectedAt.Time)
	var out []stmt
	// A section is replaced unless a newer one is stored: a report that
	// arrives late never overwrites fresher facts. All of them in one
	// statement: a statement costs the SQLite writer ~15 µs whatever its
	// rows, and a collector's report carries eight sections.
	if n := len(p.sections); n > 0 {
		args := make([]any, 0, 3+2*n)
		args = append(args, serverArg, collected, r.ID)
		for _, sec := range p.sections {
			args = append(args, sec.name, sec.packed)
		}
		out = append(out, stmt{sectionsSQL(server, n), args})
	}
	// The checks join the history and become the latest from their vantage
	// and origin (unless newer ones are stored).
	if run := p.checks; run != nil {
		vantage, origin := r.Collector.Vantage, r.Collector.Host
		out = append(out, stmt{`INSERT INTO vdir_runs (server_id, report_id, checked_at, vantage, origin, faults, warnings, body, verdicts)
			VALUES (` + server + `, $2, $3, $4, $5, $6, $7, $8, $9)`,
			[]any{serverArg, r.ID, collected, vantage, origin, run.faults, run.warnings, run.body, run.verdicts}},
			stmt{`INSERT INTO vdir_latest (server_id, vantage, origin, checked_at, report_id, body, cells)
			VALUES (` + server + `, $2, $3, $4, $5, $6, $7)` + latestOnConflict,
				[]any{serverArg, vantage, origin, collected, r.ID, run.body, run.cells}})
	}
	return out
}

// sectionsSQL is the statement storing n sections of a report, given
// $1 = its server (as server reads it), $2 its collection time, $3 its id,
// then each section's name and body. Built once per shape.
func sectionsSQL(server string, n int) string {
	key := sectionsKey{server, n}
	if q, ok := sectionsSQLs.Load(key); ok {
		return q.(string)
	}
	rows := make([]string, n)
	for i := range rows {
		rows[i] = fmt.Sprintf("(%s, $%d, $2, $3, $%d)", server, 4+2*i, 5+2*i)
	}
	q := `INSERT INTO sections (server_id, name, collected_at, report_id, body) VALUES ` + strings.Join(rows, ", ") + sectionsOnConflict
	sectionsSQLs.Store(key, q)
	return q
}

type sectionsKey struct {
	server string
	n      int
}

// sectionsSQLs caches sectionsSQL: a few servers' forms times the eleven
// sections a report may carry.
var sectionsSQLs sync.Map

// upsertServer finds or creates the server, moves last_report_at forward
// and marks the server for its next judgement (RediagnoseDue): due for
// diagnosis, or, when the report's inputs digest (preparedReport.inputs) is
// the one the previous report stored, only due for judgement, since the
// rules would read what they read before. An empty digest never matches.
// On PostgreSQL the upsert also locks the server's row, so concurrent reports
// for one server apply one after the other and never interleave sections.
//
// The upsert runs without RETURNING and the row is read back by name: on
// SQLite, RETURNING opens an ephemeral table for every execution, which made
// the upsert twice the cost of any other statement of the report.
func upsertServer(ctx context.Context, t *wtx, name, url string, collected int64, inputs string) (id int64, repeat bool, err error) {
	up := upsertStmt(name, url, ms(t.now), collected, inputs)
	if _, err := t.ExecContext(ctx, strings.TrimSuffix(up.sql, upsertReturning), up.args...); err != nil {
		return 0, false, fmt.Errorf("upsert server %s: %w", name, err)
	}
	var repeats int64
	if err := t.QueryRowContext(ctx, `SELECT id, inputs_repeats FROM servers WHERE name = $1`, name).Scan(&id, &repeats); err != nil {
		return 0, false, fmt.Errorf("upsert server %s: %w", name, err)
	}
	return id, repeats > 0, nil
}

// upsertReturning ends upsertStmt's SQL; upsertServer runs it without.
const upsertReturning = `
		RETURNING id, inputs_repeats`

func upsertStmt(name, url string, now, collected int64, inputs string) stmt {
	var digest any
	if inputs != "" {
		digest = inputs
	}
	return stmt{`INSERT INTO servers (name, url, created_at, last_report_at, diagnose_due, inputs_digest) VALUES ($1, $2, $3, $4, $3, $5)` +
		upsertOnConflict + upsertReturning, []any{name, url, now, collected, digest}}
}

// upsertOnConflict is how a report updates its server's row when it is
// stored (upsertStmt, and a group's reportRowsSQL).
const upsertOnConflict = `
		ON CONFLICT (name) DO UPDATE SET
			diagnose_due = CASE WHEN servers.inputs_digest = excluded.inputs_digest THEN servers.diagnose_due
				ELSE COALESCE(servers.diagnose_due, excluded.diagnose_due) END,
			judge_due = CASE WHEN servers.inputs_digest = excluded.inputs_digest THEN COALESCE(servers.judge_due, excluded.diagnose_due)
				ELSE servers.judge_due END,
			inputs_digest = excluded.inputs_digest,
			inputs_repeats = CASE WHEN servers.inputs_digest = excluded.inputs_digest THEN servers.inputs_repeats + 1 ELSE 0 END,
			url = CASE WHEN servers.registered OR excluded.url = '' THEN servers.url ELSE excluded.url END,
			last_report_at = CASE WHEN servers.last_report_at IS NULL OR servers.last_report_at < excluded.last_report_at
				THEN excluded.last_report_at ELSE servers.last_report_at END`

// sectionsOnConflict and latestOnConflict replace a stored section and the
// latest checks unless newer ones are stored (reportStmts, reportRowsSQL).
const (
	sectionsOnConflict = `
			ON CONFLICT (server_id, name) DO UPDATE SET collected_at = excluded.collected_at,
				report_id = excluded.report_id, body = excluded.body WHERE excluded.collected_at >= sections.collected_at`
	latestOnConflict = `
			ON CONFLICT (server_id, vantage, origin) DO UPDATE SET checked_at = excluded.checked_at,
				report_id = excluded.report_id, body = excluded.body, cells = excluded.cells
			WHERE excluded.checked_at >= vdir_latest.checked_at`
)

// querier is what reads need: a *sql.DB, a *sql.Tx or a *wtx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

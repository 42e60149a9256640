package store

import (
	"fmt"

	"github.com/jackc/pgx/v5"
)

// groupBatch is what a group of small reports sends to PostgreSQL
// (pgGroups.commit): its BEGIN, then the reports its writes queued
// (writeReportBatch), joined into statements of many rows each.
//
// Each report alone is one statement (writeReportBatch's WITH query), and
// PostgreSQL starts and ends every statement: it opens each table and
// index and builds each insert's projections, whatever the rows. That was
// a fifth of its CPU on a push. A group's reports in one statement pay it
// once (docs/PERFORMANCE.md, phase 13: ExecutorStart's share of the
// machine halved, PostgreSQL's CPU a push from 1.0× serve's to 0.8–0.9×).
type groupBatch struct {
	b       *pgx.Batch
	reports []groupedReport
}

// groupedReport is one report of a group, and where its results go.
type groupedReport struct {
	p        *preparedReport
	doc      document
	response string
	now      int64
	scan     func(serverID, repeats int64, claimed bool)
}

// queueReports queues the group's reports into its batch as few
// statements as their servers allow. One statement may upsert a server's
// row once only, so a server's second report goes in a second statement,
// after the first's, and so on: a server's reports apply in the order they
// arrived, and each statement locks its servers in the group's order.
func (g *groupBatch) queueReports() {
	var layers [][]*groupedReport
	seen := map[string]int{} // server → its reports so far
	for i := range g.reports {
		r := &g.reports[i]
		n := seen[r.p.r.Server.Name]
		seen[r.p.r.Server.Name] = n + 1
		if n == len(layers) {
			layers = append(layers, nil)
		}
		layers[n] = append(layers[n], r)
	}
	for _, layer := range layers {
		queueReportRows(g.b, layer)
	}
}

// queueReportRows queues reports (each for another server) as one
// statement, reportRowsSQL, whose rows report the results in the reports'
// order.
func queueReportRows(b *pgx.Batch, reports []*groupedReport) {
	n := len(reports)
	var (
		names, urls, inputs                       = make([]string, n), make([]string, n), make([]*string, n)
		nows, collected                           = make([]int64, n), make([]int64, n)
		ids, kinds, digests, vantages, collectors = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		origins, responses                        = make([]string, n), make([]string, n)
		faults, warnings                          = make([]int64, n), make([]int64, n)
		bodies, verdicts, cells                   = make([][]byte, n), make([][]byte, n), make([][]byte, n)
		secRow                                    []int64
		secNames                                  []string
		secBodies                                 [][]byte
	)
	for i, r := range reports {
		rep := r.p.r
		names[i], urls[i], nows[i], collected[i] = rep.Server.Name, rep.Server.URL, r.now, r.doc.collectedAt
		if r.p.inputs != "" {
			inputs[i] = &r.p.inputs
		}
		ids[i], kinds[i], digests[i], vantages[i] = r.doc.id, r.doc.kind, r.doc.digest, r.doc.vantage
		collectors[i], origins[i], responses[i] = r.doc.collector, r.doc.origin, r.response
		if c := r.p.checks; c != nil {
			faults[i], warnings[i] = int64(c.faults), int64(c.warnings)
			bodies[i], verdicts[i], cells[i] = c.body, c.verdicts, c.cells
		}
		for _, sec := range r.p.sections {
			secRow = append(secRow, int64(i+1))
			secNames = append(secNames, sec.name)
			secBodies = append(secBodies, sec.packed)
		}
	}
	b.Queue(reportRowsSQL, names, urls, nows, collected, inputs, ids, kinds, digests, vantages, collectors, origins,
		responses, faults, warnings, bodies, verdicts, cells, secRow, secNames, secBodies).Query(func(rows pgx.Rows) error {
		got := 0
		for rows.Next() {
			var row, serverID, repeats int64
			var claimed bool
			if err := rows.Scan(&row, &serverID, &repeats, &claimed); err != nil {
				return err
			}
			if row != int64(got+1) {
				return fmt.Errorf("store: a group's statement answered row %d for report %d", row, got+1)
			}
			reports[got].scan(serverID, repeats, claimed)
			got++
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if got != n {
			return fmt.Errorf("store: a group's statement answered %d of its %d reports", got, n)
		}
		return nil
	})
}

// reportRowsSQL stores many reports for as many servers in one statement,
// as writeReportBatch's statement stores one: the servers' upserts first
// (in the reports' order: the group's lock order), then each report's
// claim, sections and checks. A report's claim is its own when the row it
// returns has the report's server: two reports of one group may reuse one
// id.
const reportRowsSQL = `WITH input AS (
	SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[],
		$6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[],
		$13::bigint[], $14::bigint[], $15::bytea[], $16::bytea[], $17::bytea[])
	WITH ORDINALITY AS i(name, url, now, collected, inputs, id, kind, digest, vantage, collector, origin, response,
		faults, warnings, body, verdicts, cells, n)),
up AS (INSERT INTO servers (name, url, created_at, last_report_at, diagnose_due, inputs_digest)
	SELECT name, url, now, collected, now, inputs FROM input ORDER BY n` + upsertOnConflict + `
	RETURNING id, name, inputs_repeats),
j AS (SELECT input.*, up.id AS server_id, up.inputs_repeats FROM input JOIN up USING (name)),
claim AS (INSERT INTO reports (id, kind, server_id, digest, collected_at, received_at, vantage, collector, origin, response)
	SELECT id, kind, server_id, digest, collected, now, vantage, collector, origin, response FROM j ORDER BY n
	ON CONFLICT (id) DO NOTHING RETURNING id, server_id),
sec AS (INSERT INTO sections (server_id, name, collected_at, report_id, body)
	SELECT j.server_id, s.name, j.collected, j.id, s.body
	FROM unnest($18::bigint[], $19::text[], $20::bytea[]) AS s(n, name, body) JOIN j USING (n) ORDER BY j.n` + sectionsOnConflict + `),
runs AS (INSERT INTO vdir_runs (server_id, report_id, checked_at, vantage, origin, faults, warnings, body, verdicts)
	SELECT server_id, id, collected, vantage, origin, faults, warnings, body, verdicts FROM j WHERE body IS NOT NULL ORDER BY n),
latest AS (INSERT INTO vdir_latest (server_id, vantage, origin, checked_at, report_id, body, cells)
	SELECT server_id, vantage, origin, collected, id, body, cells FROM j WHERE body IS NOT NULL ORDER BY n` + latestOnConflict + `)
SELECT n, server_id, inputs_repeats, EXISTS (SELECT 1 FROM claim WHERE claim.id = j.id AND claim.server_id = j.server_id)
FROM j ORDER BY n`

package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/wsusfleet/wsusfleet/probes"
)

// checkKeys renders a client's checks as the sorted lines of its counts'
// keys: vdir, URL, status and verdict, tab-separated (none of them holds a
// tab: vDir and verdict are enums, the URL was validated, status is digits).
func checkKeys(checks []probes.VDirCheck) string {
	lines := make([]string, 0, len(checks))
	for _, c := range checks {
		lines = append(lines, strings.Join([]string{c.VDir, c.URL, c.StatusText(), c.Verdict}, "\t"))
	}
	slices.Sort(lines)
	return strings.Join(slices.Compact(lines), "\n")
}

// clientCheckCounts moves the clients' vantage counts by the difference
// between a client's previous checks (counted for oldServer) and its new
// ones (for newServer): the statements to run, none when a report saw what
// the previous one saw, for the same server.
func clientCheckCounts(oldServer sql.NullInt64, oldKeys string, newServer int64, newKeys, client string, at int64) ([]stmt, error) {
	type key struct {
		server int64
		line   string
	}
	delta := map[key]int64{}
	if oldServer.Valid && oldKeys != "" {
		for line := range strings.SplitSeq(oldKeys, "\n") {
			delta[key{oldServer.Int64, line}]--
		}
	}
	if newServer != 0 && newKeys != "" {
		for line := range strings.SplitSeq(newKeys, "\n") {
			delta[key{newServer, line}]++
		}
	}
	// One statement for every count that moves (a report usually moves
	// three), in one order: a statement's shape (prepared once) and the
	// rows' lock order do not depend on the map's.
	keys := slices.SortedFunc(maps.Keys(delta), func(a, b key) int {
		return cmp.Or(cmp.Compare(a.server, b.server), strings.Compare(a.line, b.line))
	})
	var values []string
	var args []any
	for _, k := range keys {
		n := delta[k]
		if n == 0 {
			continue
		}
		f := strings.Split(k.line, "\t")
		if len(f) != 4 {
			return nil, fmt.Errorf("client check key %q: want 4 fields", k.line)
		}
		values = append(values, "("+placeholdersFrom(len(args)+1, 8)+")")
		args = append(args, k.server, f[0], f[1], f[2], f[3], n, client, at)
	}
	if len(values) == 0 {
		return nil, nil
	}
	return []stmt{{`INSERT INTO client_check_counts (server_id, vdir, url, status, verdict, clients, example, last_at)
		VALUES ` + strings.Join(values, ", ") + `
		ON CONFLICT (server_id, vdir, url, status, verdict) DO UPDATE SET clients = client_check_counts.clients + excluded.clients,
			example = CASE WHEN excluded.clients > 0 THEN excluded.example ELSE client_check_counts.example END,
			last_at = excluded.last_at`, args},
		// The rules read these counts: the servers' next reports are
		// diagnosed in full, whatever they repeat (upsertServer).
		{`UPDATE servers SET inputs_digest = NULL WHERE id IN ($1, $2) AND inputs_digest IS NOT NULL`,
			[]any{oldServer.Int64, newServer}}}, nil
}

// clientChecks reads a server's clients' vantage into dst, by vDir order and URL.
func clientChecks(ctx context.Context, r reader, serverID int64, dst *[]probes.ClientCheckCount) error {
	err := r.query(ctx, `SELECT vdir, url, status, verdict, clients, example, last_at FROM client_check_counts
		WHERE server_id = $1 AND clients > 0`, []any{serverID}, func(rows rowsScanner) error {
		out := []probes.ClientCheckCount{}
		for rows.Next() {
			var c probes.ClientCheckCount
			var at int64
			if err := rows.Scan(&c.VDir, &c.URL, &c.Status, &c.Verdict, &c.Clients, &c.Example, &at); err != nil {
				return err
			}
			c.LastAt = fromMS(at)
			out = append(out, c)
		}
		slices.SortFunc(out, func(a, b probes.ClientCheckCount) int {
			if d := vdirOrder(a.VDir) - vdirOrder(b.VDir); d != 0 {
				return d
			}
			return strings.Compare(a.URL+"\t"+a.Status, b.URL+"\t"+b.Status)
		})
		*dst = out
		return rows.Err()
	})
	if err != nil {
		return fmt.Errorf("read client checks: %w", err)
	}
	return nil
}

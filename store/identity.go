package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/wsusfleet/wsusfleet/probes"
)

// syncIdentity brings a server's names (server_names) and ports in line with
// its name, its URL and the aliases, addresses and ports of its latest
// server section: what a WUServer, an upstream or a prober's URL is matched
// against. It writes only what changed.
func syncIdentity(ctx context.Context, t *wtx, serverID int64) error {
	var name, rawURL string
	var body sql.NullString
	var httpPort, httpsPort sql.NullInt64
	var ssl sql.NullBool
	err := t.QueryRowContext(ctx, `SELECT s.name, s.url, sec.body, s.http_port, s.https_port, s.ssl FROM servers s
		LEFT JOIN sections sec ON sec.server_id = s.id AND sec.name = $2 WHERE s.id = $1`, serverID, probes.SectionServer).
		Scan(&name, &rawURL, &body, &httpPort, &httpsPort, &ssl)
	if err != nil {
		return fmt.Errorf("read server identity: %w", err)
	}
	var info *probes.ServerInfo
	if body.Valid {
		info = &probes.ServerInfo{}
		if err := decodeRun(body.String, info); err != nil {
			return fmt.Errorf("decode server section: %w", err)
		}
	}
	var aliases, addresses []string
	if info != nil {
		aliases, addresses = info.Aliases, info.Addresses
	}
	want := map[string]string{}
	for _, n := range probes.ServerNames(name, rawURL, aliases, addresses) {
		want[n.Name] = n.Kind
	}
	rows, err := t.QueryContext(ctx, `SELECT name, kind FROM server_names WHERE server_id = $1`, serverID)
	if err != nil {
		return fmt.Errorf("read server names: %w", err)
	}
	have := map[string]string{}
	for rows.Next() {
		var n, k string
		if err := rows.Scan(&n, &k); err != nil {
			rows.Close()
			return err
		}
		have[n] = k
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for n, k := range have {
		if want[n] == "" {
			if _, err := t.ExecContext(ctx, `DELETE FROM server_names WHERE server_id = $1 AND name = $2`, serverID, n); err != nil {
				return fmt.Errorf("forget server name: %w", err)
			}
		} else if want[n] != k {
			if _, err := t.ExecContext(ctx, `UPDATE server_names SET kind = $3 WHERE server_id = $1 AND name = $2`, serverID, n, want[n]); err != nil {
				return fmt.Errorf("store server name: %w", err)
			}
		}
	}
	for n, k := range want {
		if have[n] == "" {
			if _, err := t.ExecContext(ctx, `INSERT INTO server_names (server_id, name, kind) VALUES ($1, $2, $3)`, serverID, n, k); err != nil {
				return fmt.Errorf("store server name: %w", err)
			}
		}
	}
	p := probes.PortsOf(info, rawURL)
	if int(httpPort.Int64) == p.HTTP && int(httpsPort.Int64) == p.HTTPS && ssl.Valid == (p.SSL != nil) && (p.SSL == nil || ssl.Bool == *p.SSL) {
		return nil
	}
	_, err = t.ExecContext(ctx, `UPDATE servers SET http_port = $2, https_port = $3, ssl = $4 WHERE id = $1`,
		serverID, nullPort(p.HTTP), nullPort(p.HTTPS), p.SSL)
	return err
}

func nullPort(p int) any {
	if p == 0 {
		return nil
	}
	return p
}

// matchHost finds the fleet server host:port names (probes.MatchServer over
// the servers known by host in any way) and its id (0 when none).
func matchHost(ctx context.Context, q querier, host string, port int) (probes.ServerMatch, int64, error) {
	h := hostCandidates{host: probes.NormalizeHost(host), port: port}
	if h.host == "" {
		return probes.ServerMatch{}, 0, nil
	}
	rows, err := q.QueryContext(ctx, matchHostSQL, h.host)
	if err != nil {
		return probes.ServerMatch{}, 0, fmt.Errorf("match %s: %w", h.host, err)
	}
	defer rows.Close()
	if err := h.scan(rows); err != nil {
		return probes.ServerMatch{}, 0, err
	}
	m, id := h.match()
	return m, id, nil
}

// matchHostSQL reads the servers known as $1 in any way.
const matchHostSQL = `SELECT s.id, s.name, n.kind, s.http_port, s.https_port, s.ssl
		FROM server_names n JOIN servers s ON s.id = n.server_id WHERE n.name = $1`

// matchHostQuery is matchHostSQL for a client report, whose group shares
// it. OFFSET 0 keeps the planner from joining every server name by hash:
// each host stays one index lookup, as alone, however large the fleet.
var matchHostQuery = &sharedQuery{one: matchHostSQL,
	many: `SELECT i.ord, m.* FROM unnest($1::text[]) WITH ORDINALITY AS i(host, ord)
		CROSS JOIN LATERAL (SELECT s.id, s.name, n.kind, s.http_port, s.https_port, s.ssl
			FROM server_names n JOIN servers s ON s.id = n.server_id WHERE n.name = i.host OFFSET 0) m ORDER BY i.ord`}

// hostCandidates are the servers matchHostSQL found for host (normalised).
type hostCandidates struct {
	host  string
	port  int
	ids   map[string]int64
	cands []probes.NameCandidate
}

func (h *hostCandidates) scan(rows rowsScanner) error {
	h.ids = map[string]int64{}
	for rows.Next() {
		var id int64
		var c probes.NameCandidate
		var httpPort, httpsPort sql.NullInt64
		var ssl sql.NullBool
		if err := rows.Scan(&id, &c.Server, &c.Kind, &httpPort, &httpsPort, &ssl); err != nil {
			return err
		}
		c.Ports = probes.ServerPorts{HTTP: int(httpPort.Int64), HTTPS: int(httpsPort.Int64)}
		if ssl.Valid {
			c.Ports.SSL = &ssl.Bool
		}
		h.ids[c.Server] = id
		h.cands = append(h.cands, c)
	}
	return rows.Err()
}

// match is the server the candidates give host:port and its id (0 when none).
func (h *hostCandidates) match() (probes.ServerMatch, int64) {
	if h.host == "" {
		return probes.ServerMatch{}, 0
	}
	m := probes.MatchServer(h.host, h.port, h.cands)
	return m, h.ids[m.Server]
}

// ResolveServer finds the fleet server a server URL (host and port) names,
// as an agent asks before posting under the server's name: by the server's
// name, URL, alias, address or unique short name, on one of its ports.
// probes.ErrNotFound says why none could be chosen.
func (s *Store) ResolveServer(ctx context.Context, rawURL string) (probes.ServerMatch, error) {
	u, ok := probes.ParseWUServer(rawURL)
	if !ok {
		return probes.ServerMatch{}, probes.InvalidParam("url", "must be an http(s) URL of a WSUS server, like http://wsus01.corp.example:8530; got %q", rawURL)
	}
	port := u.EffectivePort()
	m, _, err := matchHost(ctx, s.db, u.Host, port)
	switch {
	case err != nil:
		return m, err
	case len(m.Ambiguous) > 0:
		return m, fmt.Errorf("%w: %s on port %d could be any of %s", probes.ErrNotFound, u.Host, port, strings.Join(m.Ambiguous, ", "))
	case !m.Known():
		return m, fmt.Errorf("%w: no fleet server is known as %s", probes.ErrNotFound, u.Host)
	case (m.Ports.HTTP != 0 || m.Ports.HTTPS != 0) && !m.Ports.Serves(port):
		return m, fmt.Errorf("%w: %s is %s, which serves clients on %d and %d, not on %d", probes.ErrNotFound, u.Host, m.Server, m.Ports.HTTP, m.Ports.HTTPS, port)
	}
	return m, nil
}

// upstream finds, inside the diagnosis' transaction, the fleet server a
// downstream syncs from (host:port by any of the upstream's names).
func (s *Store) upstream(ctx context.Context, t *wtx) func(host string, port int) (probes.FleetServer, bool) {
	return func(host string, port int) (probes.FleetServer, bool) {
		m, id, err := matchHost(ctx, t, host, port)
		if err != nil || !m.Known() {
			return probes.FleetServer{}, false
		}
		row, err := scanServerRow(t.QueryRowContext(ctx, `SELECT `+serverRowColumns+` FROM servers WHERE id = $1`, id))
		if errors.Is(err, sql.ErrNoRows) || err != nil {
			return probes.FleetServer{}, false
		}
		up := probes.FleetServer{Name: row.name, Status: s.status(row, t.now), Ports: m.Ports}
		// What may explain a downstream's trouble, and since when it is watched;
		// a failed read leaves them out rather than failing the diagnosis.
		var created int64
		if t.QueryRowContext(ctx, `SELECT created_at FROM servers WHERE id = $1`, row.id).Scan(&created) == nil {
			up.WatchedSince = fromMS(created)
		}
		if open, err := loadOpenFindings(ctx, t, row.id); err == nil {
			up.Findings = open
		}
		return up, true
	}
}

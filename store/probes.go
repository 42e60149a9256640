package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

// RegisterServer makes the dashboard probe a server at url (creating the
// server, or updating a known one's URL). It is due for probing at once.
func (s *Store) RegisterServer(ctx context.Context, name, url string) (created bool, err error) {
	name = probes.NormalizeName(name)
	err = s.write(ctx, func(ctx context.Context, t *wtx) error {
		var existed bool
		if err := t.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM servers WHERE name = $1)`, name).Scan(&existed); err != nil {
			return err
		}
		created = !existed
		var id int64
		err := t.QueryRowContext(ctx, `INSERT INTO servers (name, url, registered, created_at, next_probe_at) VALUES ($1, $2, TRUE, $3, $3)
			ON CONFLICT (name) DO UPDATE SET url = excluded.url, registered = TRUE, next_probe_at = excluded.next_probe_at
			RETURNING id`, name, url, ms(t.now)).Scan(&id)
		if err != nil {
			return err
		}
		// The rules read the URL and registration: the next report is
		// diagnosed in full, whatever it repeats (upsertServer).
		if _, err := t.ExecContext(ctx, `UPDATE servers SET inputs_digest = NULL WHERE id = $1`, id); err != nil {
			return err
		}
		return syncIdentity(ctx, t, id) // its URL's host is one of its names now
	})
	if err != nil {
		return false, fmt.Errorf("register server %s: %w", name, err)
	}
	return created, nil
}

// DeleteServer forgets a server and everything stored about it.
func (s *Store) DeleteServer(ctx context.Context, name string) error {
	return s.write(ctx, func(ctx context.Context, t *wtx) error {
		var id int64
		if err := t.QueryRowContext(ctx, `SELECT id FROM servers WHERE name = $1`, probes.NormalizeName(name)).Scan(&id); err != nil {
			return fmt.Errorf("server %q: %w", name, probes.ErrNotFound)
		}
		// Computers it was expected to list stay, unattributed ("no server").
		d := gapDeltas{}
		rows, err := t.QueryContext(ctx, `SELECT category, COUNT(*) FROM fleet_gaps WHERE server_id = $1 GROUP BY category`, id)
		if err != nil {
			return err
		}
		for rows.Next() {
			var cat string
			var n int64
			if err := rows.Scan(&cat, &n); err != nil {
				rows.Close()
				return err
			}
			d[gapKey{0, cat}] += n
		}
		rows.Close()
		if _, err := t.ExecContext(ctx, `DELETE FROM servers WHERE id = $1`, id); err != nil {
			return fmt.Errorf("delete server: %w", err)
		}
		// Its clients went with it: names only it listed may be gaps now.
		w := t.pipe()
		if err := s.classifyUnlisted(ctx, t, w, nameSet{}, nil, d, nil); err != nil {
			return err
		}
		if err := applyGapDeltas(ctx, w, d); err != nil {
			return err
		}
		if err := w.run(ctx, "store computer gaps"); err != nil {
			return err
		}
		_, err = t.ExecContext(ctx, `DELETE FROM gap_counts WHERE server_key = $1`, id)
		return err
	})
}

// ClaimProbes leases up to limit registered servers that are due and not
// leased to holder until now+lease: their next probe moves one interval ahead
// (with a stable per-server jitter of ±10%, so a fleet spreads out), in the
// same atomic update that selects them. However many dashboard instances
// share the database, each due server is handed to one of them per interval,
// and a probe that runs past its interval is not handed out again while its
// lease lasts: the holder ends it with ReleaseProbe, or it lapses (an
// instance that died mid-probe). The caller must stop probing before the
// lease ends.
func (s *Store) ClaimProbes(ctx context.Context, holder string, limit int, interval, lease time.Duration) ([]probes.ProbeTarget, error) {
	var out []probes.ProbeTarget
	err := s.write(ctx, func(ctx context.Context, t *wtx) error {
		out = out[:0]
		now := ms(t.now)
		spread := max(interval.Milliseconds()/5, 1)
		rows, err := t.QueryContext(ctx, `UPDATE servers SET
				next_probe_at = $2 + (id * 7919) % $3 - $3 / 2, lease_holder = $4, lease_until = $6
			WHERE id IN (SELECT id FROM servers WHERE registered AND url <> '' AND next_probe_at <= $1
				AND (lease_until IS NULL OR lease_until <= $1)
				ORDER BY next_probe_at LIMIT $5)
			AND next_probe_at <= $1 AND (lease_until IS NULL OR lease_until <= $1)
			RETURNING name, url`, now, now+interval.Milliseconds(), spread, holder, limit, now+lease.Milliseconds())
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var tg probes.ProbeTarget
			if err := rows.Scan(&tg.Name, &tg.URL); err != nil {
				return err
			}
			out = append(out, tg)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("claim probes: %w", err)
	}
	return out, nil
}

// ReleaseProbe ends holder's lease on a server once its probe is stored (or
// given up): the server is claimable again when its next probe is due. A
// lease that lapsed and went to another holder is left alone.
func (s *Store) ReleaseProbe(ctx context.Context, holder, name string) error {
	err := s.write(ctx, func(ctx context.Context, t *wtx) error {
		_, err := t.ExecContext(ctx, `UPDATE servers SET lease_holder = NULL, lease_until = NULL WHERE name = $1 AND lease_holder = $2`,
			probes.NormalizeName(name), holder)
		return err
	})
	if err != nil {
		return fmt.Errorf("release probe of %s: %w", name, err)
	}
	return nil
}

// NextProbeAt says when a registered server is next due (for tests and the UI).
func (s *Store) NextProbeAt(ctx context.Context, name string) (time.Time, error) {
	var at sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT next_probe_at FROM servers WHERE name = $1`, probes.NormalizeName(name)).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !at.Valid) {
		return time.Time{}, fmt.Errorf("server %q: %w", name, probes.ErrNotFound)
	}
	if err != nil {
		return time.Time{}, err
	}
	return fromMS(at.Int64), nil
}

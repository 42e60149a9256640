package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

// tokenPrefix marks wsusfleet secrets so secret scanners and people recognise them.
const tokenPrefix = "wsf_"

// lastUsedEvery throttles last_used_at updates so authentication stays a read.
const lastUsedEvery = time.Minute

// hashSecret is how every secret is stored (tokens, session ids, sign-in
// states): its SHA-256. The secrets are 32 random bytes, so a plain hash is
// enough; nothing stored can be turned back into one.
func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// newSecret returns 32 random bytes, URL-safe.
func newSecret() string {
	raw := make([]byte, 32)
	rand.Read(raw) // never fails (crypto/rand panics instead)
	return base64.RawURLEncoding.EncodeToString(raw)
}

// CreateToken makes a new token: 32 random bytes, returned once as secret;
// only its SHA-256 is stored.
func (s *Store) CreateToken(ctx context.Context, name, scope string) (secret string, tok probes.Token, err error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 || strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "", tok, probes.Invalid("/name", "must be 1 to 100 printable characters")
	}
	if !probes.ValidScope(scope) {
		return "", tok, probes.Invalid("/scope", "must be one of %s; got %q", strings.Join(probes.Scopes(), ", "), scope)
	}
	secret = tokenPrefix + newSecret()
	tok = probes.Token{Name: name, Scope: scope, Hint: secret[:len(tokenPrefix)+4] + "…"}
	err = s.write(ctx, func(ctx context.Context, t *wtx) error {
		tok.CreatedAt = fromMS(ms(t.now))
		return t.QueryRowContext(ctx, `INSERT INTO tokens (name, scope, hash, hint, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			name, scope, hashSecret(secret), tok.Hint, ms(t.now)).Scan(&tok.ID)
	})
	if err != nil {
		return "", probes.Token{}, fmt.Errorf("create token: %w", err)
	}
	return secret, tok, nil
}

// tokenColumns are what scanToken reads, in its order.
const tokenColumns = `id, name, scope, hint, created_at, last_used_at, revoked_at`

// scanToken reads tokenColumns, then any extra columns into extra.
func scanToken(sc interface{ Scan(...any) error }, extra ...any) (probes.Token, error) {
	var t probes.Token
	var created int64
	var used, revoked sql.NullInt64
	if err := sc.Scan(append([]any{&t.ID, &t.Name, &t.Scope, &t.Hint, &created, &used, &revoked}, extra...)...); err != nil {
		return t, err
	}
	t.CreatedAt, t.LastUsedAt, t.RevokedAt = fromMS(created), fromNullMS(used), fromNullMS(revoked)
	return t, nil
}

// Tokens lists every token, revoked ones included, oldest first.
func (s *Store) Tokens(ctx context.Context) ([]probes.Token, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+tokenColumns+` FROM tokens ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	out := []probes.Token{}
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken revokes a token and ends every dashboard session signed in with
// it. This Store forgets the token at once; other processes on the same
// database within tokenCacheTTL.
func (s *Store) RevokeToken(ctx context.Context, id int64) error {
	s.tokens.revoked(id) // fence lookups in flight before the write too
	defer s.tokens.revoked(id)
	return s.write(ctx, func(ctx context.Context, t *wtx) error {
		res, err := t.ExecContext(ctx, `UPDATE tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1`, id, ms(t.now))
		if err != nil {
			return fmt.Errorf("revoke token: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("token %d: %w", id, probes.ErrNotFound)
		}
		if _, err := t.ExecContext(ctx, `DELETE FROM sessions WHERE token_id = $1`, id); err != nil {
			return fmt.Errorf("end the token's sessions: %w", err)
		}
		return nil
	})
}

// Authenticate finds the live token for a secret; probes.ErrNotFound when the
// secret is unknown or revoked.
func (s *Store) Authenticate(ctx context.Context, secret string) (probes.Token, error) {
	if !strings.HasPrefix(secret, tokenPrefix) || len(secret) > 100 {
		return probes.Token{}, probes.ErrNotFound
	}
	want := hashSecret(secret)
	if t, ok := s.tokens.get(want); ok {
		s.touchToken(ctx, want, t)
		return t, nil
	}
	gen := s.tokens.generation()
	var stored string
	t, err := scanToken(s.queryRow(ctx, `SELECT `+tokenColumns+`, hash FROM tokens WHERE hash = $1`, want), &stored)
	if errors.Is(err, sql.ErrNoRows) {
		return probes.Token{}, probes.ErrNotFound
	}
	if err != nil {
		return probes.Token{}, fmt.Errorf("authenticate: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(stored), []byte(want)) != 1 || t.RevokedAt != nil {
		return probes.Token{}, probes.ErrNotFound
	}
	s.tokens.put(want, t, gen)
	s.touchToken(ctx, want, t)
	return t, nil
}

// touchToken records when a token was last used, at most once a minute, so
// authentication stays a read.
func (s *Store) touchToken(ctx context.Context, hash string, t probes.Token) {
	now := s.now()
	if t.LastUsedAt != nil && now.Sub(*t.LastUsedAt) <= lastUsedEvery {
		return
	}
	s.tokens.touch(hash, now) // before the write: concurrent requests do not all write
	err := s.write(ctx, func(ctx context.Context, tx *wtx) error {
		_, err := tx.ExecContext(ctx, `UPDATE tokens SET last_used_at = $2 WHERE id = $1`, t.ID, ms(tx.now))
		return err
	})
	if err != nil {
		if !s.Unavailable(err) { // an outage is reported once, by the caller
			s.opts.Logger.Warn("token last-used not recorded", "token", t.ID, "err", err)
		}
	}
}

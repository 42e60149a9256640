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

func hashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// CreateToken makes a new token: 32 random bytes, returned once as secret;
// only its SHA-256 is stored.
func (s *Store) CreateToken(ctx context.Context, name, scope string) (secret string, tok probes.Token, err error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 || strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "", tok, probes.Invalid("/name", "must be 1 to 100 printable characters")
	}
	if !probes.ValidScope(scope) {
		return "", tok, probes.Invalid("/scope", "must be one of ingest, read, admin; got %q", scope)
	}
	raw := make([]byte, 32)
	rand.Read(raw) // never fails (crypto/rand panics instead)
	secret = tokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	tok = probes.Token{Name: name, Scope: scope, Hint: secret[:len(tokenPrefix)+4] + "…"}
	err = s.write(ctx, func(ctx context.Context, t *wtx) error {
		tok.CreatedAt = fromMS(ms(t.now))
		return t.QueryRowContext(ctx, `INSERT INTO tokens (name, scope, hash, hint, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			name, scope, hashToken(secret), tok.Hint, ms(t.now)).Scan(&tok.ID)
	})
	if err != nil {
		return "", probes.Token{}, fmt.Errorf("create token: %w", err)
	}
	return secret, tok, nil
}

const tokenColumns = `id, name, scope, hint, created_at, last_used_at, revoked_at`

func scanToken(sc interface{ Scan(...any) error }) (probes.Token, error) {
	var t probes.Token
	var created int64
	var used, revoked sql.NullInt64
	if err := sc.Scan(&t.ID, &t.Name, &t.Scope, &t.Hint, &created, &used, &revoked); err != nil {
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

// RevokeToken revokes a token at once, everywhere (tokens are never cached).
func (s *Store) RevokeToken(ctx context.Context, id int64) error {
	return s.write(ctx, func(ctx context.Context, t *wtx) error {
		res, err := t.ExecContext(ctx, `UPDATE tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1`, id, ms(t.now))
		if err != nil {
			return fmt.Errorf("revoke token: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("token %d: %w", id, probes.ErrNotFound)
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
	want := hashToken(secret)
	var stored string
	row := s.queryRow(ctx, `SELECT hash, `+tokenColumns+` FROM tokens WHERE hash = $1`, want)
	var t probes.Token
	var created int64
	var used, revoked sql.NullInt64
	err := row.Scan(&stored, &t.ID, &t.Name, &t.Scope, &t.Hint, &created, &used, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return probes.Token{}, probes.ErrNotFound
	}
	if err != nil {
		return probes.Token{}, fmt.Errorf("authenticate: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(stored), []byte(want)) != 1 || revoked.Valid {
		return probes.Token{}, probes.ErrNotFound
	}
	t.CreatedAt, t.LastUsedAt = fromMS(created), fromNullMS(used)
	if now := s.now(); t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > lastUsedEvery {
		err := s.write(ctx, func(ctx context.Context, tx *wtx) error {
			_, err := tx.ExecContext(ctx, `UPDATE tokens SET last_used_at = $2 WHERE id = $1`, t.ID, ms(tx.now))
			return err
		})
		if err != nil {
			s.opts.Logger.Warn("token last-used not recorded", "token", t.ID, "err", err)
		}
	}
	return t, nil
}

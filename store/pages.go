package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/wsusfleet/wsusfleet/probes"
)

// Read models the dashboard pages need beyond the API's. Read-only.

// TokenSessionKey returns the token with the given id and a key derived from
// its stored hash, for signing the dashboard's session cookies: a session
// signed with it is valid only while this very token exists and, as the
// caller checks, is not revoked. Because the key comes from the database,
// every instance sharing it verifies every other's sessions. Revoked tokens
// are returned (with RevokedAt set) so the caller can say why a session ended;
// probes.ErrNotFound when there is no such token.
func (s *Store) TokenSessionKey(ctx context.Context, id int64) (probes.Token, []byte, error) {
	var hash string
	row := s.db.QueryRowContext(ctx, `SELECT hash, `+tokenColumns+` FROM tokens WHERE id = $1`, id)
	var t probes.Token
	var created int64
	var used, revoked sql.NullInt64
	err := row.Scan(&hash, &t.ID, &t.Name, &t.Scope, &t.Hint, &created, &used, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return probes.Token{}, nil, fmt.Errorf("token %d: %w", id, probes.ErrNotFound)
	}
	if err != nil {
		return probes.Token{}, nil, fmt.Errorf("read token %d: %w", id, err)
	}
	t.CreatedAt, t.LastUsedAt, t.RevokedAt = fromMS(created), fromNullMS(used), fromNullMS(revoked)
	key := sha256.Sum256([]byte("wsusfleet session key v1\x00" + strconv.FormatInt(id, 10) + "\x00" + hash))
	return t, key[:], nil
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

// sessionTouchEvery throttles how often a session's idle deadline is pushed
// forward, so most page views read the session without writing.
const sessionTouchEvery = time.Minute

// CreateSession stores a signed-in browser's session and returns the id for
// its cookie; only the id's SHA-256 is stored. Ended sessions and abandoned
// sign-in attempts are cleared on the way.
func (s *Store) CreateSession(ctx context.Context, sess probes.Session) (id string, err error) {
	switch {
	case sess.Via != probes.SignInToken && sess.Via != probes.SignInOIDC:
		return "", probes.Invalid("/via", "must be token or oidc; got %q", sess.Via)
	case sess.Via == probes.SignInToken && sess.TokenID <= 0:
		return "", probes.Invalid("/token_id", "a token sign-in needs its token")
	case !probes.ValidScope(sess.Scope):
		return "", probes.Invalid("/scope", "must be one of %s; got %q", strings.Join(probes.Scopes(), ", "), sess.Scope)
	case strings.TrimSpace(sess.User) == "" || len(sess.User) > 200 || len(sess.Subject) > 500:
		return "", probes.Invalid("/user", "must be 1 to 200 characters")
	case sess.Idle <= 0:
		return "", probes.Invalid("/idle", "must be positive")
	}
	id = newSecret()
	var tokenID any
	if sess.Via == probes.SignInToken {
		tokenID = sess.TokenID
	}
	err = s.write(ctx, func(ctx context.Context, t *wtx) error {
		now := ms(t.now)
		if sess.ExpiresAt.UnixMilli() <= now {
			return probes.Invalid("/expires_at", "is not in the future")
		}
		if err := sweepSessions(ctx, t); err != nil {
			return err
		}
		idleUntil := min(now+sess.Idle.Milliseconds(), ms(sess.ExpiresAt))
		_, err := t.ExecContext(ctx, `INSERT INTO sessions (id_hash, via, token_id, user_name, subject, scope, created_at, idle_ms, idle_until, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			hashSecret(id), sess.Via, tokenID, sess.User, sess.Subject, sess.Scope, now, sess.Idle.Milliseconds(), idleUntil, ms(sess.ExpiresAt))
		return err
	})
	if err != nil {
		return "", fmt.Errorf("create session: %w", err)
	}
	return id, nil
}

// sweepSessions deletes ended sessions and abandoned sign-in attempts.
func sweepSessions(ctx context.Context, t *wtx) error {
	now := ms(t.now)
	if _, err := t.ExecContext(ctx, `DELETE FROM sessions WHERE idle_until <= $1 OR expires_at <= $1`, now); err != nil {
		return err
	}
	_, err := t.ExecContext(ctx, `DELETE FROM signin_attempts WHERE expires_at <= $1`, now)
	return err
}

// Session returns the live session whose cookie holds id, and pushes its idle
// deadline forward; probes.ErrNotFound when there is none, it has ended
// (idle, absolute expiry, signed out) or its token was revoked.
func (s *Store) Session(ctx context.Context, id string) (probes.Session, error) {
	if id == "" || len(id) > 100 {
		return probes.Session{}, probes.ErrNotFound
	}
	hash := hashSecret(id)
	var sess probes.Session
	var tokenID, revoked sql.NullInt64
	var created, idleMS, idleUntil, expires int64
	err := s.queryRow(ctx, `SELECT s.via, s.token_id, s.user_name, s.subject, s.scope, s.created_at, s.idle_ms, s.idle_until, s.expires_at, t.revoked_at
		FROM sessions s LEFT JOIN tokens t ON t.id = s.token_id WHERE s.id_hash = $1`, hash).
		Scan(&sess.Via, &tokenID, &sess.User, &sess.Subject, &sess.Scope, &created, &idleMS, &idleUntil, &expires, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return probes.Session{}, probes.ErrNotFound
	}
	if err != nil {
		return probes.Session{}, fmt.Errorf("read session: %w", err)
	}
	now := ms(s.now())
	if now >= idleUntil || now >= expires || revoked.Valid {
		return probes.Session{}, probes.ErrNotFound
	}
	sess.TokenID, sess.Idle = tokenID.Int64, time.Duration(idleMS)*time.Millisecond
	sess.CreatedAt, sess.ExpiresAt = fromMS(created), fromMS(expires)
	if next := min(now+idleMS, expires); next-idleUntil >= sessionTouchEvery.Milliseconds() {
		err := s.write(ctx, func(ctx context.Context, t *wtx) error {
			_, err := t.ExecContext(ctx, `UPDATE sessions SET idle_until = $2 WHERE id_hash = $1 AND idle_until < $2`, hash, next)
			return err
		})
		if err != nil && !s.Unavailable(err) {
			s.opts.Logger.Warn("session use not recorded", "err", err)
		}
	}
	return sess, nil
}

// DeleteSession ends the session whose cookie holds id (sign-out). An
// unknown or ended session is no error: the browser is signed out either way.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	if id == "" || len(id) > 100 {
		return nil
	}
	return s.write(ctx, func(ctx context.Context, t *wtx) error {
		if _, err := t.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = $1`, hashSecret(id)); err != nil {
			return fmt.Errorf("delete session: %w", err)
		}
		return nil
	})
}

// SaveSignInAttempt stores a single sign-on in progress under the hash of
// state (which only the browser that started it holds).
func (s *Store) SaveSignInAttempt(ctx context.Context, state string, a probes.SignInAttempt) error {
	if len(state) < 32 || len(state) > 100 {
		return probes.Invalid("/state", "must be 32 to 100 characters")
	}
	return s.write(ctx, func(ctx context.Context, t *wtx) error {
		if _, err := t.ExecContext(ctx, `DELETE FROM signin_attempts WHERE expires_at <= $1`, ms(t.now)); err != nil {
			return err
		}
		_, err := t.ExecContext(ctx, `INSERT INTO signin_attempts (state_hash, nonce, verifier, next, expires_at) VALUES ($1, $2, $3, $4, $5)`,
			hashSecret(state), a.Nonce, a.Verifier, a.Next, ms(a.ExpiresAt))
		if err != nil {
			return fmt.Errorf("save sign-in attempt: %w", err)
		}
		return nil
	})
}

// TakeSignInAttempt returns and deletes the sign-in attempt of state: the
// first answer from the provider uses it up, a replay finds nothing
// (probes.ErrNotFound), as does an attempt past its ExpiresAt.
func (s *Store) TakeSignInAttempt(ctx context.Context, state string) (probes.SignInAttempt, error) {
	if state == "" || len(state) > 100 {
		return probes.SignInAttempt{}, probes.ErrNotFound
	}
	var a probes.SignInAttempt
	var expires int64
	var now time.Time
	err := s.write(ctx, func(ctx context.Context, t *wtx) error {
		now = t.now
		return t.QueryRowContext(ctx, `DELETE FROM signin_attempts WHERE state_hash = $1 RETURNING nonce, verifier, next, expires_at`, hashSecret(state)).
			Scan(&a.Nonce, &a.Verifier, &a.Next, &expires)
	})
	if errors.Is(err, sql.ErrNoRows) || (err == nil && expires <= ms(now)) { // an expired one is deleted all the same
		return probes.SignInAttempt{}, fmt.Errorf("sign-in attempt: %w", probes.ErrNotFound)
	}
	if err != nil {
		return probes.SignInAttempt{}, fmt.Errorf("take sign-in attempt: %w", err)
	}
	a.ExpiresAt = fromMS(expires)
	return a, nil
}

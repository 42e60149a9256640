package probes

import "time"

// Token scopes. Writes need ingest (or admin); reads need read (or admin)
// when the dashboard runs with --read-auth=token.
const (
	ScopeIngest = "ingest"
	ScopeRead   = "read"
	ScopeAdmin  = "admin"
)

// Token is an API token as stored: never the secret itself, only its SHA-256
// and a short hint so people can tell their tokens apart.
type Token struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Scope      string     `json:"scope" v:"enum=scope"`
	Hint       string     `json:"hint"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

// Allows reports whether the token may act with the given scope. Admin may do
// everything; the other scopes only what they name (least privilege: a
// collector's ingest token cannot read the fleet).
func (t Token) Allows(scope string) bool {
	return t.RevokedAt == nil && (t.Scope == ScopeAdmin || t.Scope == scope)
}

// ValidScope reports whether s names a scope.
func ValidScope(s string) bool { return s == ScopeIngest || s == ScopeRead || s == ScopeAdmin }

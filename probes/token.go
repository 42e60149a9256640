package probes

import "time"

// Token scopes, from least to most trusted. A token deployed to every Windows
// client is semi-public, so client may only post what a client knows about
// itself; ingest (a collector on a WSUS server) may post everything a server
// reports; read is for people and dashboards; admin may do everything.
const (
	ScopeClient = "client"
	ScopeIngest = "ingest"
	ScopeRead   = "read"
	ScopeAdmin  = "admin"
)

// Scopes lists every scope in the order people choose among them.
func Scopes() []string { return []string{ScopeClient, ScopeIngest, ScopeRead, ScopeAdmin} }

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

// Allows reports whether the token may act with the given scope.
func (t Token) Allows(scope string) bool {
	return t.RevokedAt == nil && ScopeAllows(t.Scope, scope)
}

// ScopeAllows reports whether holding scope have may do what needs scope
// want. Admin may do everything; ingest may also do what client may (a
// server's collector can send its own client report); otherwise a scope
// allows only what it names (least privilege: a collector's ingest token
// cannot read the fleet, a client's token cannot post a server report).
func ScopeAllows(have, want string) bool {
	switch {
	case have == ScopeAdmin:
		return ValidScope(want)
	case have == want:
		return ValidScope(want)
	case want == ScopeClient:
		return have == ScopeIngest
	}
	return false
}

// ValidScope reports whether s names a scope.
func ValidScope(s string) bool {
	return s == ScopeClient || s == ScopeIngest || s == ScopeRead || s == ScopeAdmin
}

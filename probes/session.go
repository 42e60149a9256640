package probes

import "time"

// Ways to sign in to the dashboard.
const (
	SignInToken = "token" // a read or admin token pasted into the sign-in form
	SignInOIDC  = "oidc"  // single sign-on through an OpenID Connect provider
)

// Session is a signed-in browser. The browser holds a random id; the store
// keeps only its SHA-256, so a copy of the database cannot sign anyone in.
type Session struct {
	Via     string `json:"via"`      // SignInToken or SignInOIDC
	TokenID int64  `json:"token_id"` // the token signed in with (SignInToken); revoking it ends the session
	User    string `json:"user"`     // who: the token's name, or the person's name at the identity provider
	Subject string `json:"subject"`  // SignInOIDC: the provider's stable id of the person ("issuer|sub")
	Scope   string `json:"scope"`    // ScopeRead or ScopeAdmin

	CreatedAt time.Time `json:"created_at"`
	// ExpiresAt is the absolute end: never extended, however busy the session.
	ExpiresAt time.Time `json:"expires_at"`
	// Idle ends the session this long after its last use (before ExpiresAt).
	Idle time.Duration `json:"idle"`
}

// Allows reports whether the session may act with the given scope.
func (s Session) Allows(scope string) bool { return ScopeAllows(s.Scope, scope) }

// SignInAttempt is a single sign-on in progress: what the provider's answer
// must match. It is stored under the hash of its state, which only the
// browser that started it holds, and taken (deleted) by the first answer.
type SignInAttempt struct {
	Nonce     string    // must come back inside the ID token
	Verifier  string    // the PKCE code verifier
	Next      string    // the local path to return to
	ExpiresAt time.Time // the provider must answer before this
}

package ui

import "github.com/a-h/templ"

// TokensView is token management (admin only).
type TokensView struct {
	Layout
	Tokens  []TokenRow
	Created *CreatedToken // the token just created: its secret is shown this once
	Error   string        // why the create form was refused
	Name    string        // the create form's name, kept after an error
	Scope   string
	Scopes  []string
}

// TokenRow is one token as listed (never its secret).
type TokenRow struct {
	ID       int64
	Name     string
	Scope    string
	Hint     string
	Created  Stamp
	LastUsed Stamp
	Revoked  Stamp
	Revoke   templ.SafeURL // the revoke form's action; "" once revoked
	Current  bool          // the token of this session
}

// CreatedToken is a token just created.
type CreatedToken struct {
	Name, Scope string
	Secret      Command
}

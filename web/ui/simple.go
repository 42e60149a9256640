package ui

import "github.com/a-h/templ"

// ErrorView is an error answered to a browser.
type ErrorView struct {
	Layout
	Status    int
	Heading   string // "Not found"
	Detail    string // safe to show: written for users
	RequestID string
	Back      Link
	SignIn    templ.SafeURL // set when signing in (again) would help
}

// SignInView is the sign-in form.
type SignInView struct {
	Layout
	Next    string // where to go after signing in (a local path)
	Error   string
	Reason  string // why sign-in is asked for
	FormKey string // CSRF token of the form
	SSO     Link   // single sign-on, when configured
}

package ui

import "github.com/a-h/templ"

// EvidenceForm is the "Add evidence" form of a server or client page: paste
// text or choose a file. Allowed is false without a signed-in ingest or
// admin session; the page then says how to sign in or upload instead.
type EvidenceForm struct {
	ID      string // the form's anchor and test id prefix
	Action  templ.SafeURL
	CSRF    string
	Allowed bool
	SignIn  templ.SafeURL
	Kinds   []Option
	Text    string // what was pasted, kept when it was refused
	Offset  string
	Upload  Command // the command line that does the same
	Error   string  // the refusal of the last attempt
	Lines   []string
}

// Option is one choice of a select.
type Option struct {
	Value, Label string
	Selected     bool
}

// EvidenceResult is what was understood of accepted evidence and what it
// changed.
type EvidenceResult struct {
	Kind       string
	Replay     bool
	Understood []string
	Changed    []string
}

// EvidencePage is the answer to server evidence pasted in the dashboard.
type EvidencePage struct {
	Layout
	Server     string
	ServerHref templ.SafeURL
	Result     *EvidenceResult
	Form       EvidenceForm
}

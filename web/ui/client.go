package ui

import (
	"net/url"

	"github.com/a-h/templ"
)

// ClientPageView is one computer: why it does not report and what to do,
// then what is known of it, source by source.
type ClientPageView struct {
	Layout
	Name       string
	Server     string
	ServerHref templ.SafeURL
	Gap        *ClientGapBox
	Cause      *ClientCause
	Fix        ClientFixView
	Errors     []ClientErrorRow
	Listings   []ClientListingRow
	Policy     *ClientPolicyView
	Checks     []ClientCheckRow
	Log        *ClientLogView
	Evidence   []ClientEvidenceItem
	History    []ClientHistoryRow
	Inventory  []Fact
	Form       EvidenceForm
	Result     *EvidenceResult
}

// ClientGapBox is the client's gap category, why, and since when.
type ClientGapBox struct {
	Category, Label, Class, Detail string
	Since                          Stamp
}

// ClientCause is the server finding that explains the client.
type ClientCause struct {
	Title, Rule, Severity string
	Href                  templ.SafeURL
}

// ClientFixView is the fix and what it addresses.
type ClientFixView struct {
	About string
	Steps []StepRow
}

// ClientErrorRow is one logged error, decoded.
type ClientErrorRow struct {
	At                                         Stamp
	Operation, Code, Name, Meaning, Cause, Src string
	Count                                      int64
	HTTP                                       string
	Explained                                  string // the finding that explains it, "" when none
	ExplainedHref                              templ.SafeURL
	Message                                    string
}

// ClientListingRow is one server's record of the client.
type ClientListingRow struct {
	Server, SyncResult, Groups, IP, OS, Gap, GapClass, GapDetail string
	Href                                                         templ.SafeURL
	LastSync, LastReport, FirstSeen, Removed                     Stamp
}

// ClientPolicyView is the client's view of its policy.
type ClientPolicyView struct {
	Source, Verdict, VerdictClass, Detail string
	At                                    Stamp
	Rows                                  []PolicyRow
}

// PolicyRow is one policy value; Bad marks the one its gap is about.
type PolicyRow struct {
	Label, Value string
	Bad          bool
}

// ClientCheckRow is one of the client's own checks of a WSUS URL.
type ClientCheckRow struct {
	VDir, URL, Status, Verdict, Reason string
}

// ClientLogView is what the client's WindowsUpdate.log says.
type ClientLogView struct {
	Format, TimeZone, Server, StatusServer, Service, Proxy, Version string
	First, Last                                                     Stamp
	Attempts                                                        []AttemptRow
}

// AttemptRow is one scan, report or SelfUpdate attempt.
type AttemptRow struct {
	Operation, Code, Detail string
	OK                      bool
	At                      Stamp
}

// ClientEvidenceItem is one piece of evidence sent about the client.
type ClientEvidenceItem struct {
	Kind, Format, File, Gap string
	Received                Stamp
	Judged                  bool
	Changed, Missing, Notes []string
}

// ClientHistoryRow is one dated fact.
type ClientHistoryRow struct {
	At   Stamp
	What string
}

// ClientHref is the page of a client; the name is percent-encoded, "/" too.
func ClientHref(name string) templ.SafeURL {
	return templ.SafeURL("/clients/" + url.PathEscape(name))
}

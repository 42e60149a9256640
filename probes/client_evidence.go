package probes

import (
	"reflect"
	"strconv"
	"time"
)

// Kinds of client evidence (POST /api/v1/clients/{name}/evidence/{kind}).
const (
	EvidenceRegQuery         = "regquery"
	EvidenceWindowsUpdateLog = "windowsupdatelog"
)

// ClientEvidence is one piece of evidence an admin sent about a client — its
// registry policy or its WindowsUpdate.log — with what it added to what is
// known of the client. Evidence adds facts: a log never sets or clears a
// policy value, and registry output changes only the keys it shows whole.
type ClientEvidence struct {
	ID          string    `json:"id"`
	Client      string    `json:"client" v:"required,max=253,host"`
	Kind        string    `json:"kind" v:"required,enum=client_evidence"`
	File        string    `json:"file,omitempty" v:"max=255"`
	Format      string    `json:"format" v:"max=256"`
	ReceivedAt  time.Time `json:"received_at"`
	CollectedAt time.Time `json:"collected_at"`                  // the log's last line; when registry output was sent
	Machine     string    `json:"machine,omitempty" v:"max=253"` // the computer the text itself names, if any

	Policy *PolicyEvidence `json:"policy,omitempty"` // regquery
	Log    *WULogDigest    `json:"log,omitempty"`    // windowsupdatelog
	Notes  []string        `json:"notes,omitempty" v:"max=100,each=max=2048"`

	// What it did: the policy values it changed, whether the policy was
	// judged again (registry output that shows enough of it), what it
	// lacked otherwise, and the client's gap afterwards.
	Changed   []string `json:"changed,omitempty"`
	Judged    bool     `json:"judged"`
	Missing   []string `json:"missing,omitempty"`
	Server    string   `json:"server,omitempty"` // the fleet server its policy (or, for a log, its agent) uses
	Gap       string   `json:"gap,omitempty"`
	GapDetail string   `json:"gap_detail,omitempty"`
}

// Validate checks the evidence before it is stored.
func (e *ClientEvidence) Validate(now time.Time) error {
	var p problems
	validateStruct(reflect.ValueOf(e), "", now, &p)
	if e.Policy != nil {
		if len(e.Policy.Facts) > 500 {
			p.add("/policy/facts", "has %d values; at most 500", len(e.Policy.Facts))
		}
		for i, f := range e.Policy.Facts {
			if len(f.Data) > 2048 {
				p.add("/policy/facts/"+strconv.Itoa(i)+"/data", "is %d bytes long; at most 2048", len(f.Data))
			}
		}
	}
	if (e.Kind == EvidenceRegQuery) != (e.Policy != nil) || (e.Kind == EvidenceWindowsUpdateLog) != (e.Log != nil) {
		p.add("/kind", "does not match what the evidence holds")
	}
	return p.err()
}

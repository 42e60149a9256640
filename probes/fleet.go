package probes

import "time"

// FleetRow is one server on the fleet page: its summary, the latest verdict
// of each vDir, and its sync.
type FleetRow struct {
	ServerSummary
	VDirs []VDirCell       `json:"vdirs"` // one per vDir in dashboard order; Verdict "" when never checked
	Sync  *Sync            `json:"sync"`  // nil when never collected
	Gaps  map[string]int64 `json:"gaps"`  // clients per reporting-gap category (only non-zero ones)
	// Identity is how clients and other servers may name it (nil: derive
	// it from Name and URL), for matching upstreams in the hierarchy.
	Identity *ServerIdentity `json:"-"`
}

// VDirCell is the latest verdict of one vDir, compact enough to keep per
// server for the fleet strip.
type VDirCell struct {
	VDir      string    `json:"vdir"`
	Verdict   string    `json:"verdict"` // "" when never checked
	Status    string    `json:"status"`  // status.substatus as IIS logs it
	Reason    string    `json:"reason"`
	Vantage   string    `json:"vantage"`
	CheckedAt time.Time `json:"checked_at,omitzero"`
}

// Cells summarises checks as one cell per vDir in dashboard order: the worst
// verdict among a vDir's checks (e.g. SelfUpdate on the WSUS port and on 80).
func Cells(checks []VDirCheck) []VDirCell {
	names := VDirNames()
	out := make([]VDirCell, len(names))
	for i, n := range names {
		out[i].VDir = n
	}
	for _, c := range checks {
		for i := range out {
			if out[i].VDir == c.VDir && verdictRank(c.Verdict) > verdictRank(out[i].Verdict) {
				out[i].Verdict, out[i].Status, out[i].Reason = c.Verdict, c.StatusText(), c.Reason
			}
		}
	}
	return out
}

// VerdictOnly keeps what a check's verdict and its place in a history strip
// need (vdir, URL, status, verdict): a day of checks then reads cheaply.
func (c VDirCheck) VerdictOnly() VDirCheck {
	return VDirCheck{VDir: c.VDir, URL: c.URL, Status: c.Status, Substatus: c.Substatus, Win32Status: c.Win32Status, Verdict: c.Verdict}
}

func verdictRank(v string) int {
	switch v {
	case VerdictFault:
		return 3
	case VerdictWarning:
		return 2
	case VerdictOK:
		return 1
	}
	return 0
}

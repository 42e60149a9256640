package store

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/wsusfleet/wsusfleet/probes"
)

// preparedReport is a report turned into rows before it reaches the writer:
// the JSON encoding happens concurrently in the request goroutines, so the
// single SQLite writer spends its time on SQL only.
type preparedReport struct {
	r        *probes.Report
	sections []sectionRow
	checks   *checkRun     // nil when the report has no vDir checks
	clients  *clientList   // nil when the report has no client list
	iislog   *iislogUpload // nil when the report has no IIS log
	// inputs digests what the report gives the rules to read (see
	// inputsDigest); "" when that cannot be summarised so.
	inputs string
}

type sectionRow struct{ name, body string }

// checkRun is a report's vDir checks as one row: they are one observation
// from one vantage and origin, stored and replaced together.
type checkRun struct {
	body, cells      string
	verdicts         string // the checks reduced to VerdictOnly
	faults, warnings int
}

func prepareReport(r *probes.Report) (*preparedReport, error) {
	p := &preparedReport{r: r}
	add := func(name string, v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("encode %s: %w", name, err)
		}
		p.sections = append(p.sections, sectionRow{name, string(b)})
		return nil
	}
	steps := []struct {
		name    string
		present bool
		v       any
	}{
		// Every report names its server; only one that says more (version,
		// ports, database...) replaces what a collector on the server reported.
		{probes.SectionServer, r.Server.HasFacts(), r.Server},
		{probes.SectionVDirConfig, r.VDirConfig != nil, r.VDirConfig},
		{probes.SectionAppPool, r.AppPool != nil, r.AppPool},
		{probes.SectionServices, r.Services != nil, r.Services},
		{probes.SectionACLs, r.ACLs != nil, r.ACLs},
		{probes.SectionEvents, r.Events != nil, r.Events},
		{probes.SectionSync, r.Sync != nil, r.Sync},
		{probes.SectionDenials, r.Denials != nil, r.Denials},
		// The iislog section is the recent window, rebuilt by saveIISLogHours.
		{probes.SectionHTTPErr, r.HTTPErr != nil, r.HTTPErr},
		{probes.SectionSDLog, r.SDLog != nil, r.SDLog},
		// The server collector's run, with its error when it could not collect.
		{probes.SectionCollector, r.CollectorRun(), r.Collector},
	}
	for _, st := range steps {
		if st.present {
			if err := add(st.name, st.v); err != nil {
				return nil, err
			}
		}
	}
	if len(r.VDirChecks) > 0 {
		b, err := json.Marshal(r.VDirChecks)
		if err != nil {
			return nil, fmt.Errorf("encode vdir checks: %w", err)
		}
		cells, err := json.Marshal(probes.Cells(r.VDirChecks))
		if err != nil {
			return nil, err
		}
		verdicts := make([]probes.VDirCheck, len(r.VDirChecks))
		for i, c := range r.VDirChecks {
			verdicts[i] = c.VerdictOnly()
		}
		v, err := json.Marshal(verdicts)
		if err != nil {
			return nil, err
		}
		p.checks = &checkRun{body: string(b), cells: string(cells), verdicts: string(v)}
		for _, c := range r.VDirChecks {
			switch c.Verdict {
			case probes.VerdictFault:
				p.checks.faults++
			case probes.VerdictWarning:
				p.checks.warnings++
			}
		}
	}
	if r.IISLog != nil {
		p.iislog = newIISLogUpload(r)
	}
	if r.Clients != nil {
		p.clients = newClientList(r.Clients)
	}
	p.inputs = p.inputsDigest()
	return p, nil
}

// inputsDigest summarises what the report writes that the rules read: its
// sections, its vDir checks (less the timings no rule reads) with the
// vantage and origin they are stored under, the URL it gives the server, and the interval of rediagnoseEvery
// it was collected in. Its id and exact collection time are left out (they
// differ in every report), so two reports that say the same
// thing have the same digest and the second needs no new diagnosis, only a
// judgement (see upsertServer). A client list or an IIS log changes counts
// and windows the digest cannot see: such a report has none ("") and is
// always diagnosed.
func (p *preparedReport) inputsDigest() string {
	if p.clients != nil || p.iislog != nil {
		return ""
	}
	h := sha256.New()
	field := func(s string) {
		var n [8]byte
		for i, l := 0, len(s); i < 8; i, l = i+1, l>>8 {
			n[i] = byte(l)
		}
		h.Write(n[:])
		h.Write([]byte(s))
	}
	r := p.r
	// The rules also judge checks by when they were collected (a
	// certificate's days left at that time): reports collected in different
	// intervals of rediagnoseEvery never share a digest.
	field(strconv.FormatInt(ms(r.CollectedAt.Time)/rediagnoseEvery.Milliseconds(), 10))
	field(r.Server.URL)
	field(r.Collector.Vantage)
	field(r.Collector.Host)
	for _, sec := range p.sections {
		field(sec.name)
		field(sec.body)
	}
	if len(r.VDirChecks) > 0 {
		// The checks as the rules read them: a latency only matters above
		// the slow threshold (and its verdict names it then), the connect
		// time not at all. Equal timings are rare; equal answers are not.
		seen := make([]probes.VDirCheck, len(r.VDirChecks))
		for i, c := range r.VDirChecks {
			if c.LatencyMS <= probes.SlowMS {
				c.LatencyMS = 0
			}
			c.ConnectMS = nil
			seen[i] = c
		}
		b, err := json.Marshal(seen)
		if err != nil {
			return "" // never equal: diagnosed
		}
		field("vdir_checks")
		field(string(b))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

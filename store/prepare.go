package store

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"sync"
	"unsafe"

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

// sectionRow is a section as JSON (what inputsDigest hashes) and packed
// for storing (runpack.go).
type sectionRow struct {
	name, body string
	packed     []byte
}

// checkRun is a report's vDir checks as one row: they are one observation
// from one vantage and origin, stored and replaced together.
type checkRun struct {
	// The checks, the fleet strip's cells and the checks reduced to
	// VerdictOnly, each as JSON packed for storing (runpack.go).
	body, cells, verdicts []byte
	faults, warnings      int
}

// rerunnable says the report's write has no effect outside its transaction
// and may run again after a rollback (writeRerun): a client list or an IIS
// log is merged through state the write keeps in p.
func (p *preparedReport) rerunnable() bool { return p.clients == nil && p.iislog == nil }

func prepareReport(r *probes.Report) (*preparedReport, error) {
	p := &preparedReport{r: r}
	add := func(name string, v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("encode %s: %w", name, err)
		}
		p.sections = append(p.sections, sectionRow{name, owned(b), packRun(b)})
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
		views, err := checkViewsOf(r.VDirChecks)
		if err != nil {
			return nil, err
		}
		p.checks = &checkRun{body: packRun(b), cells: views.cells, verdicts: views.verdicts}
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
	r := p.r
	d, put := borrowDigestInput()
	defer put()
	// The rules also judge checks by when they were collected (a
	// certificate's days left at that time): reports collected in different
	// intervals of rediagnoseEvery never share a digest.
	d.int(ms(r.CollectedAt.Time) / rediagnoseEvery.Milliseconds())
	d.str(r.Server.URL)
	d.str(r.Collector.Vantage)
	d.str(r.Collector.Host)
	for _, sec := range p.sections {
		d.str(sec.name)
		d.str(sec.body)
	}
	if len(r.VDirChecks) > 0 {
		d.str("vdir_checks")
		d.int(int64(len(r.VDirChecks)))
		for _, c := range r.VDirChecks {
			d.check(c)
		}
	}
	sum := sha256.Sum256(d.b)
	return hex.EncodeToString(sum[:16])
}

// digestInput is what inputsDigest hashes, each value written so that no
// two sequences of values write the same bytes (lengths and markers first).
type digestInput struct{ b []byte }

// digestInputs keeps inputsDigest's buffers (~5 KB for a small report,
// which every report allocated anew).
var digestInputs = sync.Pool{New: func() any { return &digestInput{b: make([]byte, 0, 8<<10)} }}

// borrowDigestInput takes a buffer from digestInputs; put gives it back.
func borrowDigestInput() (d *digestInput, put func()) {
	d = digestInputs.Get().(*digestInput)
	return d, func() {
		if cap(d.b) <= 64<<10 { // a rare large report's buffer is not kept
			d.b = d.b[:0]
			digestInputs.Put(d)
		}
	}
}

// owned is b as a string without copying it: for the output of
// json.Marshal, which nothing else holds and nothing writes to again. The
// copies were a tenth of a small report's allocated bytes.
func owned(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

func (d *digestInput) str(s string) {
	d.b = binary.LittleEndian.AppendUint64(d.b, uint64(len(s)))
	d.b = append(d.b, s...)
}

func (d *digestInput) int(n int64)     { d.b = binary.LittleEndian.AppendUint64(d.b, uint64(n)) }
func (d *digestInput) float(f float64) { d.int(int64(math.Float64bits(f))) }
func (d *digestInput) present(ok bool) bool {
	var b byte
	if ok {
		b = 1
	}
	d.b = append(d.b, b)
	return ok
}

func (d *digestInput) strs(list []string) {
	d.int(int64(len(list)))
	for _, s := range list {
		d.str(s)
	}
}

// status writes a check's HTTP status, substatus and Win32 status.
func (d *digestInput) status(c probes.VDirCheck) {
	d.int(int64(c.Status))
	if d.present(c.Substatus != nil) {
		d.int(int64(*c.Substatus))
	}
	if d.present(c.Win32Status != nil) {
		d.int(*c.Win32Status)
	}
}

// check writes a vDir check as the rules read it: a latency only matters
// above the slow threshold (and its verdict names it then), the connect
// time not at all. Equal timings are rare; equal answers are not. Every
// other field is written (TestInputsDigestReadsEveryCheckField).
func (d *digestInput) check(c probes.VDirCheck) {
	d.str(c.VDir)
	d.str(c.URL)
	d.str(c.Method)
	d.status(c)
	if c.LatencyMS <= probes.SlowMS {
		c.LatencyMS = 0
	}
	d.float(c.LatencyMS)
	d.str(c.Error)
	d.str(c.ErrorKind)
	d.strs(c.WWWAuthenticate)
	d.str(c.Server)
	d.str(c.Location)
	d.strs(c.DNS)
	if d.present(c.TLS != nil) {
		t := c.TLS
		d.str(t.Version)
		d.str(t.Subject)
		d.str(t.Issuer)
		d.strs(t.SANs)
		na, _ := t.NotAfter.MarshalJSON()
		d.str(string(na))
		d.present(t.ChainValid)
		d.present(t.NameMatches)
		d.str(t.Error)
	}
	d.str(c.Verdict)
	d.str(c.Reason)
}

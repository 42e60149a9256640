// Package evidence turns an uploaded or pasted evidence file into what the
// one ingest path takes: server evidence (an IIS or HTTPERR log, a Process
// Monitor CSV, applicationHost.config, a Get-WsusComputer CSV, event text,
// SoftwareDistribution.log) becomes report sections; client evidence (a reg
// query of the Windows Update policy, a WindowsUpdate.log) becomes a
// probes.ClientEvidence. Kind "auto" reads the start of the file and picks
// the kind; every refusal says what the content looks like.
package evidence

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

// Sides: which endpoint a kind belongs to.
const (
	SideServer = "server" // POST /api/v1/servers/{name}/evidence/{kind}
	SideClient = "client" // POST /api/v1/clients/{name}/evidence/{kind}
)

// Auto is the kind that detects the others.
const Auto = "auto"

// Options are an upload's query parameters.
type Options struct {
	File      string         // the file's name (iislog: "<file>@<offset>" for a chunk from that byte on)
	DateOrder string         // computers: dmy or mdy, for files with ambiguous dates
	Partial   bool           // computers: the file does not list every computer
	Site      string         // apphost: the IIS site of WSUS, if not "WSUS Administration"
	Location  *time.Location // events, windowsupdatelog: the time zone local times were written in
}

// Parsed is what a file became. Server kinds fill Report (the caller fills
// in id, server and collector); client kinds fill Client (the caller fills
// in id, client and what it changed). Kind is the kind it was read as:
// for auto, the one detected.
type Parsed struct {
	Kind    string
	Report  *probes.Report
	Client  *probes.ClientEvidence
	Summary any
}

// Kind is one kind of evidence file.
type Kind struct {
	Name        string
	Description string
	Side        string
	params      []string // the query parameters it understands
	parse       func(r io.Reader, o Options, now time.Time) (*Parsed, error)
}

var serverKinds = []Kind{
	{Name: "iislog", Side: SideServer, Description: "IIS W3C log of the WSUS site (u_exYYMMDD.log)", params: []string{"file"}, parse: parseIISLog},
	{Name: "procmon", Side: SideServer, Description: "Process Monitor capture saved as CSV", params: []string{"file"}, parse: parseProcMon},
	{Name: "apphost", Side: SideServer, Description: "%windir%\\System32\\inetsrv\\config\\applicationHost.config", params: []string{"file", "site"}, parse: parseAppHost},
	{Name: "computers", Side: SideServer, Description: "Get-WsusComputer -All | Export-Csv", params: []string{"file", "date_order", "partial"}, parse: parseComputers},
	{Name: "httperr", Side: SideServer, Description: "HTTP.sys error log (%windir%\\System32\\LogFiles\\HTTPERR\\httperr*.log)", params: []string{"file"}, parse: parseHTTPErr},
	{Name: "events", Side: SideServer, Description: "event text: Event Viewer's Copy details as text, Get-WinEvent | Format-List, wevtutil qe /f:text", params: []string{"file", "utc_offset"}, parse: parseEvents},
	{Name: "softwaredistributionlog", Side: SideServer, Description: "the WSUS server's SoftwareDistribution.log", params: []string{"file"}, parse: parseSDLog},
}

var clientKinds = []Kind{
	{Name: probes.EvidenceRegQuery, Side: SideClient, Description: "reg query of HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate /s, Get-ItemProperty output or a .reg export", params: []string{"file"}, parse: parseRegQuery},
	{Name: probes.EvidenceWindowsUpdateLog, Side: SideClient, Description: "WindowsUpdate.log, classic or written by Get-WindowsUpdateLog", params: []string{"file", "utc_offset"}, parse: parseWULog},
}

// Kinds lists the server kinds, in documentation order, then auto.
func Kinds() []Kind { return append(slices.Clone(serverKinds), autoKind(SideServer)) }

// ClientKinds lists the client kinds, then auto.
func ClientKinds() []Kind { return append(slices.Clone(clientKinds), autoKind(SideClient)) }

// Lookup finds a server kind by name.
func Lookup(name string) (Kind, error) { return lookup(Kinds(), name, SideServer) }

// LookupClient finds a client kind by name.
func LookupClient(name string) (Kind, error) { return lookup(ClientKinds(), name, SideClient) }

func lookup(list []Kind, name, side string) (Kind, error) {
	for _, k := range list {
		if k.Name == name {
			return k, nil
		}
	}
	names := make([]string, len(list))
	for i, k := range list {
		names[i] = k.Name
	}
	msg := fmt.Sprintf("no evidence kind %q; the kinds are %s", name, strings.Join(names, ", "))
	if other, ok := sideOf(name); ok && other != side {
		msg += fmt.Sprintf("; %s is %s evidence: send it to %s", name, other, endpointOf(other, name))
	}
	return Kind{}, fmt.Errorf("%w: %s", probes.ErrNotFound, msg)
}

func sideOf(kind string) (string, bool) {
	for _, k := range serverKinds {
		if k.Name == kind {
			return SideServer, true
		}
	}
	for _, k := range clientKinds {
		if k.Name == kind {
			return SideClient, true
		}
	}
	return "", false
}

func endpointOf(side, kind string) string {
	if side == SideClient {
		return "/api/v1/clients/{name}/evidence/" + kind
	}
	return "/api/v1/servers/{name}/evidence/" + kind
}

// Options reads and checks the query parameters for this kind.
func (k Kind) Options(q url.Values) (Options, error) {
	var o Options
	for name := range q {
		if !slices.Contains(k.params, name) {
			return o, probes.InvalidParam(name, "is not a parameter of %s uploads (they take %s)", k.Name, strings.Join(k.params, ", "))
		}
	}
	o.File = q.Get("file")
	if len(o.File) > 255 || strings.ContainsAny(o.File, "/\\\x00") {
		return o, probes.InvalidParam("file", "must be a file name of at most 255 characters, without a path")
	}
	switch v := strings.ToLower(q.Get("date_order")); v {
	case "", "dmy", "mdy":
		o.DateOrder = strings.ToUpper(v)
	default:
		return o, probes.InvalidParam("date_order", "must be dmy or mdy; got %q", q.Get("date_order"))
	}
	switch v := q.Get("partial"); v {
	case "", "false":
	case "true":
		o.Partial = true
	default:
		return o, probes.InvalidParam("partial", "must be true or false; got %q", v)
	}
	o.Site = q.Get("site")
	if v := q.Get("utc_offset"); v != "" {
		loc, err := ParseOffset(v)
		if err != nil {
			return o, probes.InvalidParam("utc_offset", "must be an offset from UTC like +01:00, -05:00 or Z; got %q", v)
		}
		o.Location = loc
	}
	return o, nil
}

// ParseOffset reads a UTC offset: Z, UTC, +01:00, -0500, +1.
func ParseOffset(s string) (*time.Location, error) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "Z") || strings.EqualFold(s, "UTC") {
		return time.UTC, nil
	}
	s = strings.TrimPrefix(strings.TrimPrefix(s, "UTC"), "utc")
	for _, layout := range []string{"-07:00", "-0700", "-07"} {
		if t, err := time.Parse(layout, s); err == nil {
			_, off := t.Zone()
			if off < -14*3600 || off > 14*3600 {
				break
			}
			return time.FixedZone("", off), nil
		}
	}
	return nil, errors.New("not an offset")
}

// Parse reads one file of this kind. A refusal (a *probes.ValidationError)
// says, when the content looks like another kind, which one to send it as.
func (k Kind) Parse(r io.Reader, o Options, now time.Time) (*Parsed, error) {
	// Keep the start of the file: a refusal says what it looks like.
	head := &capped{max: sniffBytes}
	p, err := k.parse(io.TeeReader(r, head), o, now)
	if err != nil {
		return nil, k.refusal(err, head.b.Bytes())
	}
	if p.Kind == "" {
		p.Kind = k.Name
	}
	return p, nil
}

// refusal adds to a parser's refusal what the content looks like instead.
func (k Kind) refusal(err error, head []byte) error {
	var v *probes.ValidationError
	if !errors.As(err, &v) || len(v.Errors) == 0 || k.Name == Auto {
		return err
	}
	d, _, _ := detectBytes(head)
	if d.Kind == "" || d.Kind == k.Name {
		return err
	}
	out := &probes.ValidationError{Syntax: v.Syntax, Errors: slices.Clone(v.Errors)}
	side, _ := sideOf(d.Kind)
	hint := fmt.Sprintf("%s: send it as %s", describe(d), d.Kind)
	if side != k.Side {
		hint = fmt.Sprintf("%s: send it to %s", describe(d), endpointOf(side, d.Kind))
	}
	out.Errors[0].Detail += "; " + hint
	return out
}

// autoKind detects the kind from the start of the file.
func autoKind(side string) Kind {
	desc := "detect the kind from the content"
	params := []string{"file", "date_order", "partial", "site", "utc_offset"}
	if side == SideClient {
		params = []string{"file", "utc_offset"}
	}
	k := Kind{Name: Auto, Description: desc, Side: side, params: params}
	k.parse = func(r io.Reader, o Options, now time.Time) (*Parsed, error) {
		br := bufio.NewReaderSize(r, sniffBytes)
		head, _ := br.Peek(sniffBytes)
		var in io.Reader = br
		if bytes.HasPrefix(head, []byte{0x1f, 0x8b}) {
			// A .gz file sent as it is: read what is inside, for every kind.
			zr, err := gzip.NewReader(br)
			if err != nil {
				return nil, &probes.ValidationError{Syntax: true, Errors: []probes.FieldError{{Detail: "the file starts like gzip data but is not: " + err.Error()}}}
			}
			defer zr.Close()
			zb := bufio.NewReaderSize(zr, sniffBytes)
			head, _ = zb.Peek(sniffBytes)
			in = zb
		}
		d, lines, err := detectBytes(head)
		if err != nil {
			return nil, err // empty, or not text at all
		}
		if d.Kind == "" {
			n, text := firstText(lines)
			if len(lines) == 0 {
				n, text = 0, ""
			}
			return nil, &probes.ValidationError{Syntax: true, Errors: []probes.FieldError{{Line: n,
				Detail: fmt.Sprintf("cannot tell what kind of evidence this is (it begins %.60q); send it with its kind: %s", text, kindList(side))}}}
		}
		if ds, _ := sideOf(d.Kind); ds != side {
			return nil, &probes.ValidationError{Syntax: true, Errors: []probes.FieldError{{Line: d.Line,
				Detail: fmt.Sprintf("%s, which is %s evidence: send it to %s", describe(d), ds, endpointOf(ds, d.Kind))}}}
		}
		var kind Kind
		for _, c := range append(slices.Clone(serverKinds), clientKinds...) {
			if c.Name == d.Kind {
				kind = c
			}
		}
		p, err := kind.parse(in, o, now)
		if err != nil {
			return nil, addDetected(err, d)
		}
		p.Kind = d.Kind
		return p, nil
	}
	return k
}

// addDetected says in a refusal which kind auto read the file as.
func addDetected(err error, d Detection) error {
	var v *probes.ValidationError
	if !errors.As(err, &v) || len(v.Errors) == 0 {
		return err
	}
	out := &probes.ValidationError{Syntax: v.Syntax, Errors: slices.Clone(v.Errors)}
	out.Errors[0].Detail = fmt.Sprintf("read as %s (%s): %s", d.Kind, describe(d), out.Errors[0].Detail)
	return out
}

func kindList(side string) string {
	var names []string
	list := serverKinds
	if side == SideClient {
		list = clientKinds
	}
	for _, k := range list {
		names = append(names, k.Name)
	}
	return strings.Join(names, ", ")
}

// capped keeps the first max bytes written to it.
type capped struct {
	b   bytes.Buffer
	max int
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.b.Len(); room > 0 {
		c.b.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

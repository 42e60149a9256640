// Package evidence turns an uploaded evidence file (an IIS log, a Process
// Monitor CSV, applicationHost.config, a Get-WsusComputer CSV) into report
// sections through its parser, so it takes the one ingest path, and into the
// summary the uploader is shown.
package evidence

import (
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

// Options are an upload's query parameters.
type Options struct {
	File      string // the file's name (iislog: uploads of the same file replace its hours)
	DateOrder string // computers: dmy or mdy, for files with ambiguous dates
	Partial   bool   // computers: the file does not list every computer
	Site      string // apphost: the IIS site of WSUS, if not "WSUS Administration"
}

// Parsed is what a file became: report sections (the caller fills in id,
// server and collector) and the summary answered to the uploader.
type Parsed struct {
	Report  *probes.Report
	Summary any
}

// Kind is one kind of evidence file.
type Kind struct {
	Name        string
	Description string
	params      []string // the query parameters it understands
	parse       func(r io.Reader, o Options, now time.Time) (*Parsed, error)
}

var kinds = []Kind{
	{Name: "iislog", Description: "IIS W3C log of the WSUS site (u_exYYMMDD.log)", params: []string{"file"}, parse: parseIISLog},
	{Name: "procmon", Description: "Process Monitor capture saved as CSV", params: []string{"file"}, parse: parseProcMon},
	{Name: "apphost", Description: "%windir%\\System32\\inetsrv\\config\\applicationHost.config", params: []string{"file", "site"}, parse: parseAppHost},
	{Name: "computers", Description: "Get-WsusComputer -All | Export-Csv", params: []string{"file", "date_order", "partial"}, parse: parseComputers},
}

// Kinds lists the kinds of evidence, in documentation order.
func Kinds() []Kind { return slices.Clone(kinds) }

// Lookup finds a kind by name.
func Lookup(name string) (Kind, error) {
	for _, k := range kinds {
		if k.Name == name {
			return k, nil
		}
	}
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = k.Name
	}
	return Kind{}, fmt.Errorf("%w: no evidence kind %q; the kinds are %s", probes.ErrNotFound, name, strings.Join(names, ", "))
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
	return o, nil
}

// Parse reads one file of this kind.
func (k Kind) Parse(r io.Reader, o Options, now time.Time) (*Parsed, error) {
	return k.parse(r, o, now)
}

package probes

import (
	"crypto/rand"
	"fmt"
	"net/url"
	"reflect"
	"time"
)

// Registration asks the dashboard to probe a WSUS server at its URL.
type Registration struct {
	Name string `json:"name,omitempty" v:"max=253,host"` // default: the URL's host
	URL  string `json:"url" v:"required,max=2048"`
}

// Validate checks the registration; the URL must be the server's http(s)
// base URL, e.g. http://wsus01.corp.example:8530.
func (r *Registration) Validate(now time.Time) error {
	var p problems
	validateStruct(reflect.ValueOf(r), "", now, &p)
	if r.URL != "" {
		if err := CheckServerURL(r.URL); err != nil {
			p.add("/url", "%s", err.Error())
		}
	}
	return p.err()
}

// ServerName is the registered name: given, or the URL's host.
func (r *Registration) ServerName() string {
	if r.Name != "" {
		return NormalizeName(r.Name)
	}
	return URLHost(r.URL)
}

// URLHost is the normalized host name of a server URL; "" when it has none.
func URLHost(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return NormalizeName(u.Hostname())
}

// ProbeTarget is a registered server due for probing.
type ProbeTarget struct {
	Name string
	URL  string
}

// NewID returns a random (version 4) UUID, the id of a new document.
func NewID() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

package probes

import (
	"net/url"
	"testing"
)

// slowHTTPURL and slowServerURL are checkHTTPURL and CheckServerURL as they
// were before plainHTTPURL: url.Parse alone.
func slowHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.Hostname() != ""
}

func slowServerURL(s string) bool {
	if !slowHTTPURL(s) {
		return false
	}
	u, _ := url.Parse(s)
	return (u.Path == "" || u.Path == "/") && u.RawQuery == "" && u.Fragment == ""
}

var urlCases = []string{
	"http://wsus01.corp.example:8530", "http://wsus01.corp.example:8530/", "https://wsus01:8531/ClientWebService/client.asmx",
	"http://wsus01.corp.example:8530/selfupdate/wuident.cab", "http://10.0.0.5:8530/Content/", "http://WSUS01:8530",
	"http://host:", "http://:8530", "http://", "https://", "http:///path", "ftp://wsus01", "HTTP://wsus01:8530",
	"http://wsus01:85a0", "http://wsus01:8530?x=1", "http://wsus01:8530/#frag", "http://wsus01:8530/a%20b",
	"http://wsus01:8530/a b", "http://user@wsus01:8530", "http://[::1]:8530/", "http://wsus01:8530/a:b@c!$&'()*+,;=~",
	"http://wsus_01:8530", "http://wsus01:8530\n", "http://wsus01\x7f:8530", "http://wsus01:8530/\x00", "http://./",
	"http://-:1", "http://wsus01:99999999999", "//wsus01:8530", "wsus01:8530", "", "http://wsus01:8530/ä",
	"http://wsus01.corp.example:8530//", "http://wsus01:8530/a?", "http://wsus01:8530/%zz",
}

// The fast path accepts exactly what url.Parse accepted.
func TestPlainHTTPURLAgreesWithURLParse(t *testing.T) {
	for _, s := range urlCases {
		if got, want := checkHTTPURL(s) == nil, slowHTTPURL(s); got != want {
			t.Errorf("checkHTTPURL(%q) accepts: %v, url.Parse: %v", s, got, want)
		}
		if got, want := CheckServerURL(s) == nil, slowServerURL(s); got != want {
			t.Errorf("CheckServerURL(%q) accepts: %v, url.Parse: %v", s, got, want)
		}
	}
	for _, s := range []string{"http://wsus01.corp.example:8530", "https://wsus01:8531/ClientWebService/client.asmx", "http://10.0.0.5:8530/"} {
		if _, ok := plainHTTPURL(s); !ok {
			t.Errorf("plainHTTPURL(%q) leaves a collector's URL to url.Parse", s)
		}
	}
}

func FuzzPlainHTTPURL(f *testing.F) {
	for _, s := range urlCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := checkHTTPURL(s) == nil, slowHTTPURL(s); got != want {
			t.Errorf("checkHTTPURL(%q) accepts: %v, url.Parse: %v", s, got, want)
		}
		if got, want := CheckServerURL(s) == nil, slowServerURL(s); got != want {
			t.Errorf("CheckServerURL(%q) accepts: %v, url.Parse: %v", s, got, want)
		}
	})
}

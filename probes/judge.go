package probes

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// SlowMS is the latency above which an otherwise healthy vDir is a warning:
// WSUS clients time out scans long before a browser would give up.
const SlowMS = 3000

// CertWarnDays is how early a vDir check's verdict warns of an expiring
// certificate, and the default of the ssl_cert_expiring rule's threshold
// (serve --cert-warning-days, Facts.CertWarningDays). Verdicts are judged
// once, when a check arrives, so theirs stays fixed.
const CertWarnDays = 30

// StatusText renders status.substatus the way IIS logs do ("401.2"), the bare
// status when the substatus is unknown, and "-" when there was no answer.
func (c VDirCheck) StatusText() string {
	if c.Status == 0 {
		return "-"
	}
	if c.Substatus == nil {
		return strconv.Itoa(c.Status)
	}
	return strconv.Itoa(c.Status) + "." + strconv.Itoa(*c.Substatus)
}

// OffersWindowsAuth reports whether the answer offered Negotiate or NTLM,
// as separate headers (IIS) or one combined "Negotiate, NTLM" (proxies).
func (c VDirCheck) OffersWindowsAuth() bool {
	for _, h := range c.WWWAuthenticate {
		for _, part := range strings.Split(h, ",") {
			scheme, _, _ := strings.Cut(strings.TrimSpace(part), " ")
			if strings.EqualFold(scheme, "Negotiate") || strings.EqualFold(scheme, "NTLM") {
				return true
			}
		}
	}
	return false
}

// leavesServer reports whether location points away from the checked URL's
// server (another scheme, host or port).
func leavesServer(checkURL, location string) bool {
	from, err1 := url.Parse(checkURL)
	to, err2 := url.Parse(location)
	if err1 != nil || err2 != nil {
		return true
	}
	if !to.IsAbs() {
		return false
	}
	origin := func(u *url.URL) string {
		port := u.Port()
		if port == "" {
			port = map[string]string{"http": "80", "https": "443"}[strings.ToLower(u.Scheme)]
		}
		return strings.ToLower(u.Scheme + "://" + u.Hostname() + ":" + port)
	}
	return origin(from) != origin(to)
}

func (c VDirCheck) sub() int {
	if c.Substatus == nil {
		return -1
	}
	return *c.Substatus
}

// Judge decides the verdict of one vDir check against DESIGN §7.1–§7.2 and
// says why, in an administrator's words.
func Judge(c VDirCheck, now time.Time) (verdict, reason string) {
	v, known := LookupVDir(c.VDir)
	if !known {
		return VerdictWarning, "not a WSUS vDir"
	}
	if c.ErrorKind != "" || c.Status == 0 {
		return VerdictFault, unreachableReason(c)
	}
	if tlsV, tlsR := judgeTLS(c.TLS, now); tlsV == VerdictFault {
		return tlsV, tlsR
	}
	verdict, reason = judgeStatus(v, c)
	if verdict != VerdictOK {
		return verdict, reason
	}
	if tlsV, tlsR := judgeTLS(c.TLS, now); tlsV != VerdictOK {
		return tlsV, tlsR
	}
	if c.LatencyMS > SlowMS {
		return VerdictWarning, fmt.Sprintf("%s, but slow: %.1f s", reason, c.LatencyMS/1000)
	}
	return verdict, reason
}

// JudgeChecks judges a run of checks (one report, one probe) against
// DESIGN §7.1–§7.2: each on its own, then the extra SelfUpdate check on port
// 80 in the light of the others (see SettleSelfUpdate).
func JudgeChecks(cs []VDirCheck, now time.Time) {
	for i := range cs {
		cs[i].Verdict, cs[i].Reason = Judge(cs[i], now)
	}
	SettleSelfUpdate(cs)
}

// SettleSelfUpdate: clients fetch SelfUpdate on the WSUS port; only legacy
// agents also look on port 80 (the prober's extra check). When SelfUpdate
// answers on one port, a failing check of it on another is a warning about
// those agents, not a fault of the SelfUpdate vDir (the fleet strip shows
// the worst verdict of a vDir).
func SettleSelfUpdate(cs []VDirCheck) {
	served := ""
	for _, c := range cs {
		if c.VDir == "SelfUpdate" && c.Verdict == VerdictOK {
			served = portOf(c.URL)
		}
	}
	if served == "" {
		return
	}
	for i := range cs {
		c := &cs[i]
		if p := portOf(c.URL); c.VDir == "SelfUpdate" && c.Verdict == VerdictFault && p != served && p != "" {
			c.Verdict = VerdictWarning
			c.Reason = clipText("port "+p+": "+c.Reason+"; SelfUpdate answers on the WSUS port ("+served+"), so only legacy clients that look on port "+p+" are affected", 512)
		}
	}
}

// portOf is the port a check URL connects to ("" when it cannot be read).
func portOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "https") {
		return "443"
	}
	return "80"
}

// clipText cuts s to at most n bytes on a rune boundary.
func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

func unreachableReason(c VDirCheck) string {
	detail := ""
	if c.Error != "" {
		detail = ": " + c.Error
	}
	switch c.ErrorKind {
	case ErrorDNS:
		return "host name does not resolve" + detail
	case ErrorConnect:
		return "cannot connect (refused, filtered or down)" + detail
	case ErrorTimeout:
		return "no answer in time" + detail
	case ErrorTLS:
		return "TLS handshake failed" + detail
	case ErrorHTTP:
		return "not a valid HTTP answer" + detail
	}
	return "no HTTP answer" + detail
}

func judgeTLS(t *TLSInfo, now time.Time) (verdict, reason string) {
	switch {
	case t == nil:
		return VerdictOK, ""
	case !t.NotAfter.IsZero() && now.After(t.NotAfter.Time):
		return VerdictFault, "certificate expired on " + t.NotAfter.UTC().Format("2006-01-02")
	case !t.ChainValid:
		return VerdictFault, "certificate not trusted" + prefixed(t.Error)
	case !t.NameMatches:
		return VerdictFault, "certificate does not match the host name"
	case !t.NotAfter.IsZero() && t.NotAfter.Sub(now) < CertWarnDays*24*time.Hour:
		return VerdictWarning, fmt.Sprintf("certificate expires in %d days", int(t.NotAfter.Sub(now).Hours()/24))
	}
	return VerdictOK, ""
}

// CertExpiryWarned reports whether Judge, as of at, warns about c for its
// certificate's coming expiry and nothing else: the rule that owns
// expiring certificates then owns the check's warning too.
func CertExpiryWarned(c VDirCheck, at time.Time) bool {
	v, r := Judge(c, at)
	tv, tr := judgeTLS(c.TLS, at)
	return v == VerdictWarning && tv == VerdictWarning && r == tr
}

func prefixed(s string) string {
	if s == "" {
		return ""
	}
	return ": " + s
}

func judgeStatus(v VDir, c VDirCheck) (verdict, reason string) {
	st, sub := c.Status, c.sub()
	switch {
	case st == 503:
		return VerdictFault, "503 Service Unavailable: WsusPool stopped, recycling or overloaded"
	case st == 500 && sub == 24:
		return VerdictFault, "500.24: ASP.NET impersonation is enabled"
	case st == 500 && v.Name == "ClientWebService" && c.LatencyMS > SlowMS:
		return VerdictFault, fmt.Sprintf("%s after %.1f s: scan storm or catalog bloat (decline superseded updates, run cleanup, reindex SUSDB)", c.StatusText(), c.LatencyMS/1000)
	case st >= 500:
		return VerdictFault, c.StatusText() + ": server error"
	case st == 401:
		return judge401(v, c)
	case st == 403:
		return judge403(v, c)
	case st == 404:
		return VerdictFault, "404 Not Found: the vDir or file is missing"
	}
	if st >= 300 && st < 400 && c.Location != "" && leavesServer(c.URL, c.Location) {
		return VerdictWarning, c.StatusText() + ": redirects to another server: " + c.Location
	}
	if v.WindowsAuth && st >= 200 && st < 300 {
		return VerdictWarning, c.StatusText() + ": answers anonymously; expected 401 (Windows authentication only)"
	}
	if slices.Contains(v.Healthy, st) || (st >= 200 && st < 300 && !v.WindowsAuth) {
		return VerdictOK, c.StatusText() + " as expected"
	}
	if st >= 300 && st < 400 {
		return VerdictWarning, c.StatusText() + ": unexpected redirect"
	}
	if st >= 400 {
		return VerdictFault, c.StatusText() + ": unexpected client error"
	}
	return VerdictWarning, c.StatusText() + ": unexpected answer; expected " + v.Note
}

func judge401(v VDir, c VDirCheck) (verdict, reason string) {
	if v.WindowsAuth {
		if c.OffersWindowsAuth() {
			return VerdictOK, "401 with Negotiate/NTLM as expected"
		}
		return VerdictWarning, c.StatusText() + " without Negotiate/NTLM: Windows authentication looks off"
	}
	switch sub := c.sub(); {
	case sub == 1:
		return VerdictFault, "401.1: IIS cannot log on the anonymous identity"
	case sub == 3:
		return VerdictFault, "401.3: NTFS permissions deny the anonymous identity"
	case sub == 2 || (sub < 0 && c.OffersWindowsAuth()):
		return VerdictFault, "401.2: anonymous authentication is disabled"
	}
	return VerdictFault, c.StatusText() + ": unauthorized on an anonymous vDir"
}

func judge403(v VDir, c VDirCheck) (verdict, reason string) {
	switch sub := c.sub(); {
	case sub == 4 && v.SSLInSSL:
		return VerdictOK, "403.4: requires SSL (expected in SSL mode)"
	case sub == 4:
		return VerdictFault, "403.4: SSL is required on a vDir that must not require it"
	case sub == 7:
		return VerdictFault, "403.7: a client certificate is required"
	case v.Name == "Content" && (sub < 0 || sub == 0 || sub == 14):
		return VerdictOK, c.StatusText() + ": directory listing off, as expected"
	}
	return VerdictFault, c.StatusText() + ": forbidden"
}

package probes

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// Names of servers and computers (every `host`-tagged field, and the {name}
// of the routes that store one) are DNS host names as Windows and WSUS write
// them, or IP addresses. The rule refuses only what cannot be a real Windows
// computer's name, because one bad item rejects a whole request (DESIGN §5)
// and a 100,000-client list refused for one odd but real name is worse than
// storing that name:
//
//   - accepted: upper case, a trailing root dot, a single label (NetBIOS-only
//     names such as CONTOSO, as Get-WsusComputer lists workgroup machines),
//     underscores and labels that begin or end with a hyphen (Windows allows
//     both in computer names; Microsoft DNS serves them), internationalized
//     names in Unicode (Windows registers UTF-8 names in DNS) or as A-labels
//     (xn--…), IPv4 and IPv6 addresses (with a zone, as IIS logs them);
//   - refused: invalid UTF-8, control and bidirectional formatting
//     characters, any other ASCII punctuation or space (so "../..", markup,
//     "javascript:" and URLs are not names), empty labels, labels over 63
//     bytes or names over 253 (as A-labels), what IDNA 2008 (UTS #46, non-
//     transitional, with the Bidi rule) disallows, and a label that mixes
//     scripts (a Cyrillic "а" among Latin letters), except the mixes with
//     Han that Japanese, Chinese and Korean names use (UTS #39's "highly
//     restrictive" level).
//
// Names are stored in NormalizeName's form: lower case, no trailing dot, and
// Unicode (U-labels, NFC), so "Müller-PC", "MÜLLER-PC." and
// "xn--mller-pc-q9a" are one computer, shown as an admin typed it.

// nameProfile maps and checks names: UTS #46 lookup mapping (case folding,
// width, NFC) without the STD3 ASCII rule, the hyphen checks and the length
// checks, which CheckName replaces with the Windows rules above and clearer
// messages.
var nameProfile = idna.New(idna.MapForLookup(), idna.Transitional(false), idna.BidiRule(),
	idna.StrictDomainName(false), idna.CheckHyphens(false))

// NormalizeName is the identity of a server or computer name: names are
// case-insensitive FQDNs, a trailing root dot is not significant, and an
// internationalized name has one form whether it came as Unicode or as
// A-labels. A name that is not valid (only lookups ever see one) is just
// lower-cased.
func NormalizeName(name string) string {
	name = trimName(name)
	if asciiName(name) && !hasACELabel(name) {
		return strings.ToLower(name) // nearly every name: no IDNA work
	}
	if u, err := nameProfile.ToUnicode(name); err == nil {
		return trimName(u)
	}
	return strings.ToLower(name)
}

// trimName drops surrounding space and the root dot(s).
func trimName(name string) string {
	return strings.TrimRightFunc(strings.TrimLeftFunc(name, unicode.IsSpace), func(r rune) bool { return r == '.' || unicode.IsSpace(r) })
}

// CheckName reports why s cannot be the name of a server or computer, or
// nil when it can be.
func CheckName(s string) error {
	if !utf8.ValidString(s) {
		return errors.New("is not valid UTF-8")
	}
	if strings.ContainsAny(s, ":%") { // IPv6 (an IPv4 address is a valid DNS name too)
		if ip, err := netip.ParseAddr(s); err == nil && !strings.ContainsFunc(ip.Zone(), func(r rune) bool { return r >= utf8.RuneSelf || !nameASCII(byte(r)) }) {
			return nil // fe80::1%3, as IIS logs it
		}
	}
	name := strings.TrimSuffix(s, ".")
	ascii := asciiName(name)
	if !ascii {
		if i := strings.IndexFunc(s, isBidiControl); i >= 0 {
			return fmt.Errorf("contains a bidirectional formatting character (%U) at byte %d; a host name cannot", []rune(s[i:])[0], i)
		}
	}
	if err := checkDNSForm(name, s, true, ascii); err != nil {
		return err
	}
	if ascii && !hasACELabel(name) {
		return nil // nearly every name: no IDNA work
	}
	a, err := nameProfile.ToASCII(name)
	if err != nil {
		return fmt.Errorf("is not a valid internationalized host name (%v); got %q", err, clip(s))
	}
	// The mapping turns look-alikes such as a full-width solidus into ASCII:
	// check the A-label form again.
	if err := checkDNSForm(a, s, false, true); err != nil {
		return err
	}
	u, err := nameProfile.ToUnicode(a)
	if err != nil {
		return fmt.Errorf("is not a valid internationalized host name (%v); got %q", err, clip(s))
	}
	for label := range strings.SplitSeq(u, ".") {
		if a, b, mixed := mixedScripts(label); mixed {
			return fmt.Errorf("mixes %s and %s letters in the label %q, as look-alike names do; got %q", a, b, label, clip(s))
		}
	}
	return nil
}

// checkDNSForm checks the ASCII characters, labels and lengths of name in one
// pass; the lengths only when name is ASCII (as typed, or in A-label form).
func checkDNSForm(name, orig string, raw, ascii bool) error {
	label := 0
	for i := range len(name) {
		c := name[i]
		switch {
		case c == '.':
			if label == 0 {
				return fmt.Errorf("must be a host name; %q has an empty label (a leading dot or two dots in a row)", clip(orig))
			}
			label = 0
			continue
		case c < utf8.RuneSelf && !nameASCII(c):
			if raw && c == ' ' {
				return fmt.Errorf("must be a host name without spaces; got %q", clip(orig))
			}
			if raw {
				return fmt.Errorf("must be a host name (letters, digits, hyphens, underscores and dots); got %q with %q at byte %d", clip(orig), c, i)
			}
			return fmt.Errorf("must be a host name (letters, digits, hyphens, underscores and dots); %q holds a character that stands for %q", clip(orig), c)
		}
		if label++; ascii && label > 63 {
			return fmt.Errorf("has a label of more than 63 bytes (as a DNS name); got %q", clip(orig))
		}
	}
	if label == 0 {
		return fmt.Errorf("must be a host name; %q has an empty label (a leading dot or two dots in a row)", clip(orig))
	}
	if ascii && len(name) > 253 {
		return fmt.Errorf("is %d bytes long as a DNS name; at most 253 allowed", len(name))
	}
	return nil
}

// nameASCII is the ASCII a Windows computer's DNS name may hold.
func nameASCII(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.'
}

func asciiName(s string) bool {
	for i := range len(s) {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// hasACELabel reports an A-label (xn--…), which IDNA must decode and check.
func hasACELabel(s string) bool {
	for i := 0; i+4 <= len(s); i++ {
		if (i == 0 || s[i-1] == '.') && (s[i] == 'x' || s[i] == 'X') && (s[i+1] == 'n' || s[i+1] == 'N') && s[i+2] == '-' && s[i+3] == '-' {
			return true
		}
	}
	return false
}

// isBidiControl reports the formatting characters that reorder text (the
// "Trojan Source" characters): a name holding one displays as another.
func isBidiControl(r rune) bool {
	return r == '\u061c' || r == '\u200e' || r == '\u200f' || ('\u202a' <= r && r <= '\u202e') || ('\u2066' <= r && r <= '\u2069')
}

// cjk are the scripts a Japanese, Chinese or Korean name may mix with Han
// (and Latin): UTS #39's highly restrictive level.
var cjk = map[string]bool{"Han": true, "Hiragana": true, "Katakana": true, "Bopomofo": true, "Hangul": true}

// mixedScripts reports two scripts a label's letters mix, ignoring Common
// and Inherited characters (digits, hyphens, combining marks).
func mixedScripts(label string) (a, b string, mixed bool) {
	seen := map[string]bool{}
	for _, r := range label {
		if r < utf8.RuneSelf {
			if unicode.IsLetter(r) {
				seen["Latin"] = true
			}
			continue
		}
		if s := scriptOf(r); s != "" {
			seen[s] = true
		}
	}
	if len(seen) < 2 {
		return "", "", false
	}
	var names []string
	for s := range seen {
		names = append(names, s)
	}
	if allowedMix(seen) {
		return "", "", false
	}
	// Name the pair in a stable order for the message.
	for _, s := range names {
		if s == "Latin" {
			for _, o := range names {
				if o != s {
					return s, o, true
				}
			}
		}
	}
	if names[0] > names[1] {
		names[0], names[1] = names[1], names[0]
	}
	return names[0], names[1], true
}

// allowedMix accepts Latin with Han and the scripts written with it:
// Han+Hiragana+Katakana (Japanese), Han+Bopomofo (Chinese), Han+Hangul
// (Korean), each optionally with Latin.
func allowedMix(seen map[string]bool) bool {
	var other []string
	for s := range seen {
		if s != "Latin" && !cjk[s] {
			return false
		}
		if cjk[s] && s != "Han" {
			other = append(other, s)
		}
	}
	switch {
	case len(other) == 0:
		return seen["Han"] // Latin+Han; a lone script never gets here
	case len(other) == 1:
		return true // Han (or not) with one of Hiragana, Katakana, Bopomofo, Hangul
	case len(other) == 2:
		return seen["Hiragana"] && seen["Katakana"] // Japanese
	}
	return false
}

// scriptOf names the script of a letter or mark; "" for Common and
// Inherited characters, which belong to every script.
func scriptOf(r rune) string {
	if unicode.Is(unicode.Common, r) || unicode.Is(unicode.Inherited, r) {
		return ""
	}
	for name, table := range unicode.Scripts {
		if unicode.Is(table, r) {
			return name
		}
	}
	return ""
}

// clip bounds a value quoted in a message.
func clip(s string) string {
	if len(s) <= 80 {
		return s
	}
	cut := 80
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

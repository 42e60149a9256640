package eventtext

import (
	"html"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// viewerLabels are Event Viewer's and wevtutil's field labels, in the
// languages Windows Server ships most, to one key each.
var viewerLabels = map[string]string{
	"log name": "logname", "source": "source", "date": "date", "event id": "id", "task category": "task", "task": "task",
	"level": "level", "keywords": "keywords", "keyword": "keywords", "user": "user", "user name": "username", "computer": "computer",
	"description": "description", "opcode": "opcode", "event xml": "xml",
	// Deutsch
	"protokollname": "logname", "quelle": "source", "datum": "date", "ereignis-id": "id", "aufgabenkategorie": "task", "ebene": "level",
	"schlüsselwörter": "keywords", "benutzer": "user", "beschreibung": "description", "ereignis-xml": "xml", "vorgangscode": "opcode",
	// Français
	"nom du journal": "logname", "id de l'événement": "id", "id de l'évènement": "id", "catégorie de la tâche": "task", "niveau": "level",
	"mots-clés": "keywords", "utilisateur": "user", "ordinateur": "computer", "xml de l'événement": "xml",
	// Español
	"nombre de registro": "logname", "origen": "source", "fecha": "date", "id. del evento": "id", "categoría de la tarea": "task",
	"nivel": "level", "palabras clave": "keywords", "usuario": "user", "equipo": "computer", "descripción": "description", "xml de evento": "xml",
}

// englishLabels are the labels of viewerLabels in English, whose dates
// follow the machine's culture either way.
var englishLabels = map[string]bool{"log name": true, "source": true, "date": true, "event id": true, "task category": true, "task": true,
	"level": true, "keywords": true, "keyword": true, "user": true, "user name": true, "computer": true, "description": true, "opcode": true,
	"event xml": true}

// psLabels are the property names Get-WinEvent and Get-EventLog print
// (PowerShell does not translate them); "" marks ones not read.
var psLabels = map[string]string{
	"TimeCreated": "date", "ProviderName": "source", "Id": "id", "Message": "message", "LevelDisplayName": "leveldisplayname",
	"Level": "level", "LogName": "logname", "MachineName": "computer", "RecordId": "", "TaskDisplayName": "task",
	"KeywordsDisplayNames": "", "UserId": "", "ContainerLog": "", "ProviderId": "", "Version": "", "Qualifiers": "", "Task": "",
	"Opcode": "", "Keywords": "", "ProcessId": "", "ThreadId": "", "ActivityId": "", "RelatedActivityId": "", "MatchedQueryIds": "",
	"Bookmark": "", "OpcodeDisplayName": "", "Properties": "",
	// Get-EventLog
	"Index": "", "EntryType": "entrytype", "InstanceId": "instanceid", "EventID": "eventid", "Category": "", "CategoryNumber": "",
	"ReplacementStrings": "", "Source": "source", "TimeGenerated": "date", "TimeWritten": "", "UserName": "", "Data": "", "Container": "", "Site": "",
}

// labelRe is "Label: value", "Label : value" or PowerShell's padded
// "Label        : value".
var labelRe = regexp.MustCompile(`^\s*([^:]{1,40}?)\s*:\s*(.*)$`)

// label recognises a field line: its key ("ps:name" for a PowerShell
// property that is not read but belongs to the record), and ps when the
// name is PowerShell's (TimeCreated, ProviderName, Id, …), not a label of
// Event Viewer's or wevtutil's.
func (p *parser) label(text string) (key, value string, ps, ok bool) {
	m := labelRe.FindStringSubmatch(text)
	if m == nil {
		return "", "", false, false
	}
	name := strings.NewReplacer("’", "'", "`", "'").Replace(strings.TrimSpace(m[1]))
	vk, viewer := viewerLabels[strings.ToLower(name)]
	if k, ok := psLabels[name]; ok && !(viewer && strings.Contains(text, name+":")) {
		if k == "" {
			k = "ps:" + strings.ToLower(name)
		}
		return k, m[2], true, true
	}
	if viewer {
		if _, en := englishLabels[strings.ToLower(name)]; !en {
			p.dayFirst = true // French, German and Spanish Windows write dates day first
		}
		return vk, m[2], false, true
	}
	return "", "", false, false
}

var (
	xmlTime     = regexp.MustCompile(`<TimeCreated SystemTime=["']([^"']+)["']`)
	xmlID       = regexp.MustCompile(`<EventID[^>]*>(\d+)</EventID>`)
	xmlProvider = regexp.MustCompile(`<Provider Name=["']([^"']+)["']`)
	xmlLevel    = regexp.MustCompile(`<Level>(\d)</Level>`)
)

// xmlLine reads the facts of an event's XML: the time in UTC, the ID, the
// provider, the level, and for XML on its own the message (RenderingInfo's
// Message, else the EventData's Data).
func (p *parser) xmlLine(s string) {
	c := p.cur
	if c.format == FormatXML {
		p.xmlMessage(s)
	}
	if m := xmlTime.FindStringSubmatch(s); m != nil {
		if t, err := time.Parse(time.RFC3339Nano, m[1]); err == nil {
			u := t.UTC()
			c.utc = &u
		}
	}
	if m := xmlID.FindStringSubmatch(s); m != nil && c.fields["id"] == "" {
		c.fields["id"] = m[1]
	}
	if m := xmlProvider.FindStringSubmatch(s); m != nil && c.fields["source"] == "" {
		c.fields["source"] = m[1]
	}
	if m := xmlLevel.FindStringSubmatch(s); m != nil && c.fields["level"] == "" {
		c.fields["level"] = m[1]
	}
}

// providerHeader is the "   ProviderName: X" line Get-WinEvent prints
// above each group of its table.
func providerHeader(trim string) string {
	if v, ok := strings.CutPrefix(trim, "ProviderName: "); ok && !strings.Contains(trim, " : ") {
		return strings.TrimSpace(v)
	}
	return ""
}

// level names a level in the event schema's words, from any language or a
// number; "" when unknown.
func level(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "error", "fehler", "erreur", "2":
		return "Error"
	case "warning", "warnung", "avertissement", "advertencia", "3":
		return "Warning"
	case "information", "informationen", "informations", "información", "informacion", "4", "0", "successaudit", "failureaudit":
		return "Information"
	case "critical", "kritisch", "critique", "crítico", "critico", "1":
		return "Critical"
	case "verbose", "ausführlich", "détaillé", "detallado", "5":
		return "Verbose"
	}
	return ""
}

// knownLevels are the levels of the events the rules read, for pastes that
// leave the level out (the compact "Log Name / Source / Event ID" layout).
var knownLevels = map[string]map[int]string{
	"windows server update services": {
		12002: "Error", 12012: "Error", 12022: "Error", 12032: "Error", 12042: "Error", 12052: "Error", 12072: "Error", 13042: "Error",
		12001: "Information", 12011: "Information", 12021: "Information", 12031: "Information", 12041: "Information", 12051: "Information", 12071: "Information",
		364: "Error", 506: "Error", 507: "Error", 7053: "Error",
	},
	"microsoft-windows-was": {5002: "Error", 5009: "Warning", 5010: "Warning", 5011: "Warning", 5074: "Information", 5077: "Information", 5186: "Information"},
	"was":                   {5002: "Error", 5009: "Warning", 5010: "Warning", 5011: "Warning", 5074: "Information", 5077: "Information", 5186: "Information"},
}

func knownLevel(source string, id int) string {
	return knownLevels[strings.ToLower(source)][id]
}

// knownSources complete the names Get-EventLog's table cuts ("Windows Server Upd...").
var knownSources = []string{"Windows Server Update Services", "Microsoft-Windows-WAS", "Microsoft-Windows-IIS-W3SVC-WP", "Microsoft-Windows-IIS-W3SVC",
	"Service Control Manager", "MSSQL$MICROSOFT##WID", "ASP.NET 4.0.30319.0", "SMS Server"}

func expandSource(s string) string {
	s = strings.TrimSpace(s)
	cut, ok := strings.CutSuffix(s, "...")
	if !ok {
		cut, ok = strings.CutSuffix(s, "…")
	}
	if !ok {
		return s
	}
	for _, k := range knownSources {
		if strings.HasPrefix(strings.ToLower(k), strings.ToLower(cut)) {
			return k
		}
	}
	return s
}

// month names of Get-EventLog's table (en-US; other cultures print their own).
var months = map[string]time.Month{"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12}

func isNumber(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil
}

// IsField reports whether text is a field line of event text (Event
// Viewer's or wevtutil's labels, or Get-WinEvent's property names), and
// names the field: what content sniffing looks for.
func IsField(text string) (string, bool) {
	var p parser
	k, _, _, ok := p.label(text)
	if strings.HasPrefix(text, "Event[") && strings.HasSuffix(strings.TrimSpace(text), "]:") {
		return "eventindex", true
	}
	return k, ok
}

var (
	xmlMessageOpen = regexp.MustCompile(`<(Message|Data)(\s[^>]*)?>`)
)

// xmlMessage collects the message of an event given as XML alone, over
// lines when it spans them.
func (p *parser) xmlMessage(s string) {
	c := p.cur
	for s != "" {
		if c.xmlText != "" {
			end := "</" + c.xmlText + ">"
			before, after, closed := strings.Cut(s, end)
			if c.xmlRendered || len(c.message) < 400 {
				c.message = append(c.message, strings.TrimRight(strings.ReplaceAll(html.UnescapeString(before), "\r", ""), " "))
			}
			if !closed {
				return
			}
			if c.xmlText == "Message" {
				c.xmlRendered = true
			}
			c.xmlText, s = "", after
			continue
		}
		loc := xmlMessageOpen.FindStringSubmatchIndex(s)
		if loc == nil {
			return
		}
		tag := s[loc[2]:loc[3]]
		if tag == "Message" && !c.xmlRendered {
			c.message = nil // the rendered message replaces the data gathered so far
		} else if tag == "Data" && (c.xmlRendered || len(c.message) > 0) {
			s = s[loc[1]:]
			continue // only the first Data, and none once rendered
		}
		c.xmlText, s = tag, s[loc[1]:]
	}
}

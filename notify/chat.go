package notify

import (
	"encoding/json"
	"strings"

	"github.com/wsusfleet/wsusfleet/probes"
)

// teamsBody renders an Adaptive Card wrapped as a message: the form both
// Teams incoming webhooks and Workflows ("When a Teams webhook request is
// received") accept.
func teamsBody(n probes.Notification) ([]byte, error) {
	style, _ := severityColor(n)
	lines := textLines(n)
	body := []map[string]any{
		{"type": "TextBlock", "text": n.Headline(), "weight": "Bolder", "size": "Medium", "wrap": true, "color": style},
	}
	if n.Summary != "" {
		body = append(body, map[string]any{"type": "TextBlock", "text": n.Summary, "wrap": true})
	}
	facts := []map[string]string{{"title": "Server", "value": orFleet(n.Server)}, {"title": "Severity", "value": n.Severity}, {"title": "Rule", "value": n.Rule}}
	if n.Subject != "" {
		facts = append(facts, map[string]string{"title": "Subject", "value": n.Subject})
	}
	body = append(body, map[string]any{"type": "FactSet", "facts": facts})
	if line := n.ExplainsLine(); line != "" {
		body = append(body, map[string]any{"type": "TextBlock", "text": line, "wrap": true, "weight": "Bolder"})
	}
	if n.Event != probes.EventResolved {
		for _, e := range n.Evidence {
			body = append(body, map[string]any{"type": "TextBlock", "text": "• " + evidenceLine(e), "wrap": true, "spacing": "Small"})
		}
		if n.Fix.Text != "" {
			body = append(body, map[string]any{"type": "TextBlock", "text": "First step: " + n.Fix.Text, "wrap": true, "weight": "Bolder"})
			if n.Fix.Command != "" {
				body = append(body, map[string]any{"type": "TextBlock", "text": n.Fix.Command, "wrap": true, "fontType": "Monospace"})
			}
		}
	}
	body = append(body, map[string]any{"type": "TextBlock", "text": lines[len(lines)-1], "isSubtle": true, "size": "Small", "wrap": true})
	card := map[string]any{
		"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard", "version": "1.4",
		"msteams": map[string]any{"width": "Full"}, "body": body,
	}
	if strings.HasPrefix(n.URL, "http") {
		card["actions"] = []map[string]any{{"type": "Action.OpenUrl", "title": "Open in wsusfleet", "url": n.URL}}
	}
	return json.Marshal(map[string]any{
		"type": "message",
		"attachments": []map[string]any{{
			"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": nil, "content": card,
		}},
	})
}

// slackBody renders Block Kit for a Slack incoming webhook; text is the
// fallback shown in notifications.
func slackBody(n probes.Notification) ([]byte, error) {
	_, color := severityColor(n)
	blocks := []map[string]any{
		{"type": "header", "text": map[string]any{"type": "plain_text", "text": clip(n.Headline(), 150), "emoji": false}},
	}
	fields := []map[string]any{
		mrkdwn("*Server*\n" + slackEscape(orFleet(n.Server))), mrkdwn("*Severity*\n" + n.Severity), mrkdwn("*Rule*\n`" + slackEscape(n.Rule) + "`"),
	}
	if n.Subject != "" {
		fields = append(fields, mrkdwn("*Subject*\n"+slackEscape(n.Subject)))
	}
	blocks = append(blocks, map[string]any{"type": "section", "fields": fields})
	var text []string
	if n.Summary != "" {
		text = append(text, slackEscape(n.Summary))
	}
	if line := n.ExplainsLine(); line != "" {
		text = append(text, "*"+slackEscape(line)+"*")
	}
	if n.Event != probes.EventResolved {
		for _, e := range n.Evidence {
			text = append(text, "• "+slackEscape(evidenceLine(e)))
		}
		if n.Fix.Text != "" {
			text = append(text, "*First step:* "+slackEscape(n.Fix.Text))
			if n.Fix.Command != "" {
				text = append(text, "```"+strings.ReplaceAll(slackEscape(n.Fix.Command), "```", "'''")+"```")
			}
		}
	}
	if len(text) > 0 {
		blocks = append(blocks, map[string]any{"type": "section", "text": mrkdwn(clip(strings.Join(text, "\n"), 3000))})
	}
	if strings.HasPrefix(n.URL, "http") {
		blocks = append(blocks, map[string]any{"type": "actions", "elements": []map[string]any{{
			"type": "button", "text": map[string]any{"type": "plain_text", "text": "Open in wsusfleet"}, "url": n.URL,
		}}})
	}
	lines := textLines(n)
	blocks = append(blocks, map[string]any{"type": "context", "elements": []map[string]any{mrkdwn(slackEscape(lines[len(lines)-1]))}})
	return json.Marshal(map[string]any{
		"text":        n.Headline(),
		"blocks":      blocks,
		"attachments": []map[string]any{{"color": color, "fallback": n.Headline()}},
	})
}

func mrkdwn(s string) map[string]any { return map[string]any{"type": "mrkdwn", "text": s} }

// slackEscape escapes the three characters Slack's mrkdwn reserves: text
// from a report must never become a link or a mention.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	r := []rune(s)
	for len(string(r)) > n-1 {
		r = r[:len(r)-1]
	}
	return string(r) + "…"
}

func orFleet(server string) string {
	if server == "" {
		return "(fleet-wide)"
	}
	return server
}

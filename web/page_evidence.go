package web

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/a-h/templ"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/evidence"
	"github.com/wsusfleet/wsusfleet/web/ui"
)

// Bounds of the paste form: pasted text is read whole; a chosen file
// streams through its parser like an API upload.
const (
	maxPastedText = 16 << 20
	keepPasted    = 256 << 10 // text shown again after a refusal
)

// requirePageIngest guards the paste forms: a signed-in session whose token
// may ingest (an ingest or admin token).
func (a *app) requirePageIngest(next http.Handler) http.Handler {
	return a.requirePageScope(probes.ScopeIngest, next)
}

// evidenceForm is the "Add evidence" form of a server or client page.
func (a *app) evidenceForm(r *http.Request, side, name string) ui.EvidenceForm {
	s := sessionOf(r)
	base, flag, kinds := "/servers/", "--server", evidence.Kinds()
	if side == evidence.SideClient {
		base, flag, kinds = "/clients/", "--client", evidence.ClientKinds()
	}
	f := ui.EvidenceForm{ID: "add-evidence", Action: templ.SafeURL(base + url.PathEscape(name) + "/evidence"), Allowed: s.allows(probes.ScopeIngest)}
	if f.Allowed {
		f.CSRF = s.csrf()
	} else if s == nil {
		f.SignIn = templ.SafeURL("/signin?next=" + url.QueryEscape(base+url.PathEscape(name)+"#add-evidence"))
	}
	// auto first: the form's default.
	f.Kinds = append(f.Kinds, ui.Option{Value: evidence.Auto, Label: "detect from the content", Selected: true})
	for _, k := range kinds {
		if k.Name != evidence.Auto {
			f.Kinds = append(f.Kinds, ui.Option{Value: k.Name, Label: k.Name + ": " + k.Description})
		}
	}
	scheme := "http"
	if a.secure(r) {
		scheme = "https"
	}
	file := `.\SoftwareDistribution.log`
	if side == evidence.SideClient {
		file = `.\WindowsUpdate.log`
	}
	f.Upload = ui.Command{ID: "evidence-upload", Text: fmt.Sprintf("$env:WSUSFLEET_TOKEN = Read-Host 'Ingest token'; wsusfleet upload --dashboard %s %s %s %s",
		psQuote(scheme+"://"+r.Host), flag, psQuote(name), file)}
	return f
}

// psQuote quotes a value for PowerShell: single quotes, doubled inside.
func psQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// pastedForm is what the paste form sent: its fields, and the evidence —
// the pasted text, or the chosen file streaming.
type pastedForm struct {
	kind, offset string
	text         []byte
	fileName     string
}

// readEvidenceForm reads the form in the order a browser sends it (csrf,
// kind, utc_offset, text, file) and calls use with the evidence: the text
// when some was pasted, else the file's part as it streams. The CSRF token
// is checked before any evidence is read.
func (a *app) readEvidenceForm(w http.ResponseWriter, r *http.Request, use func(f *pastedForm, body io.Reader) error) (*pastedForm, error) {
	r.Body = http.MaxBytesReader(w, r.Body, a.cfg.MaxEvidenceBytes)
	f := &pastedForm{}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		if err := r.ParseForm(); err != nil {
			return f, errStatus(http.StatusBadRequest, "the form could not be read: %v", err)
		}
		if err := a.checkCSRF(r, sessionOf(r)); err != nil {
			return f, err
		}
		f.kind, f.offset, f.text = r.PostFormValue("kind"), r.PostFormValue("utc_offset"), []byte(r.PostFormValue("text"))
		return f, a.usePasted(f, use)
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return f, errStatus(http.StatusBadRequest, "the form could not be read: %v", err)
	}
	csrf, checked, used := "", false, false
	check := func() error {
		if checked {
			return nil
		}
		checked = true
		r.PostForm = url.Values{"csrf": {csrf}} // what checkCSRF reads
		return a.checkCSRF(r, sessionOf(r))
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return f, bodyError(err)
		}
		field := part.FormName()
		switch field {
		case "csrf", "kind", "utc_offset":
			b, err := io.ReadAll(io.LimitReader(part, 1024))
			if err != nil {
				return f, bodyError(err)
			}
			switch field {
			case "csrf":
				csrf = string(b)
			case "kind":
				f.kind = string(b)
			default:
				f.offset = strings.TrimSpace(string(b))
			}
		case "text":
			if err := check(); err != nil {
				return f, err
			}
			b, err := io.ReadAll(io.LimitReader(part, maxPastedText+1))
			if err != nil {
				return f, bodyError(err)
			}
			if len(b) > maxPastedText {
				return f, errStatus(http.StatusRequestEntityTooLarge, "the pasted text is larger than %d MiB: choose the file instead", maxPastedText>>20)
			}
			f.text = b
		case "file":
			if err := check(); err != nil {
				return f, err
			}
			if used || len(bytes.TrimSpace(f.text)) > 0 || part.FileName() == "" {
				io.Copy(io.Discard, part) // the pasted text wins
				continue
			}
			used, f.fileName = true, part.FileName()
			if err := use(f, part); err != nil {
				return f, err
			}
		}
		part.Close()
	}
	if err := check(); err != nil {
		return f, err
	}
	if used {
		return f, nil
	}
	return f, a.usePasted(f, use)
}

func (a *app) usePasted(f *pastedForm, use func(f *pastedForm, body io.Reader) error) error {
	if len(bytes.TrimSpace(f.text)) == 0 {
		return &probes.ValidationError{Syntax: true, Errors: []probes.FieldError{{Parameter: "text", Detail: "nothing was pasted and no file was chosen"}}}
	}
	return use(f, bytes.NewReader(f.text))
}

// formOptions reads the form's kind and offset as an upload's query.
func formOptions(f *pastedForm, lookup func(string) (evidence.Kind, error)) (evidence.Kind, evidence.Options, error) {
	name := f.kind
	if name == "" {
		name = evidence.Auto
	}
	k, err := lookup(name)
	if err != nil {
		return k, evidence.Options{}, err
	}
	q := url.Values{}
	if f.offset != "" {
		q.Set("utc_offset", f.offset)
	}
	if f.fileName != "" {
		q.Set("file", fileBase(f.fileName))
	}
	o, err := k.Options(q)
	return k, o, err
}

// fileBase is a browser's file name without any path it sent.
func fileBase(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	if len(name) > 255 {
		name = name[:255]
	}
	return strings.ToValidUTF8(name, "")
}

// refusalText is what the form says of evidence it did not store: the
// problems a user can act on, never internal error text.
func refusalText(err error) (string, []string, bool) {
	var ve *probes.ValidationError
	var he *httpError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &ve):
		var lines []string
		for _, fe := range ve.Errors {
			lines = append(lines, fe.String())
		}
		return lines[0], lines[1:], true
	case errors.As(err, &mbe):
		return fmt.Sprintf("the file is larger than the limit of %d bytes", mbe.Limit), nil, true
	case errors.As(err, &he) && he.status < 500 && he.status != http.StatusForbidden && he.status != http.StatusUnauthorized:
		return he.detail, nil, true
	case errors.Is(err, probes.ErrNotFound):
		return err.Error(), nil, true
	}
	return "", nil, false
}

// pasteClientEvidence is POST /clients/{name}/evidence: the client page's
// form. It answers the client page with what was understood and changed,
// or with the refusal and the text kept.
func (a *app) pasteClientEvidence(w http.ResponseWriter, r *http.Request) error {
	name, err := clientName(r)
	if err != nil {
		return err
	}
	var before string
	if d, err := a.store.ClientDetail(r.Context(), name); err == nil && d.Gap != nil {
		before = d.Gap.Category
	}
	var saved probes.ClientEvidence
	var replay bool
	f, err := a.readEvidenceForm(w, r, func(f *pastedForm, body io.Reader) error {
		k, o, err := formOptions(f, evidence.LookupClient)
		if err != nil {
			return err
		}
		saved, replay, err = a.saveClientEvidence(r, name, k, o, body)
		return err
	})
	status := createdOr(replay)
	var result *ui.EvidenceResult
	var refusal string
	var more []string
	if err != nil {
		var ok bool
		if refusal, more, ok = refusalText(err); !ok {
			return err
		}
		status = http.StatusUnprocessableEntity
	} else {
		result = &ui.EvidenceResult{Kind: saved.Kind, Replay: replay, Understood: evidence.UnderstoodClient(saved), Changed: saved.Changed}
		if !replay && saved.Gap != before {
			result.Changed = append(result.Changed, "gap: "+orNone(before)+" → "+orNone(saved.Gap))
		}
	}
	v, pageStatus, err := a.clientPageView(r, name)
	if err != nil {
		return err
	}
	if refusal != "" {
		v.Form.Error, v.Form.Lines, v.Form.Offset = refusal, more, f.offset
		if len(f.text) <= keepPasted {
			v.Form.Text = string(f.text)
		}
		if pageStatus == http.StatusNotFound {
			status = pageStatus
		}
	}
	v.Result = result
	return a.render(w, r, status, ui.ClientPage(v))
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// pasteServerEvidence is POST /servers/{name}/evidence: the server page's
// form. It answers with what was understood and which findings it opened
// or resolved.
func (a *app) pasteServerEvidence(w http.ResponseWriter, r *http.Request) error {
	name, err := serverName(r)
	if err != nil {
		return err
	}
	name = probes.NormalizeName(name)
	before, err := a.openFindings(r, name)
	if err != nil {
		return err
	}
	var result *ui.EvidenceResult
	f, err := a.readEvidenceForm(w, r, func(f *pastedForm, body io.Reader) error {
		k, o, err := formOptions(f, evidence.Lookup)
		if err != nil {
			return err
		}
		saved, err := a.saveServerEvidence(r.Context(), name, k, o, body)
		if err != nil {
			return err
		}
		result = &ui.EvidenceResult{Kind: saved.Kind, Replay: saved.Replay, Understood: evidence.Understood(saved.Kind, saved.Summary)}
		return nil
	})
	v := ui.EvidencePage{Layout: a.layout(r, "Evidence for "+name, ui.NavFleet), Server: name, ServerHref: serverHref(name),
		Form: a.evidenceForm(r, evidence.SideServer, name)}
	status := http.StatusCreated
	if err != nil {
		refusal, more, ok := refusalText(err)
		if !ok {
			return err
		}
		v.Form.Error, v.Form.Lines, v.Form.Offset, status = refusal, more, f.offset, http.StatusUnprocessableEntity
		if len(f.text) <= keepPasted {
			v.Form.Text = string(f.text)
		}
		return a.render(w, r, status, ui.EvidenceResultPage(v))
	}
	after, err := a.openFindings(r, name)
	if err != nil {
		return err
	}
	for key, title := range after {
		if _, ok := before[key]; !ok {
			result.Changed = append(result.Changed, "new finding: "+title)
		}
	}
	for key, title := range before {
		if _, ok := after[key]; !ok {
			result.Changed = append(result.Changed, "resolved: "+title)
		}
	}
	if result.Replay {
		status = http.StatusOK
	}
	v.Result = result
	return a.render(w, r, status, ui.EvidenceResultPage(v))
}

// openFindings are a server's open findings by rule and subject.
func (a *app) openFindings(r *http.Request, server string) (map[string]string, error) {
	fs, err := a.store.Findings(r.Context(), probes.FindingQuery{Server: server})
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, f := range fs {
		title := f.Title
		if f.Subject != "" {
			title += " (" + f.Subject + ")"
		}
		out[f.Rule+"\x00"+f.Subject] = title
	}
	return out, nil
}

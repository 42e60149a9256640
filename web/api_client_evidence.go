package web

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"strings"
	"unicode"

	"github.com/go-chi/chi/v5"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/evidence"
)

// clientName is the client of a /clients/{name} path, checked as report
// names are (a host name of at most 253 bytes).
func clientName(r *http.Request) (string, error) {
	name, err := url.PathUnescape(chi.URLParam(r, "name"))
	if err != nil || name == "" {
		return "", errStatus(http.StatusBadRequest, "the client name in the path is not valid")
	}
	if len(name) > 253 || strings.ContainsFunc(name, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || r == '/' || r == '\\' }) {
		return "", errStatus(http.StatusBadRequest, "the client name in the path is not a host name: %.80q", name)
	}
	return probes.NormalizeName(name), nil
}

// postClientEvidence stores evidence about one client (POST
// /api/v1/clients/{name}/evidence/{kind}): its registry policy or its
// WindowsUpdate.log, streamed through its parser. The answer is what was
// understood and what it changed; the same content for the same client
// again answers 200 with the stored answer.
func (a *app) postClientEvidence(w http.ResponseWriter, r *http.Request) error {
	name, err := clientName(r)
	if err != nil {
		return err
	}
	kind, opts, body, err := a.evidenceUpload(w, r, evidence.LookupClient)
	if err != nil {
		return err
	}
	defer body.Close()
	ev, replay, err := a.saveClientEvidence(r, name, kind, opts, body)
	if err != nil {
		return err
	}
	return writeJSON(w, createdOr(replay), ev)
}

// saveClientEvidence parses, validates and stores client evidence; the
// dashboard's paste form shares it with the API.
func (a *app) saveClientEvidence(r *http.Request, name string, kind evidence.Kind, opts evidence.Options, body io.Reader) (probes.ClientEvidence, bool, error) {
	hash := sha256.New()
	parsed, err := kind.Parse(io.TeeReader(body, hash), opts, a.now())
	if err != nil {
		return probes.ClientEvidence{}, false, evidenceError(err)
	}
	if _, err := io.Copy(hash, body); err != nil {
		return probes.ClientEvidence{}, false, bodyError(err)
	}
	digest := hex.EncodeToString(hash.Sum(nil))
	// Idempotent per client and content: the id is of both.
	id := sha256.Sum256([]byte(name + "\x00" + digest))
	ev := parsed.Client
	ev.ID, ev.Client = "evidence-"+parsed.Kind+"-"+hex.EncodeToString(id[:24]), name
	if host, _, _ := strings.Cut(ev.Machine, "."); host != "" && !strings.EqualFold(host, strings.SplitN(name, ".", 2)[0]) {
		ev.Notes = append(ev.Notes, "the text names the computer "+ev.Machine+", not "+name+": check it was sent for the right client")
	}
	if err := ev.Validate(a.now()); err != nil {
		return probes.ClientEvidence{}, false, err
	}
	return a.store.SaveClientEvidence(r.Context(), ev, digest)
}

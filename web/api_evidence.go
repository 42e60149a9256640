package web

import (
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/evidence"
)

// postEvidence stores a raw evidence file: it streams through its parser
// (never held in memory whole), becomes report sections, and is saved by the
// one ingest path (saveServerEvidence).
func (a *app) postEvidence(w http.ResponseWriter, r *http.Request) error {
	name, err := newServerName(r)
	if err != nil {
		return err
	}
	kind, opts, body, err := a.evidenceUpload(w, r, evidence.Lookup)
	if err != nil {
		return err
	}
	defer body.Close()
	saved, err := a.saveServerEvidence(r.Context(), name, kind, opts, body)
	if err != nil {
		return err
	}
	answer, err := evidenceAnswer(saved.Receipt, saved.Kind, saved.Summary)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if saved.Replay {
		status = http.StatusOK
	}
	return writeJSON(w, status, answer)
}

// evidenceUpload reads what an evidence upload gives besides the server or
// client in its path: its kind (lookup: the server kinds or the client
// kinds), that kind's options from the query, and the body, bounded.
func (a *app) evidenceUpload(w http.ResponseWriter, r *http.Request, lookup func(string) (evidence.Kind, error)) (evidence.Kind, evidence.Options, io.ReadCloser, error) {
	kind, err := lookup(chi.URLParam(r, "kind"))
	if err != nil {
		return kind, evidence.Options{}, nil, err
	}
	q, err := query(r)
	if err != nil {
		return kind, evidence.Options{}, nil, err
	}
	opts, err := kind.Options(q)
	if err != nil {
		return kind, opts, nil, err
	}
	body, err := bodyReader(w, r, a.cfg.MaxEvidenceBytes)
	if err != nil {
		return kind, opts, nil, err
	}
	return kind, opts, &requestBody{ReadCloser: body, paced: pacedBodyOf(r)}, nil
}

// requestBody is an evidence upload's body: saveServerEvidence may abandon
// the rest of it (a pasted form's file is not one: the form may go on).
type requestBody struct {
	io.ReadCloser
	paced *pacedBody
}

func (b *requestBody) abandon() {
	if b.paced != nil {
		b.paced.abandon()
	}
}

// savedEvidence is what became of an evidence file.
type savedEvidence struct {
	Kind    string // what it was read as (for auto, the kind detected)
	Summary any    // what the parser found, for the answer
	Receipt probes.Receipt
	Replay  bool // this very file was stored for this server before
}

// saveServerEvidence reads a server evidence file through its parser,
// hashing all of it, and saves it for the server by the one ingest path,
// for the API and the Add evidence form alike. Its server and content hash
// are its document id: the same file again for the same server, uploaded
// or pasted, is stored once, while the same file for another server (cloned
// builds share configs) is stored for that one.
func (a *app) saveServerEvidence(ctx context.Context, name string, kind evidence.Kind, opts evidence.Options, body io.Reader) (savedEvidence, error) {
	hash := sha256.New()
	// The body is read, decompressed and hashed on a goroutine of its own
	// while the parser reads it; a refusal abandons the rest of it.
	var abandon func()
	if rb, ok := body.(*requestBody); ok {
		abandon = rb.abandon
	}
	ahead := readAhead(body, hash, abandon)
	defer ahead.Close()
	parsed, err := kind.Parse(ahead, opts, a.now())
	if err != nil {
		return savedEvidence{}, evidenceError(err)
	}
	if _, err := io.Copy(io.Discard, ahead); err != nil { // what the parser did not need still identifies the file
		return savedEvidence{}, bodyError(err)
	}
	digest := hex.EncodeToString(hash.Sum(nil))
	rep := parsed.Report
	rep.Schema, rep.ID = probes.SchemaReport, evidenceID(parsed.Kind, name, digest) // auto: the kind it was read as
	rep.Collector = probes.Collector{Name: "upload " + parsed.Kind, Version: a.cfg.Version, Vantage: probes.VantageServer}
	rep.Server = probes.ServerInfo{Name: name}
	if rep.CollectedAt.IsZero() {
		rep.CollectedAt = probes.TimeOf(a.now())
	}
	if rep.IISLog != nil && rep.IISLog.File == "" {
		rep.IISLog.File = "sha256-" + digest[:16]
	}
	if err := rep.Validate(a.now()); err != nil {
		return savedEvidence{}, err
	}
	receipt, replay, err := a.store.SaveReport(ctx, rep, digest)
	if err != nil {
		return savedEvidence{}, err
	}
	return savedEvidence{Kind: parsed.Kind, Summary: parsed.Summary, Receipt: receipt, Replay: replay}, nil
}

// evidenceID names an upload by its kind, server and content.
func evidenceID(kind, server, digest string) string {
	return "evidence-" + kind + "-" + probes.Digest([]byte(probes.NormalizeName(server) + "\n" + digest))[:48]
}

// evidenceAnswer is the receipt (id, server, kind) with the summary's fields.
func evidenceAnswer(receipt probes.Receipt, kind string, summary any) (map[string]any, error) {
	b, err := json.Marshal(summary)
	if err != nil {
		return nil, fmt.Errorf("encode summary: %w", err)
	}
	answer := map[string]any{}
	if err := json.Unmarshal(b, &answer); err != nil {
		return nil, fmt.Errorf("encode summary: %w", err)
	}
	answer["id"], answer["server"], answer["kind"] = receipt.ID, receipt.Server, kind
	return answer, nil
}

// evidenceError tells a body that was too large or corrupt in transit from a
// file that is not what its kind expects (the parser's own, line-numbered
// ValidationError).
func evidenceError(err error) error {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return err
	case errors.Is(err, gzip.ErrChecksum), errors.Is(err, gzip.ErrHeader), errors.Is(err, io.ErrUnexpectedEOF):
		return bodyError(err)
	}
	return err
}

// IISLogHistory is the answer of GET /api/v1/servers/{name}/iislog.
type IISLogHistory struct {
	Server string              `json:"server"`
	Since  time.Time           `json:"since"`
	Hours  []probes.IISLogHour `json:"hours"`
}

func (a *app) iislogHistory(w http.ResponseWriter, r *http.Request) error {
	name, err := serverName(r)
	if err != nil {
		return err
	}
	since := a.now().Add(-7 * 24 * time.Hour)
	if v := r.URL.Query().Get("since"); v != "" {
		if since, err = parseSince(v, a.now()); err != nil {
			return err
		}
	}
	hours, err := a.store.IISLogHistory(r.Context(), name, since)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, IISLogHistory{Server: probes.NormalizeName(name), Since: since, Hours: hours})
}

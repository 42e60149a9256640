package web

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// The read models (the server list, the gaps, the fleet page) are kept
// compressed too, built once per version of their bytes and only when a
// client first asks for that coding: at 500 servers the server list is
// ~140 KB of JSON, and copying it into the socket was most of what a request
// cost, on both sides of the connection.

// coding is a content coding (RFC 9110 8.4.1) a read model is kept in.
type coding struct {
	name   string // as Accept-Encoding and Content-Encoding name it
	suffix string // appended to the identity ETag: a strong validator is per representation
}

// codings in the server's order of preference when a client accepts several
// equally: zstd is smaller and cheaper to decode; gzip everyone has.
var codings = [...]coding{{"zstd", "-zstd"}, {"gzip", "-gz"}}

const (
	codingZstd = iota
	codingGzip
	codingIdentity = -1
)

// gzipLevel: the bytes are compressed once per version and sent many times,
// but a read model is rebuilt on every write, so not the slowest levels.
const gzipLevel = 6

// negotiate picks the coding of the answer from an Accept-Encoding header
// (RFC 9110 12.5.3): the acceptable coding of the highest weight, zstd
// before gzip before identity among equals. identity, when the header does
// not weigh it (by name or *), comes after any acceptable coding; when
// nothing is acceptable (identity;q=0 and no coding) the answer is identity
// all the same, as the RFC advises. No header (or an empty one) means
// identity.
func negotiate(header string) int {
	if header == "" {
		return codingIdentity
	}
	var q [len(codings)]float64
	var set [len(codings)]bool
	identity, identitySet := 0.0, false // unnamed: acceptable, but last
	star, starSet := 0.0, false
	for part := range strings.SplitSeq(header, ",") {
		name, params, _ := strings.Cut(part, ";")
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		w, ok := weight(params)
		if !ok {
			continue // a malformed weight: ignore the entry
		}
		switch {
		case strings.EqualFold(name, "identity"):
			identity, identitySet = w, true
		case name == "*":
			star, starSet = w, true
		case strings.EqualFold(name, "x-gzip"): // RFC 9110 8.4.1.3: the same as gzip
			name = "gzip"
			fallthrough
		default:
			for i, c := range codings {
				if strings.EqualFold(name, c.name) && (!set[i] || w > q[i]) {
					q[i], set[i] = w, true
				}
			}
		}
	}
	if !identitySet && starSet {
		identity = star
	}
	best, bestQ := codingIdentity, identity
	for i := range codings {
		w := q[i]
		if !set[i] && starSet {
			w = star
		}
		if w > 0 && (w > bestQ || (w == bestQ && best == codingIdentity)) {
			best, bestQ = i, w
		}
	}
	return best
}

// weight reads the q parameter of one Accept-Encoding entry (default 1).
func weight(params string) (float64, bool) {
	w := 1.0
	for p := range strings.SplitSeq(params, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), "q") {
			continue
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || f < 0 || f > 1 {
			return 0, false
		}
		w = f
	}
	return w, true
}

// encodings are the compressed variants of one read model's bytes, each
// built the first time a client asks for it, shared by every rebuild of
// the read model that comes to the same bytes (same identity ETag).
type encodings struct {
	v [len(codings)]struct {
		once sync.Once
		body []byte // nil: not worth it (no smaller than identity) or failed
		etag string
	}
}

// representation is what one answer sends: the bytes, their coding ("" for
// identity) and their ETag.
type representation struct {
	body   []byte
	coding string
	etag   string
}

// pick returns the representation of body (ETag etag) in coding i, built
// on first use; identity when i is, or when that coding does not help.
func (e *encodings) pick(c *compressors, body []byte, etag string, i int) representation {
	if i == codingIdentity || e == nil {
		return representation{body: body, etag: etag}
	}
	v := &e.v[i]
	v.once.Do(func() {
		z, err := c.encode(i, body)
		if err != nil || len(z) >= len(body) {
			return
		}
		v.body = z
		v.etag = strings.TrimSuffix(etag, `"`) + codings[i].suffix + `"`
	})
	if v.body == nil {
		return representation{body: body, etag: etag}
	}
	return representation{body: v.body, coding: codings[i].name, etag: v.etag}
}

// compressors hold what encoding needs between calls (the zstd encoder,
// safe for concurrent EncodeAll).
type compressors struct {
	once sync.Once
	zstd *zstd.Encoder
	err  error
}

func (c *compressors) encode(i int, body []byte) ([]byte, error) {
	switch i {
	case codingZstd:
		c.once.Do(func() {
			c.zstd, c.err = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1))
		})
		if c.err != nil {
			return nil, c.err
		}
		return c.zstd.EncodeAll(body, make([]byte, 0, len(body)/4)), nil
	case codingGzip:
		var buf bytes.Buffer
		buf.Grow(len(body) / 4)
		zw, err := gzip.NewWriterLevel(&buf, gzipLevel)
		if err != nil {
			return nil, err
		}
		if _, err := zw.Write(body); err != nil {
			return nil, err
		}
		if err := zw.Close(); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
	return nil, fmt.Errorf("no coding %d", i)
}

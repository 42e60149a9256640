// Package static holds the dashboard's CSS and JavaScript, embedded in the
// binary and served at content-hashed URLs with immutable caching.
package static

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed *.css *.js *.svg
var files embed.FS

// Prefix is where the assets are mounted.
const Prefix = "/static/"

// asset is one embedded file with its hashed name.
type asset struct {
	name, hashed, ctype string
	body                []byte
}

// Assets maps logical file names ("app.css") to their hashed URLs and serves
// them. Build one with Load; it is read-only afterwards.
type Assets struct {
	byName   map[string]*asset
	byHashed map[string]*asset
}

// Load reads and hashes the embedded files.
func Load() *Assets {
	a := &Assets{byName: map[string]*asset{}, byHashed: map[string]*asset{}}
	entries, _ := fs.ReadDir(files, ".")
	for _, e := range entries {
		body, err := files.ReadFile(e.Name())
		if err != nil {
			panic("static: " + err.Error()) // embedded: cannot happen
		}
		sum := sha256.Sum256(body)
		ext := path.Ext(e.Name())
		hashed := strings.TrimSuffix(e.Name(), ext) + "." + hex.EncodeToString(sum[:4]) + ext
		ctype := mime.TypeByExtension(ext)
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		as := &asset{name: e.Name(), hashed: hashed, ctype: ctype, body: body}
		a.byName[e.Name()], a.byHashed[hashed] = as, as
	}
	return a
}

// URL returns the content-hashed URL of a logical file name; it panics on an
// unknown name so a typo fails the first page test, not a user.
func (a *Assets) URL(name string) string {
	as, ok := a.byName[name]
	if !ok {
		panic("static: no asset " + name)
	}
	return Prefix + as.hashed
}

// Size is the size in bytes of every asset whose name ends in ext (".js").
func (a *Assets) Size(ext string) int {
	n := 0
	for name, as := range a.byName {
		if strings.HasSuffix(name, ext) {
			n += len(as.body)
		}
	}
	return n
}

// ServeHTTP answers /static/<hashed name>. Only hashed names are served, so
// every response may be cached forever.
func (a *Assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	as, ok := a.byHashed[strings.TrimPrefix(r.URL.Path, Prefix)]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", as.ctype)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Header().Set("ETag", `"`+as.hashed+`"`)
	http.ServeContent(w, r, as.hashed, time.Time{}, bytes.NewReader(as.body))
}

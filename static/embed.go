// Package static embeds the console's CSS and JavaScript and serves them
// under content-hashed URLs, so browsers may cache them forever and a new
// release is fetched at once.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed css js img
var files embed.FS

// hashes maps a file's path to the first 10 hex digits of its SHA-256.
var hashes = func() map[string]string {
	m := map[string]string{}
	_ = fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		m[p] = hex.EncodeToString(sum[:])[:10]
		return nil
	})
	return m
}()

// Path returns the URL of an embedded file, e.g. Path("css/app.css") is
// "/static/3f2a9c01de/css/app.css".
func Path(name string) string {
	return "/static/" + hashes[name] + "/" + name
}

// Handler serves /static/{hash}/{name}. A stale hash still gets the current
// file, but without the long cache lifetime.
func Handler() http.Handler {
	fileServer := http.FileServerFS(files)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest := strings.TrimPrefix(r.URL.Path, "/static/")
		hash, name, ok := strings.Cut(rest, "/")
		name = path.Clean(name)
		if !ok || hashes[name] == "" {
			http.NotFound(w, r)
			return
		}
		if hash == hashes[name] {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/" + name
		fileServer.ServeHTTP(w, r2)
	})
}

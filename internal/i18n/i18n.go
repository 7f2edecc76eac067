// Package i18n holds ccsub's message catalogs and the few functions every
// view and handler uses to speak the viewer's language.
//
// The catalogs are TOML files embedded from locales/<language>/<area>.toml,
// one file per area and language, read by go-i18n. English (en) is the
// source language; Simplified Chinese (zh-Hans) must be complete (the
// catalog tests fail otherwise). Message IDs start with their area:
// "layout.nav.history" lives in locales/*/layout.toml.
//
// The language of a request is chosen once by Middleware and kept in the
// request's context; T, Tf, Number and DateTime read it from there, so a
// templ component (which gets ctx) and a handler (r.Context()) use the same
// calls. A context without a language (background jobs, the JSON API, the
// CLI) speaks English.
package i18n

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/BurntSushi/toml"
	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// The languages ccsub speaks. English is the source and the fallback.
const (
	English = "en"
	Chinese = "zh-Hans"
)

// Language is one language the viewer can choose.
type Language struct {
	Tag  string // BCP 47, as in <html lang> and the ccsub_lang cookie
	Name string // the language's own name, shown in the switcher in every language
}

// Languages are the languages offered, English first.
var Languages = []Language{{English, "English"}, {Chinese, "简体中文"}}

// D is the data of a message's placeholders: Tf(ctx, id, i18n.D{"Name": n})
// fills {{.Name}}. A "Count" entry also picks the plural form.
type D = map[string]any

//go:embed locales
var files embed.FS

var (
	bundle     = goi18n.NewBundle(language.English)
	localizers = map[string]*goi18n.Localizer{}
	// plain holds, per language, every message without placeholders or
	// plural forms, as Localize gives it: T answers from here. Localize
	// matches languages on every call, which was a tenth of a history
	// page's CPU time (a page asks for a hundred messages and more).
	plain = map[string]map[string]string{}
)

func init() {
	ids, err := load(bundle, files)
	if err != nil {
		panic("i18n: " + err.Error())
	}
	for _, l := range Languages {
		loc := goi18n.NewLocalizer(bundle, l.Tag)
		localizers[l.Tag] = loc
		plain[l.Tag] = map[string]string{}
		for _, id := range ids {
			if msg, err := loc.Localize(&goi18n.LocalizeConfig{MessageID: id}); err == nil {
				plain[l.Tag][id] = msg
			}
		}
	}
}

// load reads every locales/<language>/<area>.toml into b and returns the
// IDs of the messages that are plain text in every language (no
// placeholder, no plural forms). The language comes from the folder
// (go-i18n would read it from the file name).
func load(b *goi18n.Bundle, fsys fs.FS) (plainIDs []string, err error) {
	notPlain := map[string]bool{}
	seen := map[string]bool{}
	err = fs.WalkDir(fsys, "locales", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if path.Ext(p) != ".toml" {
			return fmt.Errorf("%s: only .toml catalogs belong in locales", p)
		}
		tag, err := language.Parse(path.Base(path.Dir(p)))
		if err != nil {
			return fmt.Errorf("%s: the folder must be a language tag: %w", p, err)
		}
		buf, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		mf, err := b.ParseMessageBytes(tag, buf, toml.Unmarshal)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		for _, m := range mf {
			seen[m.ID] = true
			if m.One != "" || m.Few != "" || m.Many != "" || m.Two != "" || m.Zero != "" ||
				strings.Contains(m.Other, "{{") {
				notPlain[m.ID] = true
			}
		}
		return nil
	})
	for id := range seen {
		if !notPlain[id] {
			plainIDs = append(plainIDs, id)
		}
	}
	return plainIDs, err
}

type ctxKey struct{}

// state is what the middleware leaves in a request's context.
type state struct {
	lang string
	loc  *goi18n.Localizer
	here string // the page to come back to after switching language
}

// WithLanguage returns ctx speaking lang (one of Languages' tags; anything
// else is English). here is the local path the language switcher returns
// to; "" means "/".
func WithLanguage(ctx context.Context, lang, here string) context.Context {
	lang = Supported(lang)
	return context.WithValue(ctx, ctxKey{}, &state{lang: lang, loc: localizers[lang], here: here})
}

func from(ctx context.Context) *state {
	if s, ok := ctx.Value(ctxKey{}).(*state); ok {
		return s
	}
	return &state{lang: English, loc: localizers[English]}
}

// Lang is the language of ctx, for <html lang>: "en" or "zh-Hans".
func Lang(ctx context.Context) string { return from(ctx).lang }

// Here is the local path (with its query) of the page being shown, where
// the language switcher sends the viewer back to.
func Here(ctx context.Context) string {
	if h := from(ctx).here; h != "" {
		return h
	}
	return "/"
}

// Supported returns lang when ccsub speaks it, else English.
func Supported(lang string) string {
	for _, l := range Languages {
		if l.Tag == lang {
			return lang
		}
	}
	return English
}

// T is the message id in the language of ctx, for messages without
// placeholders.
func T(ctx context.Context, id string) string {
	if msg, ok := plain[from(ctx).lang][id]; ok {
		return msg
	}
	return Tf(ctx, id, nil)
}

// Tf is the message id with its placeholders filled from data. When data
// has a "Count", it also chooses the plural form ("one", "other") of the
// language. A message missing in the language falls back to English; one
// missing everywhere shows its id (the catalog tests make sure neither
// ships).
func Tf(ctx context.Context, id string, data D) string {
	st := from(ctx)
	n, countOnly := data["Count"].(int)
	countOnly = countOnly && len(data) == 1
	if countOnly {
		if msg, ok := counted.Load(countKey{st.lang, id, n}); ok {
			return msg.(string)
		}
	}
	lc := &goi18n.LocalizeConfig{MessageID: id, TemplateData: data}
	if n, ok := data["Count"]; ok {
		lc.PluralCount = n
	}
	msg, err := st.loc.Localize(lc)
	if msg == "" && err != nil {
		return id
	}
	if countOnly && counted.size.Add(1) <= maxCounted {
		counted.Store(countKey{st.lang, id, n}, msg)
	}
	return msg
}

// counted keeps the messages whose only data is a Count ("3 minutes ago",
// "12 calls"): a list page asks for one per row, and Localize matches
// languages and runs a template every time (a tenth of the history page).
// Counts are small numbers in practice; the cache stops growing at
// maxCounted entries whatever comes.
var counted struct {
	sync.Map // countKey -> string
	size     atomic.Int64
}

const maxCounted = 10000

type countKey struct {
	lang, id string
	n        int
}

// InEnglish is the message id in English whatever the viewer's language:
// for logs and audit entries, which stay in one language.
func InEnglish(id string, data D) string {
	return Tf(context.Background(), id, data)
}

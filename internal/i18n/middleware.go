package i18n

import (
	"net/http"
	"strings"
	"time"

	"golang.org/x/text/language"
)

// CookieName is the cookie that remembers the viewer's explicit choice. It
// is not the session cookie, so the choice holds on the sign-in page and
// after signing out.
const CookieName = "ccsub_lang"

// cookieAge is how long a choice is remembered.
const cookieAge = 365 * 24 * time.Hour

// Middleware puts the request's language into its context: the viewer's
// remembered choice (the ccsub_lang cookie), else the first language of
// Accept-Language that ccsub speaks, else English. It costs no query.
// Requests for which skip is true (the JSON API, the platform's pushes)
// stay in English, so machine clients get stable words.
func Middleware(skip func(*http.Request) bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if skip != nil && skip(r) {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Add("Vary", "Accept-Language, Cookie")
		next.ServeHTTP(w, r.WithContext(WithLanguage(r.Context(), Choose(r), here(r))))
	})
}

// Choose is the language of a request: the cookie, then Accept-Language.
func Choose(r *http.Request) string {
	if c, err := r.Cookie(CookieName); err == nil && Supported(c.Value) == c.Value {
		return c.Value
	}
	return FromAcceptLanguage(r.Header.Get("Accept-Language"))
}

// FromAcceptLanguage picks, in the header's order of preference, the first
// language ccsub speaks: any Chinese (zh, zh-CN, zh-TW, zh-Hant...) is
// Simplified Chinese, any English is English; nothing usable is English.
func FromAcceptLanguage(header string) string {
	tags, _, err := language.ParseAcceptLanguage(header)
	if err != nil {
		return English
	}
	for _, t := range tags {
		switch base, _ := t.Base(); base.String() {
		case "zh":
			return Chinese
		case "en":
			return English
		}
	}
	return English
}

// here is the local address to come back to after switching language: the
// page itself for a GET; the console's start for the answer to a form
// (its address may have no page, e.g. POST /users/1/role, and what was
// typed is not kept anyway).
func here(r *http.Request) string {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return r.URL.RequestURI()
	}
	return "/"
}

// SetCookie remembers lang (a supported tag) in the browser for a year.
func SetCookie(w http.ResponseWriter, lang string, secure bool) {
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: Supported(lang), Path: "/",
		MaxAge: int(cookieAge / time.Second), HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode,
	})
}

// IsSupported reports whether lang is exactly one of Languages' tags.
func IsSupported(lang string) bool {
	return strings.TrimSpace(lang) == lang && Supported(lang) == lang
}

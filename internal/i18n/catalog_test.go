package i18n

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
)

// entry is one message of one catalog file.
type entry struct {
	file string
	msg  *goi18n.Message
}

// catalog reads every file of one language: ID → entry. Two files
// defining one ID is a failure.
func catalog(t *testing.T, lang string) map[string]entry {
	t.Helper()
	out := map[string]entry{}
	err := fs.WalkDir(files, "locales/"+lang, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		buf, err := fs.ReadFile(files, p)
		if err != nil {
			return err
		}
		msgs, err := goi18n.ParseMessageBytes(buf, toml.Unmarshal)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			return nil
		}
		area := strings.TrimSuffix(path.Base(p), ".toml")
		for _, m := range msgs {
			if !strings.HasPrefix(m.ID, area+".") {
				t.Errorf("internal/i18n/%s: message %q must start with its area %q (the file's name)", p, m.ID, area+".")
			}
			if prev, ok := out[m.ID]; ok {
				t.Errorf("message %q is defined twice: in %s and in internal/i18n/%s", m.ID, prev.file, p)
			}
			out[m.ID] = entry{file: "internal/i18n/" + p, msg: m}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("no messages for %s", lang)
	}
	return out
}

// forms are a message's texts by plural form.
func forms(m *goi18n.Message) map[string]string {
	f := map[string]string{"zero": m.Zero, "one": m.One, "two": m.Two, "few": m.Few, "many": m.Many, "other": m.Other}
	for k, v := range f {
		if v == "" {
			delete(f, k)
		}
	}
	return f
}

var placeholder = regexp.MustCompile(`\{\{\s*\.(\w+)\s*\}\}`)

// placeholders are the {{.X}} of every form of a message.
func placeholders(m *goi18n.Message) []string {
	var names []string
	for _, text := range forms(m) {
		for _, sm := range placeholder.FindAllStringSubmatch(text, -1) {
			if !slices.Contains(names, sm[1]) {
				names = append(names, sm[1])
			}
		}
	}
	slices.Sort(names)
	return names
}

// TestCatalogsComplete fails on any message that is not in both English
// and Simplified Chinese, in the same area file, with text and with the
// same placeholders; and on a plural message missing a form its language
// needs (English: one and other; Chinese: other).
func TestCatalogsComplete(t *testing.T) {
	en, zh := catalog(t, English), catalog(t, Chinese)
	for id, e := range en {
		z, ok := zh[id]
		if !ok {
			t.Errorf("message %q (%s) has no Chinese text: add it to %s", id, e.file, strings.Replace(e.file, "/en/", "/zh-Hans/", 1))
			continue
		}
		if want := strings.Replace(e.file, "/en/", "/zh-Hans/", 1); z.file != want {
			t.Errorf("message %q is in %s, want it in %s like its English", id, z.file, want)
		}
		if ep, zp := placeholders(e.msg), placeholders(z.msg); !slices.Equal(ep, zp) {
			t.Errorf("message %q: placeholders differ: English (%s) has %v, Chinese (%s) has %v", id, e.file, ep, z.file, zp)
		}
		ef, zf := forms(e.msg), forms(z.msg)
		if ef["other"] == "" {
			t.Errorf("message %q (%s) has no English text", id, e.file)
		}
		if zf["other"] == "" {
			t.Errorf("message %q (%s) has no Chinese text", id, z.file)
		}
		if len(ef) > 1 && ef["one"] == "" {
			t.Errorf("plural message %q (%s) needs its English \"one\" form", id, e.file)
		}
	}
	for id, z := range zh {
		if _, ok := en[id]; !ok {
			t.Errorf("message %q (%s) is not in the English catalog, the source: add it there or remove it", id, z.file)
		}
	}
}

// source is one file of ccsub's code that may use messages.
type source struct {
	rel  string // relative to the module root
	text string
}

// sources are the module's .go and .templ files, without generated and
// test files.
func sources(t *testing.T) []source {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found from %s: %v", root, err)
	}
	var out []source
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if strings.HasPrefix(name, ".") || name == "node_modules" || name == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(name, "_templ.go") || strings.HasSuffix(name, "_test.go") ||
			!(strings.HasSuffix(name, ".go") || strings.HasSuffix(name, ".templ")) {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		out = append(out, source{rel: rel, text: string(b)})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var (
	// callID finds the ID of i18n.T(ctx, "id"), i18n.Tf(ctx, "id", …) and
	// i18n.InEnglish("id", …).
	callID = regexp.MustCompile(`i18n\.(?:Tf?\([^,()]+,|InEnglish\()\s*"([^"]*)"`)
	// literal finds any string literal shaped like a message ID.
	literal = regexp.MustCompile(`"([a-z][a-z0-9]*(?:\.[a-z0-9_]+)+)"`)
)

func lineOf(text string, at int) int { return strings.Count(text[:at], "\n") + 1 }

// TestMessagesUsedExist fails on a message ID used in the code that is not
// in the English catalog (a typo, or a message not yet written): every ID
// passed to i18n.T, Tf or InEnglish, and every string literal that starts
// with an area's name ("layout.", "problem.") — IDs handed around before
// they are translated.
func TestMessagesUsedExist(t *testing.T) {
	en := catalog(t, English)
	areas := map[string]bool{}
	for _, e := range en {
		areas[strings.TrimSuffix(path.Base(e.file), ".toml")] = true
	}
	for _, src := range sources(t) {
		reported := map[int]bool{} // by the literal's offset
		for _, m := range callID.FindAllStringSubmatchIndex(src.text, -1) {
			if id := src.text[m[2]:m[3]]; en[id].msg == nil {
				reported[m[2]-1] = true
				t.Errorf("%s:%d: message %q is not in the English catalog (internal/i18n/locales/en/)", src.rel, lineOf(src.text, m[0]), id)
			}
		}
		for _, m := range literal.FindAllStringSubmatchIndex(src.text, -1) {
			id := src.text[m[2]:m[3]]
			if areas[id[:strings.IndexByte(id, '.')]] && en[id].msg == nil && !reported[m[0]] {
				t.Errorf("%s:%d: %q looks like a message ID of area %q but is not in the English catalog", src.rel, lineOf(src.text, m[0]), id, id[:strings.IndexByte(id, '.')])
			}
		}
	}
}

// TestMessagesDefinedAreUsed fails on a message no code names: a dead
// message, or one whose ID is built at run time (write IDs out in full, so
// this test and TestMessagesUsedExist can see them).
func TestMessagesDefinedAreUsed(t *testing.T) {
	var all strings.Builder
	for _, src := range sources(t) {
		all.WriteString(src.text)
	}
	code := all.String()
	for id, e := range catalog(t, English) {
		if !strings.Contains(code, `"`+id+`"`) {
			t.Errorf("message %q (%s) is not used anywhere in the code: remove it, or write its ID out in full where it is used", id, e.file)
		}
	}
}

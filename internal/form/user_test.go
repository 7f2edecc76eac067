package form

import (
	"net/url"
	"strings"
	"testing"
)

func TestCheckUsername(t *testing.T) {
	tests := []struct {
		name, input, want string // want: "" accepts, else a substring of the message
	}{
		{"a plain name is accepted", "alice", ""},
		{"an e-mail address is accepted", "alice.smith@example.com", ""},
		{"letters of other scripts are accepted", "José_Müller-李", ""},
		{"an empty name is refused", "", "Enter a user name"},
		{"65 characters are refused", strings.Repeat("é", 65), "At most 64 characters; this one has 65"},
		{"a space is refused by name", "alice smith", "a space"},
		{"markup is refused naming the character", "<b>", `"<"`},
		{"a quote is refused", `al"ice`, `"\""`},
		{"a zero-width joiner is refused", "ali\u200dce", "U+200D"},
		{"a right-to-left override is refused", "ali\u202ece", "U+202E"},
		{"a control character is refused", "ali\x07ce", "U+0007"},
		{"invalid UTF-8 is refused", "ali\xffce", "invalid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CheckUsername(t.Context(), tt.input)
			if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
				t.Errorf("CheckUsername(%q) = %q, want %q", tt.input, got, tt.want)
			}
		})
	}
}

func TestTheUserFormValidatesEachField(t *testing.T) {
	f := ParseUser(t.Context(), url.Values{"username": {" bob "}, "role": {"boss"}, "password": {"short"}})
	if f.ValidateNew(t.Context()) {
		t.Fatal("accepted")
	}
	if f.Username != "bob" {
		t.Errorf("user name %q not trimmed", f.Username)
	}
	for field, want := range map[string]string{"role": "admin, operator or auditor", "password": "The password is too short"} {
		if !strings.Contains(f.Errors[field], want) {
			t.Errorf("%s error %q, want %q", field, f.Errors[field], want)
		}
	}
	if _, ok := f.Errors["username"]; ok {
		t.Errorf("a good user name got %q", f.Errors["username"])
	}
	ok := ParseUser(t.Context(), url.Values{"username": {"bob"}, "role": {"auditor"}, "password": {"a long enough password"}})
	if !ok.ValidateNew(t.Context()) {
		t.Errorf("a good form was refused: %v", ok.Errors)
	}
}

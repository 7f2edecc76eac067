package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"unicode/utf8"

	"ccsub/internal/domain"
	"ccsub/internal/httpkit"
)

// decodeJSON reads the request body into dst, a pointer to a struct whose
// json tags name every accepted field. It is strict where Go's decoder is
// lenient: the body must be one JSON object of valid UTF-8; a key must
// match a field exactly (Go would accept any case), appear once (Go would
// keep the last) and not be null (Go would silently skip it); a value of
// the wrong type is refused with the field's name.
func decodeJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return httpkit.Fail(http.StatusUnsupportedMediaType, "Send the body as JSON, with the header Content-Type: application/json.")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, httpkit.MaxFormBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return httpkit.Fail(http.StatusBadRequest, "The body could not be read.")
	}
	if !utf8.Valid(body) {
		return httpkit.Fail(http.StatusBadRequest, "The body is not valid UTF-8.")
	}
	if err := checkKeys(body, jsonFields(dst)); err != nil {
		return err
	}
	if err := json.Unmarshal(body, dst); err != nil {
		return describeJSONError(err)
	}
	return nil
}

// jsonFields lists the json names of the struct dst points to.
func jsonFields(dst any) map[string]bool {
	t := reflect.TypeOf(dst).Elem()
	names := make(map[string]bool, t.NumField())
	for i := range t.NumField() {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); name != "" && name != "-" {
			names[name] = true
		}
	}
	return names
}

// checkKeys walks the top level of a JSON object and refuses unknown,
// repeated and null fields, and anything after the object.
func checkKeys(body []byte, allowed map[string]bool) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return httpkit.Fail(http.StatusBadRequest, "The body must be a JSON object, like {\"name\": \"value\"}.")
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return describeJSONError(err)
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return describeJSONError(err)
		}
		if err := checkKey(key, raw, allowed, seen); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return describeJSONError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return httpkit.Fail(http.StatusBadRequest, "There is data after the JSON object; send exactly one object.")
	}
	return nil
}

func checkKey(key string, raw json.RawMessage, allowed, seen map[string]bool) error {
	shown := domain.Clip(key, 64)
	switch {
	case !allowed[key]:
		return httpkit.FieldError(shown, fmt.Sprintf("Unknown field %q.", shown), "Unknown field; field names are case-sensitive.")
	case seen[key]:
		return httpkit.FieldError(key, fmt.Sprintf("Field %q was sent more than once.", key), "Sent more than once; send it once.")
	case bytes.Equal(raw, []byte("null")):
		return httpkit.FieldError(key, fmt.Sprintf("Field %q is null.", key), "Must not be null; leave the field out instead.")
	}
	seen[key] = true
	return nil
}

// describeJSONError turns a decoding error into a 400 that names the
// problem and, for a wrong type, the field.
func describeJSONError(err error) error {
	var (
		se *json.SyntaxError
		te *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &te) && te.Field != "":
		want := jsonTypeName(te.Type)
		return httpkit.FieldError(te.Field, fmt.Sprintf("Field %q must be %s, not a %s.", te.Field, want, te.Value),
			fmt.Sprintf("Must be %s, not a %s.", want, te.Value))
	case errors.As(err, &se):
		return httpkit.Fail(http.StatusBadRequest, fmt.Sprintf("The body is not valid JSON (at byte %d).", se.Offset))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return httpkit.Fail(http.StatusBadRequest, "The body ends before the JSON object does.")
	}
	return httpkit.Fail(http.StatusBadRequest, "The body is not a valid JSON object for this request.")
}

func jsonTypeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "a whole number"
	}
	return "a " + t.Kind().String()
}

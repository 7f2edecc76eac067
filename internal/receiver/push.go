package receiver

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"unicode/utf8"

	"ccsub/internal/domain"
)

// pushBody is a recognition-result notification (docs/gateway-contract.md §6).
//
// Decoding is strict about the shape and tolerant where the vendor is
// (docs/gateway-contract.md §9): the body must be exactly one JSON object in
// UTF-8, but every documented scalar may come as a string, a number or a
// boolean (the vendor does not pin their types down, and real pushes mix
// them), and fields we do not know are ignored here and kept in the stored
// body, because the platform adds fields between versions and refusing them
// would drop real recognition results. Only an object or an array where a
// scalar belongs is refused. Tolerance stops at the body's content: the
// token, the receiver key, the size, JSON that parses and a serverid that
// matches the subscription are still required (see judgePush).
type pushBody struct {
	ServerID       flexString      `json:"serverid"`
	SubscribeType  flexString      `json:"subscribetype"`
	InitialAgentID flexString      `json:"initialagentid"`
	CCID           flexString      `json:"ccid"`
	VDNID          flexString      `json:"vdnid"`
	CurCallID      flexString      `json:"curcallid"`
	CurUserDN      flexString      `json:"curuserdn"`
	TalkerType     flexString      `json:"talkertype"`
	TalkerID       flexString      `json:"talkerid"`
	NLPResult      json.RawMessage `json:"nlpResult"`
	Result         []pushSegment   `json:"result"`
	ASRUserCase    flexString      `json:"asrusercase"`
}

// pushSegment is one entry of result.
type pushSegment struct {
	Confidence   flexString `json:"confidence"`
	Content      flexString `json:"content"`
	IsContentEnc flexString `json:"iscontentenc"`
}

// flexString accepts any JSON scalar and keeps its text as written: a
// string's value, a number's digits ("0.87", "1"), a boolean's word
// ("true", "false"); null is "". Objects and arrays are refused.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	switch {
	case bytes.Equal(b, []byte("null")):
		*f = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
	case bytes.Equal(b, []byte("true")), bytes.Equal(b, []byte("false")):
		*f = flexString(b)
	case len(b) > 0 && (b[0] == '-' || b[0] >= '0' && b[0] <= '9'):
		*f = flexString(b)
	default:
		// A type error gets the field's name added by the decoder.
		return &json.UnmarshalTypeError{Value: jsonKind(b), Type: reflect.TypeFor[string]()}
	}
	return nil
}

// flag reads a scalar that the vendor uses as a yes/no flag: "1", 1 and
// true mean yes; "0", 0, false, null and anything else mean no.
func (f flexString) flag() bool {
	switch strings.TrimSpace(string(f)) {
	case "1", "true":
		return true
	}
	return false
}

func jsonKind(b []byte) string {
	switch {
	case len(b) == 0:
		return "nothing"
	case b[0] == '{':
		return "object"
	case b[0] == '[':
		return "array"
	}
	return "a value of unknown type"
}

// decodePush parses a push; its errors are messages for the sender.
func decodePush(body []byte) (pushBody, error) {
	var p pushBody
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	switch {
	case len(trimmed) == 0:
		return p, errors.New(domain.PushEmpty.Say())
	case trimmed[0] != '{':
		return p, errors.New(domain.PushNotObject.Say())
	case !utf8.Valid(body):
		return p, errors.New(domain.PushNotUTF8.Say())
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&p); err != nil {
		return pushBody{}, errors.New(domain.PushInvalid.Say(decodeMessage(err)))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return pushBody{}, errors.New(domain.PushTrailing.Say())
	}
	// The shape was right: keep what was read, so the inbox shows it.
	if p.ServerID == "" {
		return p, errors.New(domain.PushNoServerID.Say())
	}
	if len(p.NLPResult) > 0 && p.NLPResult[0] != '{' && string(p.NLPResult) != "null" {
		return p, errors.New(domain.PushNLPNotObject.Say())
	}
	return p, nil
}

// decodeMessage names the field of a type error in plain words; syntax
// errors are already plain.
func decodeMessage(err error) string {
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &te) && te.Field == "result":
		return "result must be an array of objects, not " + te.Value
	case errors.As(err, &te) && te.Field != "":
		return te.Field + " must be a string, a number or a boolean, not " + te.Value
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the JSON ends too early"
	}
	return err.Error()
}

// fill copies what the inbox shows into n, cleaned for storage.
func (p pushBody) fill(n *domain.Notification) {
	n.ServerID = clean(string(p.ServerID), maxStoredField)
	n.CallID = clean(string(p.CurCallID), maxStoredField)
	n.Speaker = clean(string(p.TalkerType), maxStoredField)
	n.TalkerID = clean(string(p.TalkerID), maxStoredField)
	n.CauseCode = clean(string(p.ASRUserCase), maxStoredField)
	parts := make([]string, 0, len(p.Result))
	for i, seg := range p.Result {
		if i == 0 {
			n.Confidence = clean(string(seg.Confidence), maxStoredField)
		}
		// Encrypted content is kept as received and flagged: ccsub cannot
		// read it and must not present ciphertext as what was said.
		if seg.IsContentEnc.flag() {
			n.TextEncrypted = true
		}
		if seg.Content != "" {
			parts = append(parts, string(seg.Content))
		}
	}
	n.Text = clean(strings.Join(parts, " "), maxStoredText)
}

// pushDigest identifies a push for replay detection: the receiver key and
// the body re-encoded canonically (compact, keys sorted, numbers as
// written), so a replay with other whitespace or key order is still one.
func pushDigest(key string, body []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	canon := body
	if dec.Decode(&v) == nil {
		if b, err := json.Marshal(v); err == nil {
			canon = b
		}
	}
	h := sha256.New()
	h.Write([]byte(key))
	h.Write([]byte{0})
	h.Write(canon)
	return h.Sum(nil)
}

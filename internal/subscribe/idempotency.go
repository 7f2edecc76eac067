package subscribe

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"fmt"

	"ccsub/internal/domain"
	"ccsub/internal/secret"
)

// canonicalRegister is what a one-time key promises to mean: the register
// it was first used for, field by field, after validation. Whitespace the
// form trims, the order of JSON keys and the receiver key ccsub picks for
// each request (the API makes a new one every time; replace too) do not
// make another request. The service token is not in it: a fingerprint is
// stored next to the call, and an unkeyed hash of a person-chosen token
// could be guessed from it, so the token is compared with the first call's
// sealed copy instead (sameToken).
type canonicalRegister struct {
	Version        int    `json:"v"`
	GatewayID      int64  `json:"gateway"`
	SubscribeType  string `json:"subscribeType"`
	CallbackURI    string `json:"callback"` // "" when ccsub's receiver is the target
	Receiver       bool   `json:"receiver"`
	NLPFlag        bool   `json:"nlpFlag"`
	FlowAccessCode string `json:"flowAccessCode"`
	TokenPresent   bool   `json:"token"`
	AutoReregister bool   `json:"autoReregister"`
	ReplacesID     int64  `json:"replaces"` // 0: a new subscription
}

// fingerprint is SHA-256 of the register's canonical form (JSON of a fixed
// struct, so the bytes are the same for the same request in every process
// and version that keeps Version).
func fingerprint(in RegisterInput) []byte {
	c := canonicalRegister{Version: 1, GatewayID: in.GatewayID, SubscribeType: in.SubscribeType, CallbackURI: in.CallbackURI,
		NLPFlag: in.NLPFlag, FlowAccessCode: in.FlowAccessCode, TokenPresent: in.ServiceToken != "",
		AutoReregister: in.AutoReregister}
	if in.ReceiverKey != "" {
		c.CallbackURI, c.Receiver = "", true
	}
	if in.ReplacesID != nil {
		c.ReplacesID = *in.ReplacesID
	}
	b, _ := json.Marshal(c) // a struct of plain fields always marshals
	sum := sha256.Sum256(b)
	return sum[:]
}

// sameToken finishes a repeated key whose fingerprint matched (dup is the
// store's ErrDuplicateSubmission, first the call the key started): the
// repeat is the first request again only when it carries the same service
// token too, compared with the first call's sealed copy in constant time.
// Otherwise it is domain.ErrIdempotencyConflict and nothing is sent.
func (s *Service) sameToken(first domain.Call, token string, dup error) (domain.Call, error) {
	if len(first.TokenSealed) == 0 {
		// No token then. The fingerprints say so too, unless the key was
		// claimed before fingerprints were stored.
		if token != "" {
			return domain.Call{}, fmt.Errorf("subscribe.Register: key of call %d: %w", first.ID, domain.ErrIdempotencyConflict)
		}
		return first, dup
	}
	plain, err := s.keys.Open(first.TokenSealed, secret.PurposeServiceToken)
	if err != nil {
		return domain.Call{}, fmt.Errorf("subscribe.Register: open the token of call %d to compare a repeated key: %w", first.ID, err)
	}
	if subtle.ConstantTimeCompare(plain, []byte(token)) != 1 {
		return domain.Call{}, fmt.Errorf("subscribe.Register: key of call %d: %w", first.ID, domain.ErrIdempotencyConflict)
	}
	return first, dup
}

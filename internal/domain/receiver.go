package domain

import (
	"crypto/rand"
	"encoding/base64"
	"strings"
)

// ReceiverPath is where ccsub's receiver listens; the platform appends
// /v100/subscribe/asrevent/asrresult to the callback URI
// (docs/gateway-contract.md §6).
const ReceiverPath = "/receiver/"

// ReceiverURL is the callback URI that makes ccsub the callback target.
func ReceiverURL(publicURL, key string) string {
	return strings.TrimRight(publicURL, "/") + ReceiverPath + key
}

// NewReceiverKey is the opaque part of a receiver URL: unguessable, so the
// URL alone does not identify or enumerate subscriptions.
func NewReceiverKey() string {
	var b [18]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

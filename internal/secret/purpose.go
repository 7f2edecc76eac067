package secret

// Purposes bind a ciphertext to its column (the AEAD's associated data):
// a value sealed for one column cannot be opened as another's.
const (
	PurposeGatewayPassword = "gateway-password"
	PurposeServiceToken    = "service-token"
	PurposeSessionKey      = "session-key"
)

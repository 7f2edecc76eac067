package domain

// retcodeMeanings restates the contract's result codes (docs/gateway-contract.md §7)
// in plain words for people who are not developers.
var retcodeMeanings = map[string]string{
	"0":       "success",
	"107-000": "cached login expired — log in again",
	"107-001": "exception inside the configuration interface",
	"107-002": "a parameter is invalid or a required one is empty",
	"107-003": "wrong administrator password (the account locks after repeated tries)",
	"107-004": "invalid administrator account",
	"107-005": "configuration interface communication failure",
	"107-007": "authentication failed before configuration",
	"107-026": "subscription failed",
	"107-027": "subscription registration failed",
	"107-028": "subscription request failed",
	"107-029": "subscription request timed out",
	"107-030": "subscription exception",
	"107-031": "cancelling the subscription failed",
	"107-032": "handshake failed",
	"107-049": "pushing a result: could not get the flow access code",
	"107-050": "pushing a result: could not get the service token",
	"107-051": "pushing a result: service token invalid",
	"107-052": "pushing a result failed",
	"107-053": "pushing a result: request exception",
	"107-054": "pushing a result: request timed out",
	"107-055": "semantic-analysis (ODFS) session init exception",
	"107-056": "semantic-analysis (ODFS) interaction exception",
	"107-057": "semantic-analysis (ODFS) disconnect exception",
	"107-106": "semantic-analysis (ODFS) initialised more than once",
	"000-000": "unknown error",
	"000-002": "wrong URL parameter or address, or an invalid parameter",
	"000-003": "no permission for the interface (authentication may have expired)",
}

// retcodeHints adds what an administrator should check for codes whose
// usual cause is configuration (docs/gateway-contract.md §8).
var retcodeHints = map[string]string{
	"107-026": "If every register fails this way, check IF_SUB_CONFIGURE=ON in the gateway's basic.properties and that the gateway is listed on the contact center's \"Manage Subscription Server\" page.",
	"107-027": "If every register fails this way, check IF_SUB_CONFIGURE=ON in the gateway's basic.properties and that the gateway is listed on the contact center's \"Manage Subscription Server\" page.",
	"107-003": "ccsub does not retry this: the gateway locks the account after repeated wrong passwords. Fix the password on the gateway page.",
	"107-004": "Check the agent ID on the gateway page.",
}

// RetcodeMeaning returns the plain-words meaning of a retcode, or "" when the
// code is not in the contract.
func RetcodeMeaning(code string) string { return retcodeMeanings[code] }

// RetcodeHint returns advice for a retcode, or "".
func RetcodeHint(code string) string { return retcodeHints[code] }

// KnownRetcodes lists the contract's codes, for filter pickers.
func KnownRetcodes() []string {
	return []string{"0", "107-000", "107-001", "107-002", "107-003", "107-004", "107-005", "107-007",
		"107-026", "107-027", "107-028", "107-029", "107-030", "107-031", "107-032",
		"107-049", "107-050", "107-051", "107-052", "107-053", "107-054", "107-055", "107-056",
		"107-057", "107-106", "000-000", "000-002", "000-003"}
}

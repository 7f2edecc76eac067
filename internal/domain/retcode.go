package domain

// RetcodeFamily says which part of the platform a retcode comes from.
type RetcodeFamily string

// The families of docs/gateway-contract.md §7.
const (
	RetcodeFamilySuccess        RetcodeFamily = "success"        // "0"
	RetcodeFamilySubscription   RetcodeFamily = "subscription"   // 107-…: the configuration and subscription interfaces, and the push path
	RetcodeFamilyAuthentication RetcodeFamily = "authentication" // 107-… codes about the login and its Guid
	RetcodeFamilyGeneral        RetcodeFamily = "general"        // 000-…: any interface of the gateway
	RetcodeFamilyAgent          RetcodeFamily = "agent"          // 100-…: the agent-side interfaces
)

// Retcode is one row of the retcode table: what the vendor says a code
// means, what ccsub does when a gateway answers it, and what an
// administrator should check (empty where there is nothing to check).
type Retcode struct {
	Code    string
	Family  RetcodeFamily
	Meaning string // the vendor's meaning, in plain words
	Action  string // what ccsub does with it
	Check   string // what an administrator should check, and whom to ask; "" when nothing
}

// What ccsub does, shared by several codes. These describe the behaviour of
// internal/gateway (classify, the new login), internal/subscribe and
// internal/keepalive; docs/gateway-contract.md §7 and §9 say the same.
const (
	actionRejected = "Recorded as rejected: the platform did not act."
	actionRelogin  = "The Guid expired or the gateway node does not know it: ccsub logs in again once and retries the call once. " +
		"If the retry gets a refusal too, that answer is what is recorded."
	actionLoginRefused = "The login is refused. ccsub never retries it automatically, because the account would lock; it remembers " +
		"the refusal in the database, for every ccsub process and across restarts, and sends nothing with this password and agent ID " +
		"until an administrator saves new ones on the gateway page or asks for one retry (\"Try the login once more\")."
	actionPushPath = actionRejected + " This code describes the platform's own push to a subscriber; it is not expected as an answer to ccsub's calls."
)

// What to check, shared by several codes.
const (
	checkRelogin = "Nothing if it happens now and then: a Guid simply expired. If calls keep failing with it right after a new login, " +
		"tell the contact center's platform team that the gateway refuses the Guids it has just issued. When several gateway nodes sit " +
		"behind a load balancer, ask them to make it send each connection to the same node (sticky sessions)."
	checkSubscriptionsEnabled = "If every register fails this way, the gateway is probably not set up for subscriptions. Ask the contact " +
		"center's platform team to check two settings: IF_SUB_CONFIGURE=ON in the gateway's basic.properties file, and that the host of " +
		"the callback address (the server that receives the results) is listed on the contact center's \"Manage Subscription Server\" page."
	checkRepeats = "If it happens again, send the time of the call and the gateway's message to the contact center's platform " +
		"team and ask them what the gateway's log says about it."
	checkSemantic = "Semantic analysis failed on the platform. Ask the contact center's platform team to check the semantic-analysis " +
		"(ODFS) service and the chatbot access code, or turn semantic analysis off for this subscription."
)

// retcodes is the one retcode table (docs/gateway-contract.md §7). Every
// view of a retcode (meaning, hint, picker) is derived from it, and a test
// keeps §7 of the contract in step with it.
var retcodes = []Retcode{
	{"0", RetcodeFamilySuccess, "success",
		"Recorded as success. A register answered without a serverId is recorded as unknown, and a login answered without a Guid as failed.",
		""},
	{"107-000", RetcodeFamilyAuthentication, "the cached login (Guid) expired; log in again", actionRelogin, checkRelogin},
	{"107-001", RetcodeFamilySubscription, "an error inside the gateway's configuration interface", actionRejected, checkRepeats},
	{"107-002", RetcodeFamilySubscription, "a parameter is invalid or a required one is empty", actionRejected,
		"Look at the request ccsub sent (in the call's details) for an empty or unusual value. For a modify, cancel or handshake, the " +
			"gateway may no longer know the serverId: look at the subscription's state. If the request looks right, send it with the " +
			"time of the call to the contact center's platform team and ask which field their gateway refuses."},
	{"107-003", RetcodeFamilyAuthentication, "wrong administrator password; the account locks after repeated tries", actionLoginRefused,
		"Ask the contact center's administrator for the current password of the configuration account (the agent ID on the gateway " +
			"page) and enter it on the gateway page. Do not try passwords one after another: every wrong try counts towards locking the " +
			"account. If it is locked already, ask them to unlock it."},
	{"107-004", RetcodeFamilyAuthentication, "invalid administrator account", actionLoginRefused,
		"Check the agent ID on the gateway page. Ask the contact center's administrator which configuration administrator ID (or VDN " +
			"account) ccsub should use, and whether that account exists and is enabled."},
	{"107-005", RetcodeFamilySubscription, "the gateway could not reach its configuration service", actionRejected,
		"If it happens again, tell the contact center's platform team that the gateway cannot reach its configuration service, with the " +
			"time of the call."},
	{"107-007", RetcodeFamilyAuthentication, "authentication failed before configuration (the Guid expired or is unknown)", actionRelogin, checkRelogin},
	{"107-026", RetcodeFamilySubscription, "subscription failed", actionRejected, checkSubscriptionsEnabled},
	{"107-027", RetcodeFamilySubscription, "subscription registration failed", actionRejected, checkSubscriptionsEnabled},
	{"107-028", RetcodeFamilySubscription, "subscription request failed", actionRejected, checkRepeats},
	{"107-029", RetcodeFamilySubscription, "the gateway's own request to the platform timed out",
		"Recorded as unknown: the platform may have acted. A register in this state becomes an unknown subscription, which is never " +
			"registered again automatically.",
		"Ask the contact center's platform team whether the platform now has the subscription (for a register: one with this callback " +
			"address; otherwise: this serverId), then settle it in ccsub to match what they found."},
	{"107-030", RetcodeFamilySubscription, "subscription exception", actionRejected, checkRepeats},
	{"107-031", RetcodeFamilySubscription, "cancelling the subscription failed",
		"Recorded as rejected. On a cancel it means the platform no longer has the subscription (it may have expired there), so no " +
			"cancel can succeed: ccsub offers to close it in ccsub only, without calling the gateway again.",
		"Usually nothing: close the subscription in ccsub when offered. If results still arrive for it afterwards, tell the contact " +
			"center's platform team its serverId and ask them to remove it on the platform."},
	{"107-032", RetcodeFamilySubscription, "handshake failed",
		"On a handshake: the subscription becomes degraded and ccsub keeps trying. It lapses only 5 minutes after its last successful " +
			"handshake (the platform's own rule), and only then may automatic re-registration register it again.",
		"If handshakes keep failing, ask whoever runs any proxy (nginx, for example) in front of the gateway to let the service_token " +
			"header through (nginx: underscores_in_headers on;), and ask the contact center's platform team whether the gateway still " +
			"has this serverId."},
	{"107-049", RetcodeFamilySubscription, "pushing a result: could not get the chatbot access code", actionPushPath,
		"Ask the contact center's platform team whether the subscription's chatbot access code exists on the platform. Correct it " +
			"with a modify, or turn semantic analysis off for this subscription."},
	{"107-050", RetcodeFamilySubscription, "pushing a result: could not get the service token", actionPushPath, checkRepeats},
	{"107-051", RetcodeFamilySubscription, "pushing a result: the service token is invalid (ccsub's receiver also answers it)", actionPushPath,
		"If results to ccsub's receiver are refused with it, check that any proxy in front of ccsub lets the service_token header " +
			"through (nginx: underscores_in_headers on;), and that the subscription's token was not changed on one side only."},
	{"107-052", RetcodeFamilySubscription, "pushing a result failed", actionPushPath,
		"Check that the callback address is reachable from the contact center's network and answers; the platform's team can tell you " +
			"from which addresses it connects."},
	{"107-053", RetcodeFamilySubscription, "pushing a result: request exception", actionPushPath, checkRepeats},
	{"107-054", RetcodeFamilySubscription, "pushing a result: the request timed out", actionPushPath,
		"Check that the callback address answers quickly and is reachable from the contact center's network."},
	{"107-055", RetcodeFamilySubscription, "semantic analysis (ODFS): session initialisation error", actionPushPath, checkSemantic},
	{"107-056", RetcodeFamilySubscription, "semantic analysis (ODFS): interaction error", actionPushPath, checkSemantic},
	{"107-057", RetcodeFamilySubscription, "semantic analysis (ODFS): disconnect error", actionPushPath, checkSemantic},
	{"107-106", RetcodeFamilySubscription, "semantic analysis (ODFS) initialised more than once", actionPushPath, checkSemantic},
	{"000-000", RetcodeFamilyGeneral, "unknown error", actionRejected, checkRepeats},
	{"000-002", RetcodeFamilyGeneral, "wrong URL, address or parameter", actionRejected,
		"Check the gateway's address on the gateway page: https, the host and the port (8043 unless the platform team says " +
			"otherwise), and no path. If it is right, ask the contact center's platform team whether this gateway offers the " +
			"subscription interfaces."},
	{"000-003", RetcodeFamilyGeneral, "no permission for the interface; the login may have expired", actionRelogin,
		"If it comes back after the new login, it is a real permission problem: ask the contact center's administrator to allow the " +
			"configuration account (the agent ID on the gateway page) to use the subscription interfaces."},
	{"100-006", RetcodeFamilyAgent, "not signed in (the agent-side interfaces' word for an expired login)", actionRelogin, checkRelogin},
}

var retcodeIndex = func() map[string]int {
	m := make(map[string]int, len(retcodes))
	for i, r := range retcodes {
		m[r.Code] = i
	}
	return m
}()

// Retcodes returns the retcode table, in the contract's order.
func Retcodes() []Retcode { return append([]Retcode(nil), retcodes...) }

// LookupRetcode returns the table's row for code; ok is false when the
// code is not in the contract.
func LookupRetcode(code string) (r Retcode, ok bool) {
	i, ok := retcodeIndex[code]
	if !ok {
		return Retcode{}, false
	}
	return retcodes[i], true
}

// RetcodeMeaning returns the plain-words meaning of a retcode, or "" when the
// code is not in the contract.
func RetcodeMeaning(code string) string { r, _ := LookupRetcode(code); return r.Meaning }

// RetcodeAction returns what ccsub does with a retcode, or "" when the
// code is not in the contract.
func RetcodeAction(code string) string { r, _ := LookupRetcode(code); return r.Action }

// RetcodeHint returns what an administrator should check for a retcode,
// or "" when there is nothing to check or the code is not in the contract.
func RetcodeHint(code string) string { r, _ := LookupRetcode(code); return r.Check }

// KnownRetcodes lists the contract's codes in the table's order, for
// filter pickers.
func KnownRetcodes() []string {
	out := make([]string, len(retcodes))
	for i, r := range retcodes {
		out[i] = r.Code
	}
	return out
}

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
	RetcodeFamilyOther          RetcodeFamily = "other"          // a prefix the contract does not name (never in the table)
)

// RetcodeFamilies are the table's families in the order the retcode pages
// list them.
var RetcodeFamilies = []RetcodeFamily{RetcodeFamilySuccess, RetcodeFamilyAuthentication, RetcodeFamilySubscription,
	RetcodeFamilyGeneral, RetcodeFamilyAgent}

// Retcode is one row of the retcode table: what the vendor says a code
// means, what ccsub does when a gateway answers it, what an administrator
// should check, and the plain-language help of its page.
//
// The words are message IDs of the "retcode" catalog area
// (internal/i18n/locales/*/retcode.toml), English and Simplified Chinese;
// the domain keeps only these stable keys, and the views translate them.
// Texts shared by several codes share one ID.
type Retcode struct {
	Code    string
	Family  RetcodeFamily
	Meaning string // the vendor's meaning, in plain words
	Action  string // what ccsub does with it
	Check   string // what an administrator should check; "" when nothing
	Help    RetcodeHelp
}

// RetcodeHelp is what a retcode's page tells someone who is not a
// developer: message IDs, like the rest of the row.
type RetcodeHelp struct {
	Happened string // what happened, in plain language
	Cause    string // the likely cause
	Who      string // whom to ask
	Tell     string // what to tell them (the page adds the code and the call's details); "" when nobody needs telling
}

// What ccsub does, shared by several codes. These describe the behaviour of
// internal/gateway (classify, the new login), internal/subscribe and
// internal/keepalive; docs/gateway-contract.md §7 and §9 say the same.
const (
	actionRejected     = "retcode.action.rejected"
	actionRelogin      = "retcode.action.relogin"
	actionLoginRefused = "retcode.action.login_refused"
	actionPushPath     = "retcode.action.push_path"
)

// What to check, shared by several codes.
const (
	checkRelogin              = "retcode.check.relogin"
	checkSubscriptionsEnabled = "retcode.check.subscriptions_enabled"
	checkRepeats              = "retcode.check.repeats"
	checkSemantic             = "retcode.check.semantic"
)

// Whom to ask.
const (
	whoNobody           = "retcode.who.nobody"
	whoPlatform         = "retcode.who.platform_team"
	whoPlatformRepeated = "retcode.who.platform_if_repeated"
	whoAdministrator    = "retcode.who.administrator"
	whoPlatformAndProxy = "retcode.who.platform_and_proxy"
	whoUsuallyNobody    = "retcode.who.usually_nobody"
)

// The help of the codes that share one story.
var (
	helpSuccess      = RetcodeHelp{"retcode.happened.success", "retcode.cause.success", whoNobody, ""}
	helpRelogin      = RetcodeHelp{"retcode.happened.relogin", "retcode.cause.relogin", whoPlatformRepeated, "retcode.tell.relogin"}
	helpGatewayError = RetcodeHelp{"retcode.happened.gateway_error", "retcode.cause.gateway_error", whoPlatformRepeated, "retcode.tell.gateway_error"}
	helpNotEnabled   = RetcodeHelp{"retcode.happened.not_enabled", "retcode.cause.not_enabled", whoPlatform, "retcode.tell.not_enabled"}
	helpPush         = RetcodeHelp{"retcode.happened.push", "retcode.cause.push", whoPlatform, "retcode.tell.push"}
	helpSemantic     = RetcodeHelp{"retcode.happened.semantic", "retcode.cause.semantic", whoPlatform, "retcode.tell.semantic"}
)

// retcodes is the one retcode table (docs/gateway-contract.md §7). Every
// view of a retcode (meaning, hint, picker, its page) is derived from it,
// and a test keeps §7 of the contract in step with it.
var retcodes = []Retcode{
	{"0", RetcodeFamilySuccess, "retcode.0.meaning", "retcode.action.success", "", helpSuccess},
	{"107-000", RetcodeFamilyAuthentication, "retcode.107_000.meaning", actionRelogin, checkRelogin, helpRelogin},
	{"107-001", RetcodeFamilySubscription, "retcode.107_001.meaning", actionRejected, checkRepeats, helpGatewayError},
	{"107-002", RetcodeFamilySubscription, "retcode.107_002.meaning", actionRejected, "retcode.check.107_002",
		RetcodeHelp{"retcode.happened.bad_parameter", "retcode.cause.bad_parameter", whoPlatform, "retcode.tell.bad_parameter"}},
	{"107-003", RetcodeFamilyAuthentication, "retcode.107_003.meaning", actionLoginRefused, "retcode.check.107_003",
		RetcodeHelp{"retcode.happened.password", "retcode.cause.password", whoAdministrator, "retcode.tell.password"}},
	{"107-004", RetcodeFamilyAuthentication, "retcode.107_004.meaning", actionLoginRefused, "retcode.check.107_004",
		RetcodeHelp{"retcode.happened.account", "retcode.cause.account", whoAdministrator, "retcode.tell.account"}},
	{"107-005", RetcodeFamilySubscription, "retcode.107_005.meaning", actionRejected, "retcode.check.107_005", helpGatewayError},
	{"107-007", RetcodeFamilyAuthentication, "retcode.107_007.meaning", actionRelogin, checkRelogin, helpRelogin},
	{"107-026", RetcodeFamilySubscription, "retcode.107_026.meaning", actionRejected, checkSubscriptionsEnabled, helpNotEnabled},
	{"107-027", RetcodeFamilySubscription, "retcode.107_027.meaning", actionRejected, checkSubscriptionsEnabled, helpNotEnabled},
	{"107-028", RetcodeFamilySubscription, "retcode.107_028.meaning", actionRejected, checkRepeats, helpGatewayError},
	{"107-029", RetcodeFamilySubscription, "retcode.107_029.meaning", "retcode.action.timeout", "retcode.check.107_029",
		RetcodeHelp{"retcode.happened.timeout", "retcode.cause.timeout", whoPlatform, "retcode.tell.timeout"}},
	{"107-030", RetcodeFamilySubscription, "retcode.107_030.meaning", actionRejected, checkRepeats, helpGatewayError},
	{"107-031", RetcodeFamilySubscription, "retcode.107_031.meaning", "retcode.action.cancel_failed", "retcode.check.107_031",
		RetcodeHelp{"retcode.happened.cancel_failed", "retcode.cause.cancel_failed", whoUsuallyNobody, "retcode.tell.cancel_failed"}},
	{"107-032", RetcodeFamilySubscription, "retcode.107_032.meaning", "retcode.action.handshake_failed", "retcode.check.107_032",
		RetcodeHelp{"retcode.happened.handshake_failed", "retcode.cause.handshake_failed", whoPlatformAndProxy, "retcode.tell.handshake_failed"}},
	{"107-049", RetcodeFamilySubscription, "retcode.107_049.meaning", actionPushPath, "retcode.check.107_049", helpPush},
	{"107-050", RetcodeFamilySubscription, "retcode.107_050.meaning", actionPushPath, checkRepeats, helpPush},
	{"107-051", RetcodeFamilySubscription, "retcode.107_051.meaning", actionPushPath, "retcode.check.107_051", helpPush},
	{"107-052", RetcodeFamilySubscription, "retcode.107_052.meaning", actionPushPath, "retcode.check.107_052", helpPush},
	{"107-053", RetcodeFamilySubscription, "retcode.107_053.meaning", actionPushPath, checkRepeats, helpPush},
	{"107-054", RetcodeFamilySubscription, "retcode.107_054.meaning", actionPushPath, "retcode.check.107_054", helpPush},
	{"107-055", RetcodeFamilySubscription, "retcode.107_055.meaning", actionPushPath, checkSemantic, helpSemantic},
	{"107-056", RetcodeFamilySubscription, "retcode.107_056.meaning", actionPushPath, checkSemantic, helpSemantic},
	{"107-057", RetcodeFamilySubscription, "retcode.107_057.meaning", actionPushPath, checkSemantic, helpSemantic},
	{"107-106", RetcodeFamilySubscription, "retcode.107_106.meaning", actionPushPath, checkSemantic, helpSemantic},
	{"000-000", RetcodeFamilyGeneral, "retcode.000_000.meaning", actionRejected, checkRepeats, helpGatewayError},
	{"000-002", RetcodeFamilyGeneral, "retcode.000_002.meaning", actionRejected, "retcode.check.000_002",
		RetcodeHelp{"retcode.happened.bad_address", "retcode.cause.bad_address", whoPlatform, "retcode.tell.bad_address"}},
	{"000-003", RetcodeFamilyGeneral, "retcode.000_003.meaning", actionRelogin, "retcode.check.000_003",
		RetcodeHelp{"retcode.happened.no_permission", "retcode.cause.no_permission", whoAdministrator, "retcode.tell.no_permission"}},
	{"100-006", RetcodeFamilyAgent, "retcode.100_006.meaning", actionRelogin, checkRelogin, helpRelogin},
}

// unknownRetcode is the row of a code the contract does not list: it is
// recorded as rejected (docs/gateway-contract.md §7), and its page says
// what its prefix tells and gives general advice.
func unknownRetcode(code string) Retcode {
	return Retcode{Code: code, Family: RetcodeFamilyOf(code), Meaning: "retcode.unknown.meaning",
		Action: "retcode.action.not_in_contract", Check: "retcode.check.unknown",
		Help: RetcodeHelp{"retcode.happened.unknown", unknownCause(code), whoPlatform, "retcode.tell.unknown"}}
}

// unknownCause is what the prefix of a code outside the table tells.
func unknownCause(code string) string {
	switch RetcodeFamilyOf(code) {
	case RetcodeFamilySubscription:
		return "retcode.cause.unknown_subscription"
	case RetcodeFamilyGeneral:
		return "retcode.cause.unknown_general"
	case RetcodeFamilyAgent:
		return "retcode.cause.unknown_agent"
	}
	return "retcode.cause.unknown_other"
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

// ExplainRetcode returns the table's row for code, or for a code the
// contract does not list, a row of general words chosen by its prefix.
// It is meant for well-formed codes (WellFormedRetcode).
func ExplainRetcode(code string) Retcode {
	if r, ok := LookupRetcode(code); ok {
		return r
	}
	return unknownRetcode(code)
}

// WellFormedRetcode reports whether code looks like a retcode (the
// contract's NNN-NNN and "0", and the like); others get no page. The shape
// is ^[0-9A-Za-z][0-9A-Za-z_-]{0,31}$: what a gateway could plausibly
// answer, short, and safe in a URL path. Written out, not a regexp: every
// row of a history page asks.
func WellFormedRetcode(code string) bool {
	if len(code) == 0 || len(code) > 32 {
		return false
	}
	for i := 0; i < len(code); i++ {
		switch c := code[i]; {
		case '0' <= c && c <= '9', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case (c == '_' || c == '-') && i > 0:
		default:
			return false
		}
	}
	return true
}

// RetcodeFamilyOf is the family a code's prefix implies: 107- codes are
// reported as subscription codes (the table alone knows which of them are
// about the login).
func RetcodeFamilyOf(code string) RetcodeFamily {
	if r, ok := LookupRetcode(code); ok {
		return r.Family
	}
	switch {
	case code == "0":
		return RetcodeFamilySuccess
	case len(code) > 4 && code[:4] == "107-":
		return RetcodeFamilySubscription
	case len(code) > 4 && code[:4] == "000-":
		return RetcodeFamilyGeneral
	case len(code) > 4 && code[:4] == "100-":
		return RetcodeFamilyAgent
	}
	return RetcodeFamilyOther
}

// KnownRetcodes lists the contract's codes in the table's order, for
// filter pickers.
func KnownRetcodes() []string {
	out := make([]string, len(retcodes))
	for i, r := range retcodes {
		out[i] = r.Code
	}
	return out
}

// Package gateway is ccsub's client for Huawei CEC CC-Gateways: C5 login
// with a per-process Guid cache, register, modify, unregister and handshake
// subscriptions, with one place that decides each call's outcome.
//
// The wire contract is docs/gateway-contract.md. Every choice that the vendor
// leaves open (its "Decision" lines) lives in this file so it is easy to find
// and change.
package gateway

import "time"

// Paths of the vendor's interfaces (docs/gateway-contract.md §1–5).
const (
	pathLogin      = "/agentgateway/resource/config/login"
	pathRegister   = "/agentgateway/resource/config/subscribe/register"
	pathModify     = "/agentgateway/resource/config/subscribe/modify"     // ?serverId=
	pathUnregister = "/agentgateway/resource/config/subscribe/unregister" // PUT
	pathHandshake  = "/agentgateway/resource/config/subscribe/handshake/" // + serverId
)

// Header names. service_token keeps the vendor's underscore and lower case:
// it is set on the header map directly so Go does not canonicalise it.
const (
	headerGuid         = "Guid"
	headerSetGuid      = "Set-GUID" // the vendor's agent-side schemes: JSESSIONID=<guid> or Guid=<guid>
	headerServiceToken = "service_token"
	contentType        = "application/json; charset=UTF-8"
)

// Retcodes the client acts on (docs/gateway-contract.md §7).
const (
	retcodeSuccess = "0"
	// Decision: these four all mean "the Guid is expired or unknown" in one
	// of the vendor's authentication schemes; on any of them an operation
	// logs in again once and is retried once.
	retcodeLoginExpired = "107-000"
	retcodeAuthFailed   = "107-007"
	retcodeNoPermission = "000-003"
	retcodeNotSignedIn  = "100-006"
	// Decision: the gateway's own "request timed out" does not say whether
	// the platform acted, so it is an unknown outcome, not a refusal.
	retcodeTimedOut = "107-029"
	// Decision: a login refused with these is never retried, because the
	// gateway locks the account after repeated wrong passwords.
	retcodeWrongPassword  = "107-003"
	retcodeInvalidAccount = "107-004"
)

// Defaults of Config.
const (
	defaultConnectTimeout = 5 * time.Second
	defaultCallTimeout    = 15 * time.Second
	defaultMaxBodyBytes   = 1 << 20
)

// redacted replaces every secret in recorded bodies and messages.
const redacted = "[redacted]"

// Decisions of docs/gateway-contract.md, in one place:
//   - Login: read result.guid, fall back to the Guid response header, then
//     to Set-GUID, stripping a JSESSIONID= or Guid= prefix.
//   - The Guid is cached per gateway (per process) and sent in header Guid.
//   - 107-000 / 107-007 / 000-003 / 100-006 from an operation: drop the Guid,
//     log in again once, retry the operation once. 107-003 / 107-004 on
//     login: never retried.
//   - Register sends exactly Content-Type and Guid: the service token goes in
//     the body only. The extended handshake's service_token is the one
//     header that carries a secret.
//   - Outcomes claim only what is known: 107-029, a 5xx, and a 2xx whose body
//     cannot be read are unknown (the platform may have acted).
//   - nlpFlag is sent as a JSON boolean; serviceToken and flowAccessCode are
//     omitted when empty.
//   - Handshake uses the extended form (POST + service_token header) when the
//     subscription has a token, the plain GET form otherwise.
//   - Answers are decoded tolerantly: retcode as string or number, scalars
//     (including booleans) as strings, Guid in body or header.

// isRelogin reports whether an operation's retcode calls for one new login
// and one retry.
func isRelogin(retcode string) bool {
	switch retcode {
	case retcodeLoginExpired, retcodeAuthFailed, retcodeNoPermission, retcodeNotSignedIn:
		return true
	}
	return false
}

// isLockingRefusal reports whether a login refusal must never be retried.
func isLockingRefusal(retcode string) bool {
	return retcode == retcodeWrongPassword || retcode == retcodeInvalidAccount
}

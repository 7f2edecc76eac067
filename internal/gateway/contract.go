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
	headerServiceToken = "service_token"
	contentType        = "application/json; charset=UTF-8"
)

// Retcodes the client acts on (docs/gateway-contract.md §7).
const (
	retcodeSuccess = "0"
	// Decision: on these two an operation logs in again once and is retried once.
	retcodeLoginExpired = "107-000"
	retcodeAuthFailed   = "107-007"
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
//   - Login: read result.guid, fall back to the Guid response header.
//   - The Guid is cached per gateway (per process) and sent in header Guid.
//   - 107-000 / 107-007 from an operation: drop the Guid, log in again once,
//     retry the operation once. 107-003 / 107-004 on login: never retried.
//   - nlpFlag is sent as a JSON boolean; serviceToken and flowAccessCode are
//     omitted when empty.
//   - Handshake uses the extended form (POST + service_token header) when the
//     subscription has a token, the plain GET form otherwise.
//   - Answers are decoded tolerantly: retcode as string or number, scalars
//     (including booleans) as strings, Guid in body or header.

// isRelogin reports whether an operation's retcode calls for one new login
// and one retry.
func isRelogin(retcode string) bool {
	return retcode == retcodeLoginExpired || retcode == retcodeAuthFailed
}

// isLockingRefusal reports whether a login refusal must never be retried.
func isLockingRefusal(retcode string) bool {
	return retcode == retcodeWrongPassword || retcode == retcodeInvalidAccount
}

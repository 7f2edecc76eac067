// Package gatewaysim simulates the subscription interfaces of a Huawei CEC
// CC-Gateway (docs/cc-gateway-api.md §1–5 and §7) over real HTTPS, with its
// own private CA, injectable faults and a request log. Other packages' tests
// use it in-process, ccsub uses it as a built-in gateway at zero-config
// start, and cmd/ccgw-sim runs it standalone with JSON control endpoints
// under /_sim/.
//
// Pushing recognition results (§6) is later work: subscriptions already keep
// their callback URI and service token for it.
//
// Decisions where the contract is silent:
//   - Checks run in this order: fault; path (404, 000-002); method (405,
//     000-002, Allow header); Content-Type application/json, any charset
//     (000-002); body over 64 KiB (107-002); Guid, except for login
//     (missing 000-003, unknown or expired 107-000); then the body fields
//     (107-002). Business failures are HTTP 200.
//   - Content-Type is required on every call, the GET handshake included.
//   - A Guid never expires on its own (no lifetime is documented); only
//     ExpireGuids does that. Guids are not tied to subscriptions.
//   - serviceCallBackUri must be an absolute http(s) URL; lengths count
//     characters, not bytes. Unknown body fields are ignored, null counts
//     as absent.
//   - modify ignores subscribeType and serviceToken, answers
//     result.serverId, and does not restart the expiry countdown; only a
//     successful handshake does.
//   - A subscription expires when Expiry has passed (at exactly Expiry it
//     is gone) since its register or last successful handshake; expiry is
//     evaluated lazily against the Clock and is final.
//   - The extended (POST) handshake needs a non-empty service_token header
//     equal to the registered token, so it always fails for a subscription
//     registered without one. A GET handshake never checks the token.
//   - An empty serverId (modify query, unregister body, handshake path) is
//     107-002.
//   - The server speaks HTTP/1.1 only, so Drop and Hang can hijack the
//     connection.
//   - Requests to /_sim/ are neither logged nor subject to faults.
package gatewaysim

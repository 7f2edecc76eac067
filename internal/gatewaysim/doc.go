// Package gatewaysim simulates the subscription interfaces of a Huawei CEC
// CC-Gateway (docs/gateway-contract.md §1–5 and §7) over real HTTPS, with its
// own private CA, injectable faults and a request log, and pushes
// recognition results (§6) to subscriptions' callbacks like the platform's
// OpenProxy, with an outbound log of its own (Pushes). Other packages'
// tests use it in-process, ccsub uses it as a built-in gateway at
// zero-config start, and cmd/ccgw-sim runs it standalone with JSON control
// endpoints under /_sim/.
//
// Clocks: ManualClock moves only when told; ScaledClock runs N times faster
// than real time (and can also jump), for keep-alive tests that must watch
// a real expiry happen. Both can be moved through /_sim/clock/advance.
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
//   - After expiry a subscription answers exactly as a cancelled or unknown
//     one (the vendor has no "expired" code, and a dropped task is gone from
//     the platform): handshake, both forms, 107-032 (its own failure code);
//     unregister 107-031 (its own failure code); modify 107-002, since the
//     vendor lists no modify-specific failure and the serverId parameter
//     names no live task. It must be registered again, with a new serverId.
//   - Pushes (§6): POST <serviceCallBackUri>/v100/subscribe/asrevent/asrresult
//     (joined as a path, a query on the callback URI kept), Content-Type
//     application/json; charset=UTF-8, header "service_token" spelled so on
//     the wire and left out when the subscription has no token. The body is
//     the lower-case §6 fields, all strings except result[].confidence (a
//     JSON number; the vendor does not pin it); nlpResult is present only
//     when the subscription has nlpFlag and its content is a stand-in.
//     Only active subscriptions are pushed to (ErrNoActiveSubscription).
//   - The push client verifies TLS 1.2+ against Config.PushRoots (nil: the
//     system roots) and never uses a proxy. Plain http:// callbacks are
//     pushed to only when the host is a loopback IP or "localhost", so tests
//     can receive on httptest without a certificate; any other http://
//     callback fails with ErrInsecureCallback and nothing is sent. Redirects
//     are not followed (the 3xx is the answer); Config.PushTimeout bounds a
//     push; at most 64 KiB of the answer is read. A non-2xx answer is a
//     Status, not an Err. Stream and -push-every pacing is real time, not
//     the Clock; Close and Shutdown end every push and stream.
//   - Every PushTo is logged in Pushes, also those that sent nothing; the
//     log keeps the newest 10,000. Service tokens are never in it.
//   - The server speaks HTTP/1.1 only, so Drop and Hang can hijack the
//     connection.
//   - Requests to /_sim/ are neither logged nor subject to faults.
//   - NewScaledClock panics on a factor that is not positive and finite.
package gatewaysim

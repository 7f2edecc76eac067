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
// # Strict by default
//
// The simulator is the strictest gateway we know of: every behaviour the
// vendor documents is on unless switched off. Each rule is a field of
// Config (read once by New), of Rules (Sim.Rules, SetRules, UpdateRules,
// SetExpiredCode change them while it runs; each request is judged by the
// rules in force when it arrives), of GET/POST /_sim/config, and a
// ccgw-sim flag:
//
//	Config / Rules field  default       /_sim/config         ccgw-sim flag          behaviour
//	GuidIdle              30m           guidIdle             -guid-idle             a Guid unused this long on the Clock expires (at exactly GuidIdle); negative ("never"): never
//	ExpiredCode           "107-000"     expiredCode          -expired-code          answer to an expired or never-issued Guid: 107-000, 107-007, 000-003 or 100-006
//	GuidIn                "body"        guidIn               -guid-in               where login puts the Guid: body (result.guid only), body+header,
//	                                                                               header ("Guid" only), set-guid-jsessionid ("Set-GUID: JSESSIONID=<guid>"),
//	                                                                               set-guid-guid ("Set-GUID: Guid=<guid>"); in the header modes result is {}
//	LaxAgentID            false         laxAgentId           -lax-agent-id          true: any integer agentId, any non-empty password
//	IFSubConfigureOff     false (ON)    ifSubConfigure       -if-sub-configure      IF_SUB_CONFIGURE off: every register answers 107-026
//	SubscriptionServers   none          subscriptionServers  -subscription-server   callback hosts register/modify accept, else 107-027; "*": any host
//	AllowHTTPLoopback     false         allowHttpLoopback    -allow-http-loopback   also accept http:// callbacks to a loopback IP literal or "localhost"
//	LaxCallbacks          false         laxCallbacks         -lax-callbacks         accept any absolute http(s) callback of at most 200 characters
//	LaxHandshakeToken     false         laxHandshakeToken    -lax-handshake-token   do not check a GET handshake's service_token header
//
// Only the console's built-in simulator and the test harnesses set
// AllowHTTPLoopback, so the zero-configuration console, whose receiver is
// http://127.0.0.1:PORT, keeps working. ExpireGuids expires every Guid at
// once, so tests need neither sleeps nor clock jumps for it.
//
// Faults (Fault, POST /_sim/faults) make single requests misbehave the way
// a real network and gateway do: Retcode, HTTPStatus, Delay, Hang (no
// answer), Drop (connection closed after the request was read), Malformed
// (200, not JSON), Truncate (headers and half the JSON body, then the
// connection closes), HTML (an nginx error page, text/html, 502 or the
// HTTPStatus given), Redirect (3xx with a Location under RedirectPrefix),
// NumericRetcode (retcode as a JSON number), NoResult (success without
// result), ResultAs (a result that is a string, array or number), Oversize
// (valid JSON of OversizeBytes, over the client's 1 MiB cap). Processed
// makes the gateway act before the answer is delayed or broken;
// TimedOutRegister is a register answered 107-029 after a delay whose
// subscription was created all the same. See Fault for the order.
//
// The request log (Requests, RequestsFor, Counts, HandshakesFor,
// WaitRequests, GET /_sim/requests with secrets redacted) keeps every
// request's method, path, query, headers (Request.HeaderNames), body and
// answer, so tests can assert exactly what each request carried and how
// many each operation received. A request is logged once its body has been
// read, before a fault delays or hangs it; with a Processed fault, once the
// gateway has acted on it, so waiting for it in the log also waits for its
// effect.
//
// Decisions where the contract is silent:
//   - Checks run in this order: fault; path (404, 000-002); method (405,
//     000-002, Allow header); Content-Type application/json, any charset
//     (000-002); body over 64 KiB (107-002); Guid, except for login
//     (missing 000-003, expired or never issued Rules.ExpiredCode); then the
//     operation (IF_SUB_CONFIGURE for register, then the body fields,
//     107-002, then the subscription-server list, 107-027). Business
//     failures are HTTP 200.
//   - Content-Type is required on every call, the GET handshake included.
//   - A Guid lives until it has not been used for GuidIdle on the Clock
//     (each authorised request is a use), or until ExpireGuids. Guids are
//     not tied to subscriptions; an expired one never comes back.
//   - login: agentId must be a JSON integer (else 107-002) in 1–1,999,999,
//     a work ID or a VDN account (else 107-004); password a non-empty
//     string (else 107-002) of at most 256 characters (else 107-002); then
//     unknown account 107-004, wrong password 107-003.
//   - serviceCallBackUri: at most 200 characters (counted as characters,
//     not bytes), absolute with a host, https, without user info, query
//     string or fragment, else 107-002 with a message naming the problem.
//     Its host (a name, compared case-insensitively, or an IP, compared as
//     an address; never the port) must be a subscription server, else
//     107-027. Unknown body fields are ignored, null counts as absent.
//   - modify ignores subscribeType and serviceToken, answers
//     result.serverId, and does not restart the expiry countdown; only a
//     successful handshake does.
//   - A subscription expires when Expiry has passed (at exactly Expiry it
//     is gone) since its register or last successful handshake; expiry is
//     evaluated lazily against the Clock and is final.
//   - Handshake tokens: the extended (POST) handshake needs exactly one
//     non-empty service_token header equal to the registered token, so it
//     always fails for a subscription registered without one. A GET
//     handshake that carries a service_token header (any spelling of the
//     name) is held to the same rule; a GET without it is not checked.
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

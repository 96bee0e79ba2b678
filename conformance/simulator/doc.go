// Package simulator is a spec-faithful Creditsafe CONNECT server for tests and for
// teams that want to point their own clients at something that behaves like the
// vendor: POST /v1/authenticate issues RS256 JWTs, GET /datecheck/company accepts
// them until they expire, and every documented error shape and limit is
// reproduced. It implements the server interface oapi-codegen generates from
// openapi.yaml and datecheck.yaml (gen/server, gen/datecheckserver), so the spec
// drives both the client and this server.
//
// Every rule traces to the vendor documents (see openapi.yaml):
//   - missing or empty username or password: 401 (documented);
//   - a body that cannot be read (malformed JSON, not an object, a field of the
//     wrong type, invalid UTF-8, not application/json, over 64 KiB): 400 with an
//     empty body and no Content-Type ("empty or minimal");
//   - well-formed but wrong credentials, including ones longer than the 30
//     characters the spec allows: 401, as text/plain or JSON {"message"} (both are
//     documented; see Format);
//   - more than 5 identical invalid requests within 2 minutes: 429 for those
//     identical requests only; a different invalid request still gets 401 and the
//     valid credentials still get a token;
//   - more than TotalLimit authenticate requests (default 10,000) within 5 minutes,
//     429s included: the endpoint answers 429 to everything for 5 minutes;
//   - 429 and 500 carry the JSON envelope {"error":{"code","text","detail"}}, and
//     429 a Retry-After in seconds;
//   - a token past its lifetime on GET /datecheck/company: 403 "Token Expired", as
//     text, the envelope or {"error"} (see Format);
//     a missing, forged or malformed token: 401 {"error":"Invalid token."}.
//
// The clock is injectable (Options.Now, ManualClock), so lockouts and expiry are
// tested without waiting. Faults (5xx bursts, latency, dropped connections,
// shortened token lifetimes, an inactive account, a low total limit) and the
// response formats are switched at run time.
// Counters are read with Stats, or from outside the process with GET /_sim/stats;
// POST /_sim/faults injects faults and chooses formats from outside (FaultRequest),
// POST /_sim/clock moves the clock forward (ClockRequest; Advance in process) and
// POST /_sim/reset clears state. The /_sim/ paths are not part of the contract;
// they have an OpenAPI document of their own, control.openapi.yaml (ControlSpec),
// served at GET /_sim/openapi.yaml.
package simulator

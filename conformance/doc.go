// Package conformance checks HTTP exchanges with Creditsafe CONNECT against
// the project's contract (openapi.yaml and datecheck.yaml, each exchange against the
// document that holds its path).
//
// Its Transport is an http.RoundTripper that validates every request and response
// with kin-openapi's openapi3filter (undocumented statuses included, every problem
// reported) and either fails (NewTestTransport, Strict) or only records what it found
// (OnExchange) without changing what the caller receives. Routes are matched by path
// alone, so the same spec checks traffic to loopback test servers, the sandbox, the
// live service and a Prism proxy.
//
// Violations never carry the password or the token: schema errors are rendered
// without the offending value, and every secret seen in the exchange (the request's
// password, the bearer token, a token in a response) is scrubbed from messages.
//
// The simulator that speaks the contract lives in conformance/simulator, and the
// scenario suite behind `make conformance` in conformance/suite.
package conformance

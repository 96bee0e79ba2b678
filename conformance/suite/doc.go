// Package suite is the conformance suite behind `make conformance` and
// `csconnect conformance`: scenarios for every documented behaviour of Creditsafe
// CONNECT authentication, each run against the simulator (or, in live mode, the
// real service) with every exchange validated against the contract.
//
// A scenario passes when its own checks pass and every exchange it made conforms.
// Scenarios drive the wire directly where the point is the server's behaviour
// (error shapes, limits), and drive the client stack (Config.Stack) where the
// point is the client's (preflight, refresh, fault recovery); the stack is a small
// seam so the suite can check any client built on csconnect.
package suite

// Package agent is `csconnect agent`: a loopback HTTP proxy that forwards requests
// under configured prefixes to Creditsafe with a bearer token attached, so programs
// in any language reach the services with no token code at all.
//
// Requests go through the library's Authenticator → Cache → Transport (lib.go is the
// one place that names pkg/csconnect's API): one authenticate call per token lifetime
// for every client of the agent, one replay on Token Expired and never on another
// 403, retries only for idempotent requests. The agent refuses, with a 4xx and
// without contacting Creditsafe, what a proxy must not pass on: a client's own
// Authorization, a Host that is not the agent's, hop-by-hop tricks (Upgrade,
// Connection naming end-to-end headers), conflicting framing, paths that escape
// their prefix, oversized headers and bodies. Errors it makes itself are
// application/problem+json (RFC 9457) with a code named after the library's
// sentinel errors; openapi.yaml documents its own endpoints under /_agent/.
package agent

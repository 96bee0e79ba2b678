// Package csconnect is the handwritten client layer over the generated Creditsafe
// CONNECT client: credential preflight, typed errors, the lockout guard, the token
// cache and refresh, and the HTTP transport that attaches and renews tokens.
//
// Every behaviour traces to the vendor documents summarised in openapi.yaml at the
// repository root. Secrets (the password and the token) never appear in errors, logs,
// or formatted output of any value this package returns.
package csconnect

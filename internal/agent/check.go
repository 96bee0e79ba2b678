package agent

import (
	"net/http"
	"net/textproto"
	"strings"
)

// checkRequest refuses what a proxy holding a token must not pass on. It returns a
// problem code and detail, or "" when r may go on. net/http has already refused
// malformed framing (two different Content-Lengths, an unknown Transfer-Encoding)
// and oversized headers (431) before the handler runs.
func checkRequest(r *http.Request) (code, detail string) {
	h := r.Header
	if _, ok := h["Authorization"]; ok {
		return codeClientAuth, "do not send Authorization: the agent authenticates every request itself"
	}
	if _, ok := h["Proxy-Authorization"]; ok {
		return codeHopByHop, "Proxy-Authorization is not accepted"
	}
	if _, ok := h["Upgrade"]; ok {
		return codeHopByHop, "protocol upgrades (Upgrade) are not forwarded"
	}
	if _, ok := h["Trailer"]; ok || len(r.Trailer) > 0 {
		// Trailers are headers sent after the body, past every check above
		// (net/http moves a declared Trailer into r.Trailer).
		return codeHopByHop, "request trailers (Trailer) are not forwarded"
	}
	if _, ok := h["Proxy-Connection"]; ok {
		return codeHopByHop, "Proxy-Connection is not accepted"
	}
	for _, v := range h["Connection"] {
		for tok := range strings.SplitSeq(v, ",") {
			tok = textproto.TrimString(tok)
			if tok != "" && !strings.EqualFold(tok, "keep-alive") && !strings.EqualFold(tok, "close") {
				return codeHopByHop, "Connection may name only keep-alive or close, not end-to-end headers"
			}
		}
	}
	// A request with both Transfer-Encoding and Content-Length is how requests are
	// smuggled past a proxy that trusts one to a server that trusts the other.
	// net/http deletes the Content-Length of a chunked request before the handler
	// runs, so ServeHTTP refuses such heads from framedConn's record (framing.go);
	// this catches a server that keeps it.
	if len(r.TransferEncoding) > 0 {
		if _, ok := h["Content-Length"]; ok {
			return codeFraming, "Content-Length and Transfer-Encoding together are refused"
		}
	}
	if code, detail := checkPath(r.URL.EscapedPath(), r.URL.Path); code != "" {
		return code, detail
	}
	return "", ""
}

// checkPath refuses paths that could escape their prefix after decoding: dot
// segments (plain or percent-encoded), encoded slashes and backslashes, NUL,
// path parameters (;), empty segments.
func checkPath(escaped, decoded string) (code, detail string) {
	if !strings.HasPrefix(escaped, "/") {
		return codeBadPath, "the path must start with /"
	}
	lower := strings.ToLower(escaped)
	for _, bad := range []string{"%2f", "%5c", "%2e", "%00", "\\"} {
		if strings.Contains(lower, bad) {
			return codeBadPath, "encoded slashes, dots, backslashes and NUL are refused in paths"
		}
	}
	// Servlet containers drop a segment's ";parameters" before resolving dot
	// segments, so /connect/..;/x reaches /x there; Creditsafe's paths have none.
	if strings.Contains(lower, ";") || strings.Contains(lower, "%3b") {
		return codeBadPath, "path parameters (;) are refused in paths"
	}
	if hasDotSegment(escaped) || hasDotSegment(decoded) || strings.Contains(escaped, "//") {
		return codeBadPath, "dot segments and empty segments are refused in paths"
	}
	return "", ""
}

// hasDotSegment reports whether p has a "." or ".." segment.
func hasDotSegment(p string) bool {
	for seg := range strings.SplitSeq(p, "/") {
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

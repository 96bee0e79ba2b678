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
func checkRequest(r *http.Request, escapedPath string) (code, detail string) {
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
	return checkPath(escapedPath)
}

// Problems of checkPath.
const (
	detailPathStart    = "the path must start with /"
	detailPathEncoded  = "encoded slashes, dots, backslashes and NUL are refused in paths"
	detailPathParams   = "path parameters (;) are refused in paths"
	detailPathSegments = "dot segments and empty segments are refused in paths"
)

// checkPath refuses an escaped path (url.URL.EscapedPath) that could escape its
// prefix once decoded: dot segments, empty segments, encoded slashes, dots and
// backslashes, backslashes, NUL, and path parameters (";": servlet containers drop
// a segment's parameters before resolving dot segments, so /connect/..;/x reaches
// /x there; Creditsafe's paths have none). With %2e and %2f refused, the decoded
// path has a dot segment only where the escaped one does. One pass, no allocation:
// it runs on every request.
func checkPath(escaped string) (code, detail string) {
	if !strings.HasPrefix(escaped, "/") {
		return codeBadPath, detailPathStart
	}
	seg := 1 // where the current segment starts
	for i := 1; i <= len(escaped); i++ {
		if i < len(escaped) {
			switch escaped[i] {
			case '%':
				if i+2 >= len(escaped) {
					return codeBadPath, detailPathEncoded // not a valid escape: EscapedPath makes none
				}
				switch [2]byte{escaped[i+1], escaped[i+2] | 0x20} {
				case [2]byte{'2', 'f'}, [2]byte{'5', 'c'}, [2]byte{'2', 'e'}, [2]byte{'0', '0'}:
					return codeBadPath, detailPathEncoded
				case [2]byte{'3', 'b'}:
					return codeBadPath, detailPathParams
				}
				continue
			case '\\':
				return codeBadPath, detailPathEncoded
			case ';':
				return codeBadPath, detailPathParams
			case '/':
			default:
				continue
			}
		}
		// escaped[seg:i] is a whole segment; an empty one is fine only last ("/x/").
		switch escaped[seg:i] {
		case ".", "..":
			return codeBadPath, detailPathSegments
		case "":
			if i < len(escaped) {
				return codeBadPath, detailPathSegments
			}
		}
		seg = i + 1
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

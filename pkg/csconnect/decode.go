package csconnect

import (
	"bytes"
	"cmp"
	"encoding/json"
	"html"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// endpoint says which kind of call answered: the same status means different things
// from authenticate (a 401 is a rejected password) and from a service (a 401 is an
// expired token).
type endpoint int

const (
	serviceEndpoint endpoint = iota
	authenticateEndpoint
)

// maxFieldRunes caps each text field decoded from an error body.
const maxFieldRunes = 1000

// decodeServiceError is CheckResponse's decoder: it reads at most maxErrorBody bytes,
// restores resp.Body for the caller, and classifies the answer of a service call.
func decodeServiceError(resp *http.Response) *APIError {
	body := peekBody(resp, maxErrorBody)
	e := decodeError(serviceEndpoint, resp.StatusCode, reasonPhrase(resp), resp.Header, body, time.Now())
	if req := resp.Request; req != nil {
		e.Endpoint = endpointName(req.Method, req.URL)
		if tok, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer "); ok {
			r := newRedactor(strings.TrimSpace(tok))
			r.apiError(e)
			e.Endpoint = r.string(e.Endpoint) // the caller's URL: a token in its path goes whole
		}
	}
	return e
}

// endpointName is "METHOD scheme://host/path": no user info, query or fragment, which
// may carry secrets or personal data.
func endpointName(method string, u *url.URL) string {
	if u == nil {
		return method
	}
	clean := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}
	return method + " " + clean.String()
}

// decodeError builds the *APIError for a non-success answer from its status, headers
// and (already capped) body, whichever documented shape the body has. It never
// panics and never fails: an unknown shape keeps its text as the message.
func decodeError(ep endpoint, status int, reason string, h http.Header, body []byte, now time.Time) *APIError {
	f := parseErrorBody(h.Get("Content-Type"), body)
	f.reason = reason
	e := &APIError{
		StatusCode: status,
		Code:       f.code,
		Message:    f.message,
		Detail:     f.detail,
		Hint:       f.hint,
		RequestID:  f.requestID,
		Body:       bytes.Clone(body),
		Header:     h.Clone(),
	}
	if e.RequestID == "" {
		e.RequestID = requestIDFromHeader(h)
	}
	e.RetryAfter, _ = parseRetryAfter(h.Get("Retry-After"), now)
	e.kind = classify(ep, status, f, h.Get("WWW-Authenticate"))
	return e
}

// requestIDHeaders are the headers servers commonly put a request ID in.
var requestIDHeaders = []string{"X-Request-Id", "X-Correlation-Id", "Correlation-Id", "Request-Id", "X-Amzn-Requestid", "X-Trace-Id"}

func requestIDFromHeader(h http.Header) string {
	for _, k := range requestIDHeaders {
		if v := h.Get(k); v != "" {
			return oneLine(v, maxCodeRunes)
		}
	}
	return ""
}

// errorFields is what an error body says, whatever its shape.
type errorFields struct {
	code, message, detail, hint, requestID string
	reason                                 string // the status line's reason phrase
}

// reasonPhrase is the text after the code in resp's status line ("Token Expired" in
// "403 Token Expired"), which may say what the body does not.
func reasonPhrase(resp *http.Response) string {
	return strings.TrimSpace(strings.TrimPrefix(resp.Status, strconv.Itoa(resp.StatusCode)))
}

// parseErrorBody reads every documented shape: the Creditsafe envelope
// {"error":{"code","text","detail"}}, {"message"}, {"error":"…"}, the flat
// {"error","message","error_description","hint","context"} catalogue, iDenfy's
// {"identifier","message"}, {"correlationId","message","details"}, RFC 9457
// problem+json, plain text, HTML and an empty body.
func parseErrorBody(contentType string, body []byte) errorFields {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return errorFields{}
	}
	mediaType, _, _ := mime.ParseMediaType(contentType)
	switch {
	case trimmed[0] == '{':
		var obj map[string]json.RawMessage
		if json.Unmarshal(trimmed, &obj) == nil {
			return fieldsFromObject(obj)
		}
	case trimmed[0] == '"':
		var s string
		if json.Unmarshal(trimmed, &s) == nil {
			return errorFields{message: oneLine(s, maxFieldRunes)}
		}
	case mediaType == "text/html" || mediaType == "application/xhtml+xml" || trimmed[0] == '<':
		return errorFields{message: htmlTitle(trimmed)}
	}
	return errorFields{message: oneLine(string(trimmed), maxFieldRunes)}
}

// fieldsFromObject maps the keys of a JSON error object (matched case-insensitively)
// onto errorFields. Where shapes overlap, the more specific key wins.
func fieldsFromObject(raw map[string]json.RawMessage) errorFields {
	obj := make(map[string]json.RawMessage, len(raw))
	for k, v := range raw {
		if lk := strings.ToLower(k); obj[lk] == nil {
			obj[lk] = v
		}
	}
	var f errorFields
	var errText string // {"error": "…"} that reads as a sentence, not an identifier
	if v, ok := obj["error"]; ok {
		var env map[string]json.RawMessage
		if json.Unmarshal(v, &env) == nil && env != nil {
			inner := make(map[string]json.RawMessage, len(env))
			for k, v := range env {
				inner[strings.ToLower(k)] = v
			}
			f.code = jsonText(inner["code"])
			f.message = cmp.Or(jsonText(inner["text"]), jsonText(inner["message"]))
			f.detail = jsonText(inner["detail"])
		} else if s := jsonText(v); identifierRE.get().MatchString(s) {
			f.code = s
		} else {
			errText = s
		}
	}
	f.code = cmp.Or(f.code, jsonText(obj["identifier"]), jsonText(obj["code"]))
	if t := jsonText(obj["type"]); t != "" && t != "about:blank" {
		f.code = cmp.Or(f.code, t) // RFC 9457: the problem type identifies the error
	}
	f.message = cmp.Or(f.message, jsonText(obj["message"]), jsonText(obj["title"]), errText, jsonText(obj["error_description"]))
	desc := jsonText(obj["error_description"])
	if desc == f.message {
		desc = ""
	}
	f.detail = cmp.Or(f.detail, jsonText(obj["detail"]), desc, jsonText(obj["details"]))
	f.hint = jsonText(obj["hint"])
	f.requestID = cmp.Or(jsonText(obj["correlationid"]), jsonText(obj["correlation_id"]),
		jsonText(obj["requestid"]), jsonText(obj["request_id"]), jsonText(obj["traceid"]))
	return f
}

// identifierRE matches a machine identifier ("INVALID_CLIENT", "invalid_request"),
// as opposed to a sentence ("Invalid token.").
var identifierRE = &lazyRegexp{expr: `^[A-Za-z][A-Za-z0-9_.:-]*$`}

// jsonText returns a JSON string's value, a number's or bool's literal, or an object
// or array as compact JSON; null and absent values give "". Flattened and capped.
func jsonText(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || string(v) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return oneLine(s, maxFieldRunes)
	}
	var buf bytes.Buffer
	if json.Compact(&buf, v) == nil {
		return oneLine(buf.String(), maxFieldRunes)
	}
	return ""
}

var (
	htmlTitleRE = &lazyRegexp{expr: `(?is)<title[^>]*>(.*?)</title>`}
	htmlH1RE    = &lazyRegexp{expr: `(?is)<h1[^>]*>(.*?)</h1>`}
	htmlTagRE   = &lazyRegexp{expr: `(?s)<[^>]*>`}
)

// htmlTitle extracts a readable message from an HTML error page: its <title>, else
// its first <h1>, else its text.
func htmlTitle(b []byte) string {
	for _, re := range []*regexp.Regexp{htmlTitleRE.get(), htmlH1RE.get()} {
		if m := re.FindSubmatch(b); m != nil {
			if s := oneLine(html.UnescapeString(string(htmlTagRE.get().ReplaceAll(m[1], nil))), maxFieldRunes); s != "" {
				return s
			}
		}
	}
	return oneLine(html.UnescapeString(string(htmlTagRE.get().ReplaceAll(b, []byte(" ")))), maxFieldRunes)
}

var (
	// tokenExpiredRE: the texts that say a bearer token expired ("Token Expired",
	// "Authorization Token has either expired or is not a valid Connect
	// Authorization Token", TOKEN_EXPIRED).
	tokenExpiredRE = &lazyRegexp{expr: `(?i)token[ _-]?(has[ _-]?|is[ _-]?)?expired|expired[ _-]?token|authorization token has either expired|not a valid connect authorization token`}
	// tokenExpiredFieldRE: a field (code, message or detail, or the reason phrase)
	// that begins by saying the token expired ("Token Expired", "Token Expired: …",
	// TOKEN_EXPIRED). A 403 is renewed and replayed only on this: a 403 is also how
	// the Sweden services refuse a company, and a replay there could bill twice, so a
	// mention further on ("Access forbidden: expired token cannot access company")
	// is not enough.
	tokenExpiredFieldRE = &lazyRegexp{expr: `(?i)^[\s\pP]*(((the|your)\s+)?((bearer|access|auth(orization)?)[\s_-]+)?token[\s_-]*((has|is)[\s_-]*)?(been[\s_-]*)?expired|expired[\s_-]*token|authorization token has either expired)([\s\pP]|$)`}
	// tokenInvalidRE: the texts that say a bearer token is invalid, which Connect
	// services send for an expired token ("Invalid token.", INVALID_TOKEN,
	// RFC 6750 invalid_token).
	tokenInvalidRE = &lazyRegexp{expr: `(?i)invalid[ _-]?token`}
	// outOfCreditsRE: a body saying the account ran out of credits, which is not a
	// rate limit. Word boundaries keep "Creditsafe" and "credit check" out.
	outOfCreditsRE = &lazyRegexp{expr: `(?i)\b(out of|no|insufficient|not enough|zero)\s+(\w+\s+)?credits?\b`}
)

// classify picks the sentinel for a decoded error. The status decides, and the body
// refines it where the status alone is ambiguous: a 403 that says the token expired
// versus one that rejects a company, a 429 that is really an empty credit balance.
func classify(ep endpoint, status int, f errorFields, wwwAuth string) error {
	code := strings.ToUpper(f.code)
	text := f.code + " " + f.message + " " + f.detail
	credits := status == http.StatusPaymentRequired || outOfCreditsRE.get().MatchString(text)
	serverCode := code == "API_EXCEPTION" || code == "INTERNAL_ERROR"
	if ep == authenticateEndpoint {
		switch {
		case status == http.StatusBadRequest:
			return ErrBadRequest
		case status == http.StatusUnauthorized, status == http.StatusNotFound && code == "USER_NOT_FOUND":
			return ErrInvalidCredentials
		case status == http.StatusForbidden:
			return ErrAccountInactive
		case credits:
			return ErrOutOfCredits
		case status == http.StatusTooManyRequests:
			return ErrLockedOut
		case status >= 500, serverCode:
			return ErrServer
		}
		return ErrContract // not a status the contract documents for authenticate
	}
	switch {
	case status == http.StatusBadRequest:
		return ErrBadRequest
	case status == http.StatusUnauthorized:
		if tokenExpiredRE.get().MatchString(text) || tokenInvalidRE.get().MatchString(text) ||
			strings.Contains(strings.ToLower(wwwAuth), `error="invalid_token"`) {
			return ErrTokenExpired
		}
		return ErrUnauthorized
	case status == http.StatusForbidden:
		for _, field := range []string{f.code, f.message, f.detail, f.reason} {
			if tokenExpiredFieldRE.get().MatchString(field) {
				return ErrTokenExpired
			}
		}
		return ErrForbidden
	case credits:
		return ErrOutOfCredits
	case code == "PARTNER_CONTRACT_ERROR", code == "PERMISSIONS_ERROR":
		return ErrForbidden // the contract or permissions refuse it: waiting will not help
	case status == http.StatusTooManyRequests, code == "TOO_MANY_ATTEMPTS", code == "TOO_MANY_REQUESTS":
		return ErrRateLimited
	case status >= 500, serverCode:
		return ErrServer
	}
	return nil
}

// lazyRegexp compiles expr on first use: these expressions serve error paths only,
// so a program that never sees an error does not pay for them at start. A
// lazyRegexp literal is static data: no allocation or code at package init.
type lazyRegexp struct {
	expr string
	once sync.Once
	re   *regexp.Regexp
}

func (l *lazyRegexp) get() *regexp.Regexp {
	l.once.Do(func() { l.re = regexp.MustCompile(l.expr) })
	return l.re
}

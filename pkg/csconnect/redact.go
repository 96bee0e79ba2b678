package csconnect

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

const (
	// maxMessageRunes caps vendor text copied into Error(): enough for every
	// documented message (the longest, the 401 "Access denied - …", is ~230).
	maxMessageRunes = 300
	// maxCodeRunes caps codes and request IDs in Error().
	maxCodeRunes = 80
	redacted     = "[redacted]"
)

// redactor removes secrets (the password, the token) from text a server sent back,
// in the forms a server could echo them: as is, JSON-escaped and URL-encoded.
type redactor []string

// newRedactor returns a redactor for the non-empty secrets.
func newRedactor(secrets ...string) redactor {
	var r redactor
	for _, s := range secrets {
		if s == "" {
			continue
		}
		r = append(r, s)
		if j, err := json.Marshal(s); err == nil {
			if e := string(j[1 : len(j)-1]); e != s {
				r = append(r, e)
			}
		}
		if q := url.QueryEscape(s); q != s {
			r = append(r, q)
		}
	}
	return r
}

func (r redactor) string(s string) string {
	for _, secret := range r {
		s = strings.ReplaceAll(s, secret, redacted)
	}
	return s
}

func (r redactor) bytes(b []byte) []byte {
	for _, secret := range r {
		b = bytes.ReplaceAll(b, []byte(secret), []byte(redacted))
	}
	return b
}

// apiError redacts every text field of e in place.
func (r redactor) apiError(e *APIError) {
	if len(r) == 0 || e == nil {
		return
	}
	decodedHadSecret := false
	for _, f := range []*string{&e.Code, &e.Message, &e.Detail, &e.Hint, &e.RequestID, &e.WWWAuthenticate, &e.Endpoint} {
		if red := r.string(*f); red != *f {
			*f, decodedHadSecret = red, true
		}
	}
	e.Body = r.bytes(e.Body)
	if t := bytes.TrimSpace(e.Body); decodedHadSecret && len(t) > 0 && (t[0] == '{' || t[0] == '[') {
		// A JSON body echoed a secret, and may spell it in an escaping we cannot
		// predict (\u002B from another JSON encoder): keep none of it. (A text body
		// is the decoded text itself, which the replacement above has cleaned.)
		e.Body = []byte(redacted)
	}
	for k, vs := range e.Header {
		for i, v := range vs {
			e.Header[k][i] = r.string(v)
		}
	}
}

// oneLine flattens s to one line of printable text (control characters and runs of
// white space become one space, invalid UTF-8 becomes U+FFFD) and caps it at max
// runes, so a hostile body cannot forge log lines or flood an error string.
func oneLine(s string, max int) string {
	var b strings.Builder
	n, space := 0, false
	for _, r := range strings.TrimSpace(s) {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == utf8.RuneError || unicode.Is(unicode.Cf, r) {
			space = b.Len() > 0
			continue
		}
		if n >= max {
			b.WriteString("…")
			break
		}
		if space {
			b.WriteByte(' ')
			n++
			space = false
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

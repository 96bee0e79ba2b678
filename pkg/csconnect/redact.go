package csconnect

import (
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/csconnect/csconnect/internal/secret"
)

const (
	// maxMessageRunes caps vendor text copied into Error(): enough for every
	// documented message (the longest, the 401 "Access denied - …", is ~230).
	maxMessageRunes = 300
	// maxCodeRunes caps codes and request IDs in Error().
	maxCodeRunes = 80
	redacted     = secret.Marker
	// cappedTail is how much of a body cut at maxErrorBody is dropped: more than the
	// longest password (30 characters) in its longest escaping (~15 bytes a
	// character, e.g. %26%2365533%3B), so no prefix of it survives the cut.
	cappedTail = 1 << 10
)

// redactor removes secrets (the password, the token) from what a server sent back,
// with the mechanism the conformance packages share (internal/secret): a value that
// holds a secret in any escaping (raw, JSON, HTML, URL, nested) is replaced whole, and
// an occurrence inside the vendor's fixed text is not an echo, so a short or common
// password never rewrites that text.
type redactor struct{ r *secret.Redactor }

// newRedactor returns a redactor for the non-empty secrets.
func newRedactor(secrets ...string) redactor {
	return redactor{secret.New(secret.VendorText, secrets...)}
}

// string returns s, or "[redacted]" when s holds a secret.
func (r redactor) string(s string) string { return r.r.Value(s) }

// apiError redacts e in place: every text field that holds a secret becomes
// "[redacted]", the body keeps its JSON structure with each value that holds one
// replaced (any other body that holds one is dropped), and so do header values. The
// Endpoint is left alone: it is built from the configured URL, not from the answer.
func (r redactor) apiError(e *APIError) {
	if r.r.Empty() || e == nil {
		return
	}
	if n := len(e.Body) - cappedTail; n >= maxErrorBody-cappedTail {
		// The read was capped, perhaps inside an echoed secret: drop the tail in which
		// its first characters, in any escaping, could sit. Always, whatever the tail
		// holds, so that the cut says nothing about the secret.
		e.Body = append(e.Body[:n:n], "…"...)
	}
	// A field was capped (oneLine ends it with "…") where the answer may have held a
	// secret: the cap may have cut the secret, leaving its first characters, which no
	// search for the whole secret finds. Such a field goes whole.
	sourceReveals := r.r.Reveals(string(e.Body))
	for k, vs := range e.Header {
		sourceReveals = sourceReveals || r.r.Reveals(k) || slices.ContainsFunc(vs, r.r.Reveals)
	}
	for _, f := range []*string{&e.Code, &e.Message, &e.Detail, &e.Hint, &e.RequestID} {
		if *f = r.r.Value(*f); sourceReveals && strings.HasSuffix(*f, "…") {
			*f = redacted
		}
	}
	if e.Body = r.r.Body(e.Body); len(e.Body) > maxErrorBody {
		e.Body = []byte(redacted) // rewritten past the cap: keep the cap
	}
	e.Header = r.r.Header(e.Header)
}

// err returns err, or an *echoError when err's text holds a secret in any escaping.
// net/http's errors about a malformed answer quote the offending bytes (a status
// line, a header line, a header value), so a server that answers with what it was
// sent (the bearer token, the authenticate body with the password) would have the
// secret repeated in the caller's error and log lines.
func (r redactor) err(err error) error {
	if err == nil || !r.r.Reveals(err.Error()) {
		return err
	}
	var ne net.Error
	return &echoError{timeout: errors.As(err, &ne) && ne.Timeout()}
}

// echoError replaces an error of the layer below whose text quoted a secret the
// request carried. It keeps whether that error was a timeout (a net.Error), not
// its text, nor the error itself (its chain would reach the text).
type echoError struct{ timeout bool }

func (e *echoError) Error() string {
	return "the answer could not be read, and the error describing it quoted the request's credentials: " + redacted
}

// Timeout reports whether the replaced error was a timeout (net.Error).
func (e *echoError) Timeout() bool { return e.timeout }

// Temporary is Timeout (net.Error).
func (e *echoError) Temporary() bool { return e.timeout }

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

// sealedBytes holds bytes (the authenticate body, with the password) in a closure:
// fmt, when it reaches an *Authenticator through an unexported field (where it calls
// none of its methods), prints a func as an address, never what it captured.
type sealedBytes func() []byte

func seal(b []byte) sealedBytes { return func() []byte { return b } }

// Printing the types that reach the password or the token. fmt does not call the
// methods of values it reaches through unexported fields, and for a verb that does
// not fit (%s of a pointer) it prints the pointed-to struct field by field; so every
// type that holds an *Authenticator, a token or a Store prints String for every verb
// (Format comes before GoString and Stringer in fmt, so it covers %#v too). slog's
// text handler prints through fmt; encoding/json, and so slog's JSON handler, sees
// no exported field holding a secret.

// describe describes the cache without its token: the current token's expiry, if any.
func (c *Cache) describe() string {
	if c == nil {
		return "csconnect.Cache(nil)"
	}
	expiry := "none"
	if e := c.cur.Load(); e != nil && e.tok != nil {
		expiry = e.tok.Expiry.UTC().Format(time.RFC3339)
	}
	return "csconnect.Cache{token expiry: " + expiry + "}"
}

// Format makes every verb print the description, never a secret.
func (c *Cache) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.describe()) }

// describe describes the client without its credentials or token.
func (c Client) describe() string {
	auth := "none"
	if c.auth != nil {
		auth = c.auth.describe()
	}
	return "csconnect.Client{auth: " + auth + ", tokens: " + c.Tokens.describe() + "}"
}

// Format makes every verb print the description, never a secret.
func (c Client) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.describe()) }

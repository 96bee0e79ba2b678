// Package secret keeps passwords and tokens out of text csconnect shows: errors, log
// lines, wire fixtures and conformance reports. It is the one redaction mechanism the
// client (APIError), the conformance validator (Violation) and the suite's fixture
// writer share.
//
// Detection decodes the candidate text every way a server can spell a secret (JSON
// \uXXXX and short escapes including \/, HTML named, decimal and hexadecimal
// entities, URL percent-encoding with '+' for a space, either hex case; nested two
// deep always, three deep up to 64 decodings) and looks for the secret in each. Redaction never
// substitutes inside text: a value that holds a secret is replaced whole by Marker,
// so where a marker lands says nothing about the secret; and an occurrence that lies
// inside a known fixed text (the vendor's documented messages, the endpoint path) is
// not an echo, nor is a short secret inside a longer word, so a password such as "p"
// or "Please" does not rewrite that text.
package secret

import (
	"bytes"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Marker replaces a whole value that held a secret.
const Marker = "[redacted]"

// maxDepth is how many decodings are nested (JSON inside HTML inside a URL), and
// maxDecodings caps how many distinct decodings one text yields.
const (
	maxDepth     = 3
	maxDecodings = 64
)

// Redactor finds and removes a set of secrets. The zero value and nil find nothing.
// Its secrets are held in a closure, out of reach of fmt's and encoding/json's
// reflection, so a Redactor inside a printed struct does not print them.
type Redactor struct {
	secrets func() []string
	fixed   []string
	shapes  []*regexp.Regexp // patterns that are a secret wherever they match (WithShapes)
}

// New returns a Redactor for the non-empty secrets. An occurrence of a secret inside
// one of the fixed texts (each matched in the decoded candidate) is not counted as an
// echo; pass VendorText for answers from Creditsafe.
func New(fixed []string, secrets ...string) *Redactor {
	var list []string
	for _, s := range secrets {
		if s == "" {
			continue
		}
		list = append(list, s)
		if f := flatten(s); f != s && f != "" {
			list = append(list, f) // as oneLine prints it
		}
	}
	if len(list) == 0 {
		return &Redactor{fixed: fixed}
	}
	return &Redactor{secrets: func() []string { return list }, fixed: fixed}
}

// WithShapes returns a copy of r that also counts as a secret any text matching one
// of the patterns (a JWT, whatever its value), in any decoding, however many times
// it occurs: what has the shape of a secret is found without being collected first,
// so no number of decoys hides one.
func (r *Redactor) WithShapes(shapes ...*regexp.Regexp) *Redactor {
	c := &Redactor{}
	if r != nil {
		*c = *r
	}
	c.shapes = append(slices.Clip(c.shapes), shapes...)
	return c
}

// Empty reports whether r has no secret to look for.
func (r *Redactor) Empty() bool { return r == nil || r.secrets == nil && len(r.shapes) == 0 }

// Reveals reports whether text holds a secret in any decoding, outside the fixed
// texts.
func (r *Redactor) Reveals(text string) bool {
	if r.Empty() || text == "" {
		return false
	}
	var secrets []string
	if r.secrets != nil {
		secrets = r.secrets()
	}
	for _, d := range Decodings(text) {
		if r.revealsIn(d, secrets) {
			return true
		}
		for _, re := range r.shapes {
			if re.MatchString(d) {
				return true
			}
		}
	}
	return false
}

// revealsIn reports whether d holds a secret at a place no fixed text covers.
func (r *Redactor) revealsIn(d string, secrets []string) bool {
	var covered *spans // where fixed text lies, computed on the first hit
	for _, s := range secrets {
		for from := 0; from <= len(d)-len(s); {
			i := strings.Index(d[from:], s)
			if i < 0 {
				break
			}
			i += from
			if utf8.RuneCountInString(s) >= anywhere || wholeWord(d, i, i+len(s)) {
				if covered == nil {
					sp := fixedSpans(d, r.fixed)
					covered = &sp
				}
				if !covered.inside(i, i+len(s)) {
					return true
				}
			}
			_, size := utf8.DecodeRuneInString(d[i:])
			from = i + size
		}
	}
	return false
}

// anywhere is the length (in runes) from which a secret counts wherever it occurs. A
// shorter one counts only as a whole word: "p" inside "https" or "unexpected" is
// chance, and replacing that text would tell a reader the password is in it. (A
// password of 1-3 characters that a server glues to other letters is the price;
// FuzzValidateResponse found a 7-character one kept inside a longer word when this
// was 8, so from 4 characters on a secret is found wherever it occurs.)
const anywhere = 4

// wholeWord reports whether d[lo:hi] does not continue a word on either side: a
// letter or digit at an edge of the match is not next to another one.
func wholeWord(d string, lo, hi int) bool {
	first, _ := utf8.DecodeRuneInString(d[lo:])
	last, _ := utf8.DecodeLastRuneInString(d[:hi])
	before, _ := utf8.DecodeLastRuneInString(d[:lo])
	after, _ := utf8.DecodeRuneInString(d[hi:])
	return !(lo > 0 && isWord(first) && isWord(before)) && !(hi < len(d) && isWord(last) && isWord(after))
}

func isWord(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

// spans are the places of fixed text in a decoding, sorted by start, with the
// furthest end reached so far, so that inside is a binary search.
type spans struct {
	start, maxEnd []int
}

func fixedSpans(d string, fixed []string) spans {
	type span struct{ lo, hi int }
	var all []span
	for _, f := range fixed {
		for from := 0; f != ""; {
			i := strings.Index(d[from:], f)
			if i < 0 {
				break
			}
			all = append(all, span{from + i, from + i + len(f)})
			from += i + 1
		}
	}
	slices.SortFunc(all, func(a, b span) int { return a.lo - b.lo })
	sp := spans{start: make([]int, len(all)), maxEnd: make([]int, len(all))}
	end := 0
	for k, a := range all {
		end = max(end, a.hi)
		sp.start[k], sp.maxEnd[k] = a.lo, end
	}
	return sp
}

// inside reports whether [lo, hi) lies within one fixed span.
func (sp spans) inside(lo, hi int) bool {
	k, found := slices.BinarySearch(sp.start, lo)
	if !found {
		k--
	} else {
		for k+1 < len(sp.start) && sp.start[k+1] == lo {
			k++
		}
	}
	return k >= 0 && sp.maxEnd[k] >= hi
}

// Value returns text, or Marker when text holds a secret.
func (r *Redactor) Value(text string) string {
	if r.Reveals(text) {
		return Marker
	}
	return text
}

// Body returns b, or b with every JSON string, number or member name that holds a
// secret replaced whole by Marker (a JSON body), or Marker (any other body that holds
// a secret). The JSON structure and the values without a secret are kept.
func (r *Redactor) Body(b []byte) []byte { return r.BodyMarked(b, nil) }

// BodyMarked is Body with the replacement of a JSON value chosen by the name of the
// member that holds it (mark(""), for an array element or a member name). A nil
// mark means Marker everywhere.
func (r *Redactor) BodyMarked(b []byte, mark func(member string) string) []byte {
	if r.Empty() || len(b) == 0 {
		return b
	}
	if mark == nil {
		mark = func(string) string { return Marker }
	}
	if t := bytes.TrimSpace(b); len(t) > 0 && (t[0] == '{' || t[0] == '[' || t[0] == '"') {
		if out, ok := r.json(t, mark); ok {
			if out == nil {
				return b // nothing held a secret: keep the exact bytes
			}
			return out
		}
	}
	if r.Reveals(string(b)) {
		return []byte(Marker)
	}
	return b
}

// json rewrites one JSON value token by token (so duplicate member names are seen,
// unlike a map decode). It returns nil, true when nothing held a secret, and false
// when t is not one JSON value.
func (r *Redactor) json(t []byte, mark func(string) string) ([]byte, bool) {
	dec := json.NewDecoder(bytes.NewReader(t))
	dec.UseNumber()
	var out bytes.Buffer
	changed := false
	type frame struct {
		object, first, key bool   // key: the next token in an object is a member name
		member             string // the current member's name
	}
	var stack []frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, false
		}
		if n := len(stack); n > 0 {
			top := &stack[n-1]
			closing := tok == json.Delim('}') || tok == json.Delim(']')
			switch {
			case closing:
			case top.object && !top.key:
				out.WriteByte(':')
			case !top.first:
				out.WriteByte(',')
			}
			if !closing {
				if top.object {
					top.key = !top.key
				}
				top.first = false
			}
		}
		member, isKey := "", false // the member name a value belongs to; whether tok is a name
		if n := len(stack); n > 0 && stack[n-1].object {
			isKey = !stack[n-1].key && tok != json.Delim('}') // the flip above left key false after a name
			member = stack[n-1].member
			if isKey {
				member = ""
			}
		}
		switch v := tok.(type) {
		case json.Delim:
			out.WriteByte(byte(v))
			switch v {
			case '{':
				stack = append(stack, frame{object: true, first: true, key: true})
			case '[':
				stack = append(stack, frame{first: true})
			default:
				stack = stack[:len(stack)-1]
			}
		case string:
			if isKey {
				stack[len(stack)-1].member = v
			}
			if r.Reveals(v) {
				v, changed = mark(member), true
			}
			writeString(&out, v)
		case json.Number:
			if r.Reveals(string(v)) {
				writeString(&out, mark(member))
				changed = true
			} else {
				out.WriteString(string(v))
			}
		case bool:
			if v {
				out.WriteString("true")
			} else {
				out.WriteString("false")
			}
		case nil:
			out.WriteString("null")
		}
		if len(stack) == 0 && dec.More() {
			return nil, false // more than one value: not a JSON body
		}
	}
	if len(stack) != 0 {
		return nil, false
	}
	if !changed {
		return nil, true
	}
	return out.Bytes(), true
}

// writeString writes s as a JSON string without escaping <, > and & (as the server
// most likely did not), so a rewritten body stays close to the original's size.
func writeString(out *bytes.Buffer, s string) {
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	out.Truncate(out.Len() - 1) // Encode's newline
}

// Header returns a copy of h in which every value that holds a secret is Marker and
// every header whose name holds one is dropped. The names in HeaderNames are fixed
// text, and so is a date or a number in a header that holds one (Date, Retry-After,
// Content-Length…): it says the same whatever the secret.
func (r *Redactor) Header(h http.Header) http.Header {
	if h == nil || r.Empty() {
		return h
	}
	names := *r // r with the header names as its fixed texts
	names.fixed = HeaderNames
	out := make(http.Header, len(h))
	for k, vs := range h {
		if names.Reveals(k) {
			continue
		}
		c := make([]string, len(vs))
		for i, v := range vs {
			if c[i] = r.Value(v); c[i] != v && structural[http.CanonicalHeaderKey(k)] && isDateOrNumber(v) {
				c[i] = v
			}
		}
		out[k] = c
	}
	return out
}

// HeaderNames are header names that are fixed text.
var HeaderNames = []string{
	"Content-Type", "Content-Length", "Content-Encoding", "Content-Language", "Date", "Retry-After", "Expires",
	"Last-Modified", "Age", "Cache-Control", "Pragma", "Vary", "Connection", "Keep-Alive", "Server", "Via",
	"Www-Authenticate", "Strict-Transport-Security", "X-Content-Type-Options", "X-Frame-Options",
	"X-Request-Id", "X-Correlation-Id", "Correlation-Id", "Request-Id", "X-Amzn-Requestid", "X-Trace-Id",
	"Access-Control-Allow-Origin", "Ratelimit-Limit", "Ratelimit-Remaining", "Ratelimit-Reset",
	"X-Ratelimit-Limit", "X-Ratelimit-Remaining", "X-Ratelimit-Reset", "Transfer-Encoding", "Etag",
}

// structural headers hold only a date or a number when valid.
var structural = map[string]bool{"Date": true, "Retry-After": true, "Expires": true, "Last-Modified": true,
	"Content-Length": true, "Age": true, "Ratelimit-Limit": true, "Ratelimit-Remaining": true,
	"Ratelimit-Reset": true, "X-Ratelimit-Limit": true, "X-Ratelimit-Remaining": true, "X-Ratelimit-Reset": true}

func isDateOrNumber(v string) bool {
	if _, err := strconv.ParseUint(v, 10, 64); err == nil {
		return true
	}
	t, err := http.ParseTime(v)
	return err == nil && t.UTC().Format(http.TimeFormat) == v // in its canonical form only
}

// Decodings returns text and every distinct decoding of it: JSON string escapes, HTML
// entities, URL percent-encoding (with and without '+' as a space), nested up to
// maxDepth, each also with its runs of white space and control characters flattened
// to one space (as error strings print them).
func Decodings(text string) []string {
	seen := map[string]bool{text: true}
	out := []string{text}
	level := []string{text}
	for depth := 0; depth < maxDepth && len(level) > 0; depth++ {
		var next []string
		for _, s := range level {
			if !strings.ContainsAny(s, `\&%+`) {
				continue
			}
			for _, dec := range decoders {
				d := dec(s)
				if !seen[d] && len(out) < maxDecodings {
					seen[d] = true
					out = append(out, d)
					next = append(next, d)
				}
			}
		}
		level = next
	}
	for _, s := range out[:len(out):len(out)] {
		if f := flatten(s); !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}

var decoders = []func(string) string{unescapeJSON, html.UnescapeString, numericRefs, unescapeURL, unescapeQuery}

// numericRefs decodes HTML numeric character references (&#NN; &#xNN; &#XNN;, the
// semicolon optional) to the code point they name, literally: html.UnescapeString
// follows HTML5 and turns &#0; into U+FFFD and &#150; into U+2013, which an encoder
// that wrote the code point did not mean.
func numericRefs(s string) string {
	if !strings.Contains(s, "&#") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '&' || i+2 >= len(s) || s[i+1] != '#' {
			b.WriteByte(s[i])
			continue
		}
		j, base := i+2, rune(10)
		if s[j] == 'x' || s[j] == 'X' {
			j, base = j+1, 16
		}
		var r rune
		k := j
		for ; k < len(s) && k-j < 8; k++ {
			v, ok := hexVal(s[k])
			if !ok || rune(v) >= base {
				break
			}
			r = r*base + rune(v)
		}
		if k == j {
			b.WriteByte(s[i])
			continue
		}
		if k < len(s) && s[k] == ';' {
			k++
		}
		if !utf8.ValidRune(r) {
			r = utf8.RuneError
		}
		b.WriteRune(r)
		i = k - 1
	}
	return b.String()
}

// unescapeJSON decodes the escapes of a JSON string (\" \\ \/ \b \f \n \r \t and
// \uXXXX in either case, surrogate pairs joined) wherever they appear; anything else
// is kept as it is.
func unescapeJSON(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		switch e := s[i+1]; e {
		case '"', '\\', '/':
			b.WriteByte(e)
			i++
		case 'b':
			b.WriteByte('\b')
			i++
		case 'f':
			b.WriteByte('\f')
			i++
		case 'n':
			b.WriteByte('\n')
			i++
		case 'r':
			b.WriteByte('\r')
			i++
		case 't':
			b.WriteByte('\t')
			i++
		case 'u':
			r, ok := hex4(s[i+2:])
			if !ok {
				b.WriteByte(c)
				continue
			}
			if utf16.IsSurrogate(r) {
				// Only a pair decodes; a lone half is kept as written, so that a later
				// pass can pair it (`\\uD83D\uDE00` decodes to `\uD83D\uDE00`).
				r2, ok := rune(0), false
				if len(s) > i+7 && s[i+6] == '\\' && s[i+7] == 'u' {
					r2, ok = hex4(s[i+8:])
				}
				p := utf16.DecodeRune(r, r2)
				if !ok || p == utf8.RuneError {
					b.WriteString(s[i : i+6])
					i += 5
					continue
				}
				r = p
				i += 6
			}
			i += 5
			b.WriteRune(r)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func hex4(s string) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	var r rune
	for i := 0; i < 4; i++ {
		v, ok := hexVal(s[i])
		if !ok {
			return 0, false
		}
		r = r<<4 | rune(v)
	}
	return r, true
}

func hexVal(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// unescapeURL decodes every valid %XX (either case) and keeps the rest; net/url's
// decoders refuse the whole text at the first stray '%'.
func unescapeURL(s string) string { return percentDecode(s, false) }

// unescapeQuery is unescapeURL with '+' as a space (form encoding).
func unescapeQuery(s string) string { return percentDecode(s, true) }

func percentDecode(s string, plus bool) string {
	if !strings.Contains(s, "%") && (!plus || !strings.Contains(s, "+")) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '%' && i+2 < len(s):
			hi, ok1 := hexVal(s[i+1])
			lo, ok2 := hexVal(s[i+2])
			if ok1 && ok2 {
				b.WriteByte(hi<<4 | lo)
				i += 2
				continue
			}
			b.WriteByte(c)
		case c == '+' && plus:
			b.WriteByte(' ')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// flatten turns every run of white space, control and format characters into one
// space and trims the ends, as csconnect's one-line error text does.
func flatten(s string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.TrimSpace(s) {
		if unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

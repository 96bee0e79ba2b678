// Package secrettest holds what the redaction tests share: every spelling of a
// secret that JSON, HTML and URL encoders produce, written independently of the
// decoders in package secret, and an assertion over them.
package secrettest

import (
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// Escape is one way to spell a secret.
type Escape struct {
	Name string
	F    func(string) string
}

// Escapes are every spelling of a secret that JSON, HTML and URL encoders produce,
// written independently of the decoders under test.
var Escapes = []Escape{
	{"raw", func(s string) string { return s }},
	{"json", func(s string) string { b, _ := json.Marshal(s); return string(b[1 : len(b)-1]) }},
	{"json-u-lower", func(s string) string { return perUTF16(s, `\u%04x`) }},
	{"json-u-upper", func(s string) string { return perUTF16(s, `\u%04X`) }},
	{"json-slash", func(s string) string {
		b, _ := json.Marshal(s)
		return strings.ReplaceAll(string(b[1:len(b)-1]), "/", `\/`)
	}},
	{"html", html.EscapeString},
	{"html-named", func(s string) string {
		return strings.NewReplacer("/", "&sol;", "+", "&plus;", "@", "&commat;").Replace(html.EscapeString(s))
	}},
	{"html-decimal", func(s string) string { return perRune(s, "&#%d;") }},
	{"html-hex-lower", func(s string) string { return perRune(s, "&#x%x;") }},
	{"html-hex-upper", func(s string) string { return perRune(s, "&#X%X;") }},
	{"url-query", url.QueryEscape},
	{"url-path", url.PathEscape},
	{"url-all-lower", func(s string) string { return perByte(s, "%%%02x") }},
	{"url-all-upper", func(s string) string { return perByte(s, "%%%02X") }},
	{"json-of-url", func(s string) string { b, _ := json.Marshal(url.QueryEscape(s)); return string(b[1 : len(b)-1]) }},
	{"html-of-json-u", func(s string) string { return html.EscapeString(perUTF16(s, `\u%04X`)) }},
	{"url-of-html", func(s string) string { return url.QueryEscape(perRune(s, "&#%d;")) }},
	{"json-of-json", func(s string) string {
		b, _ := json.Marshal(perUTF16(s, `\u%04x`))
		return string(b[1 : len(b)-1])
	}},
}

func perRune(s, format string) string {
	var b strings.Builder
	for _, r := range s {
		fmt.Fprintf(&b, format, r)
	}
	return b.String()
}

func perByte(s, format string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, format, s[i])
	}
	return b.String()
}

func perUTF16(s, format string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 0x10000 {
			r -= 0x10000
			fmt.Fprintf(&b, format, 0xD800+(r>>10))
			fmt.Fprintf(&b, format, 0xDC00+(r&0x3FF))
			continue
		}
		fmt.Fprintf(&b, format, r)
	}
	return b.String()
}

// AssertNone fails t if out holds any secret in any escaping. A secret shorter than
// 8 runes is looked for as a whole word only: the redactor finds it anywhere from 4
// runes on, in the decoded text, but a short escaped form can also occur straddling
// unrelated escapes ("010+" inside "%0010+0", which decodes to no "010 "), and this
// oracle matches escaped forms as plain text.
func AssertNone(t testing.TB, what, out string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		for _, e := range Escapes {
			if Holds(out, e.F(s), utf8.RuneCountInString(s) < 8) {
				t.Errorf("%s = %.300q holds the secret %s-escaped (%q)", what, out, e.Name, e.F(s))
			}
		}
	}
}

// Holds reports whether out holds esc, as a whole word when word is set.
func Holds(out, esc string, word bool) bool {
	for from := 0; ; {
		i := strings.Index(out[from:], esc)
		if i < 0 {
			return false
		}
		i += from
		if !word || wordEdge(out, i, i+len(esc)) {
			return true
		}
		from = i + 1
	}
}

func wordEdge(d string, lo, hi int) bool {
	isWord := func(r rune) bool {
		return r != utf8.RuneError && (r == '_' || 'a' <= r|0x20 && r|0x20 <= 'z' || '0' <= r && r <= '9' || r > 0x7f)
	}
	first, _ := utf8.DecodeRuneInString(d[lo:])
	last, _ := utf8.DecodeLastRuneInString(d[:hi])
	before, _ := utf8.DecodeLastRuneInString(d[:lo])
	after, _ := utf8.DecodeRuneInString(d[hi:])
	return !(lo > 0 && isWord(first) && isWord(before)) && !(hi < len(d) && isWord(last) && isWord(after))
}

package secret

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/csconnect/csconnect/internal/secret/secrettest"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

const pw = `p@ss w/rd+<&>"'é😀`

// TestRevealsEveryEscaping: each escaping of the secret, inside other text, is found,
// and the value is replaced whole.
func TestRevealsEveryEscaping(t *testing.T) {
	r := New(nil, pw)
	for _, e := range secrettest.Escapes {
		for _, around := range [][2]string{{"", ""}, {"bad password ", "."}, {`\`, "%"}, {"&amp;", "&#"}} {
			text := around[0] + e.F(pw) + around[1]
			if !r.Reveals(text) {
				t.Errorf("%s: Reveals(%q) = false; want true", e.Name, text)
			}
			if got := r.Value(text); got != Marker {
				t.Errorf("%s: Value(%q) = %q; want %q", e.Name, text, got, Marker)
			}
		}
	}
}

// TestFixedTextIsNotAnEcho: a secret inside fixed text is not reported; one beside it is.
func TestFixedTextIsNotAnEcho(t *testing.T) {
	tests := []struct {
		secret, text string
		want         bool
	}{
		{"p", VendorText[0], false},
		{"Please", VendorText[0], false},
		{"authenticate", "/v1/authenticate", false},
		{"Please", "Please", true},                 // not inside a longer fixed text: an echo
		{"Token Expired!", "Token Expired!", true}, // spills out of the fixed text
		{"Please", VendorText[0] + " Please", true},
		{"p", "application/json", false},
		{"p", "oops", false}, // a short secret inside a word is chance
		{"p", "bad password: p.", true},
		{"hunter2!x", "xhunter2!xx", true}, // a long one (8 or more) counts anywhere
	}
	for _, tt := range tests {
		if got := New(VendorText, tt.secret).Reveals(tt.text); got != tt.want {
			t.Errorf("New(VendorText, %q).Reveals(%q) = %v; want %v", tt.secret, tt.text, got, tt.want)
		}
	}
}

// TestBodyKeepsJSONStructure: only the JSON values that hold the secret are replaced,
// duplicates included; a body without it is returned byte for byte.
func TestBodyKeepsJSONStructure(t *testing.T) {
	r := New(VendorText, "hunter2")
	tests := map[string]struct{ in, want string }{
		"clean":      {`{"message": "Access denied"}`, `{"message": "Access denied"}`},
		"value":      {`{"message":"Access denied","echo":{"pw":"hunter\u0032"}}`, `{"message":"Access denied","echo":{"pw":"[redacted]"}}`},
		"duplicate":  {`{"m":"hunter2","m":"ok"}`, `{"m":"[redacted]","m":"ok"}`},
		"key":        {`{"hunter2":1,"a":[true,null,2.5]}`, `{"[redacted]":1,"a":[true,null,2.5]}`},
		"array":      {`["a","x hunter2"]`, `["a","[redacted]"]`},
		"text":       {`denied for hunter2`, Marker},
		"broken":     {`{"m":"hunter2"`, Marker},
		"two values": {`{"m":"a"} "hunter2"`, Marker},
	}
	for name, tt := range tests {
		if got := string(r.Body([]byte(tt.in))); got != tt.want {
			t.Errorf("%s: Body(%q) = %q; want %q", name, tt.in, got, tt.want)
		}
	}
}

// TestBodyMarked: the replacement is chosen by the member that holds the value.
func TestBodyMarked(t *testing.T) {
	r := New(nil, "tok.en.value", "hunter2")
	mark := func(m string) string {
		if m == "token" {
			return "eyJredacted.eyJredacted.redacted"
		}
		return Marker
	}
	in := `{"token":"tok.en.value","echo":["hunter2"],"n":{"token":1,"x":"hunter2"}}`
	want := `{"token":"eyJredacted.eyJredacted.redacted","echo":["[redacted]"],"n":{"token":1,"x":"[redacted]"}}`
	if got := string(r.BodyMarked([]byte(in), mark)); got != want {
		t.Errorf("BodyMarked(%s) = %s; want %s", in, got, want)
	}
}

// TestHeader: a value that holds the secret is replaced, a name that holds it drops
// the header, known names and dates stay.
func TestHeader(t *testing.T) {
	r := New(VendorText, "E")
	h := http.Header{"Content-Type": {"application/json"}, "Date": {"Wed, 25 Nov 2026 12:00:00 GMT"},
		"X-Echo": {"E"}, "X-E": {"1"}, "X-Hey": {"1"}}
	got := r.Header(h)
	if got.Get("Content-Type") != "application/json" || got.Get("Date") != h.Get("Date") ||
		got.Get("X-Echo") != Marker || got["X-E"] != nil || got.Get("X-Hey") != "1" {
		t.Errorf("Header(%v) = %v; want Content-Type, Date and X-Hey kept, X-Echo replaced, X-E dropped", h, got)
	}
}

// TestRedactorIsNotPrinted: a Redactor inside a printed struct does not print its
// secrets, whatever the verb.
func TestRedactorIsNotPrinted(t *testing.T) {
	v := struct{ r *Redactor }{New(nil, "hunter2")}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%q"} {
		if out := fmt.Sprintf(verb, v); strings.Contains(out, "hunter2") || strings.Contains(out, fmt.Sprintf("%x", "hunter2")) {
			t.Errorf("Sprintf(%s) = %q; want no secret", verb, out)
		}
	}
}

// FuzzRedact: whatever the secret, its escaping and the text around it, neither Value
// nor Body lets any escaping of the secret through.
func FuzzRedact(f *testing.F) {
	f.Add(pw, uint8(0), "bad password ", ".")
	f.Add("p", uint8(3), `{"message":"`, `"}`)
	f.Add("hunter2", uint8(7), "<p>", "</p>")
	f.Add("a b+c", uint8(10), "x=", "&y=1")
	f.Add("😀/x", uint8(14), `\`, "%")
	f.Fuzz(func(t *testing.T, secret string, choice uint8, prefix, suffix string) {
		// A password is a JSON string, so valid UTF-8 (an encoder turns a stray byte
		// into U+FFFD, which no longer spells the secret).
		if secret == "" || !utf8.ValidString(secret) || len(secret) > 64 || len(prefix)+len(suffix) > 4096 {
			return
		}
		// Preflight refuses a password with surrounding white space (and a token is
		// JWT-shaped), so a secret of spaces, or one a space begins or ends, is never
		// redacted: it would be found in every gap between words.
		if strings.TrimSpace(secret) != secret {
			return
		}
		// A short secret (1-3 characters) counts as a whole word, and a word has a
		// letter or a digit: a password of one quote mark is not looked for between
		// every two spaces.
		// Nor is it one whose characters are the syntax of an escaping: `"0` stands
		// raw in any JSON string that starts with 0.
		if utf8.RuneCountInString(secret) < anywhere && (!strings.ContainsFunc(secret, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) ||
			strings.ContainsAny(secret, `"\&%;<>+=/`)) {
			return
		}
		esc := secrettest.Escapes[int(choice)%len(secrettest.Escapes)]
		r := New(nil, secret)
		// A long secret counts inside a word: glue it to letters. The spaces keep the
		// fuzzer's prefix and suffix from changing how the escape itself parses ("%0"
		// before "010+" reads as %00, which decodes to no "010 ": not an echo).
		text := prefix + " x" + esc.F(secret) + "x " + suffix
		if utf8.RuneCountInString(secret) < anywhere {
			text = prefix + " " + esc.F(secret) + " " + suffix // a short secret counts as a whole word
		}
		check := func(what, out string) {
			for _, e := range secrettest.Escapes {
				s := e.F(secret)
				if utf8.RuneCountInString(secret) < anywhere {
					s = " " + s + " " // a short secret counts as a whole word only
				}
				if strings.Contains(out, s) && !strings.Contains(Marker, s) {
					t.Fatalf("%s(%q) with secret %q (%s) = %q; holds it %s-escaped", what, text, secret, esc.Name, out, e.Name)
				}
			}
		}
		check("Value", r.Value(text))
		jb, _ := json.Marshal(map[string]string{"message": text, "code": "X"})
		for _, in := range [][]byte{[]byte(text), jb} {
			out := r.Body(in)
			if !json.Valid(out) {
				check("Body", string(out))
				continue
			}
			dec := json.NewDecoder(bytes.NewReader(out))
			dec.UseNumber()
			for {
				tok, err := dec.Token()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("Body(%q) = %q: not one JSON value: %v", in, out, err)
				}
				switch v := tok.(type) {
				case string:
					check("Body(JSON) string", v)
				case json.Number:
					check("Body(JSON) number", string(v))
				}
			}
		}
	})
}

// TestWithShapes: a shape counts wherever it matches, in every escaping, in every
// value of a JSON body however many there are, and in a header; a Redactor with
// shapes only is not Empty.
func TestWithShapes(t *testing.T) {
	jwt := regexp.MustCompile(`eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*`)
	r := New(nil).WithShapes(jwt)
	if r.Empty() {
		t.Fatal("New(nil).WithShapes(jwt).Empty() = true; want false")
	}
	const tok = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"
	for _, e := range secrettest.Escapes {
		if text := "seen " + e.F(tok); r.Value(text) != Marker {
			t.Errorf("%s: Value(%q) = %q; want %q", e.Name, text, r.Value(text), Marker)
		}
	}
	var vals []string
	for i := range 200 {
		vals = append(vals, fmt.Sprintf("eyJ%d.eyJ.x", i))
	}
	body, _ := json.Marshal(map[string]any{"a": vals, "z": tok})
	if got := r.Body(body); bytes.Contains(got, []byte(tok)) {
		t.Errorf("Body(200 shapes then the token) kept the token: %s", got)
	}
	if h := r.Header(http.Header{"X-Seen": {tok}}); h.Get("X-Seen") != Marker {
		t.Errorf("Header(X-Seen: token) = %v; want %q", h, Marker)
	}
	if got := New(nil, "other").Value("plain text"); got != "plain text" {
		t.Errorf("Value without shapes = %q", got)
	}
}

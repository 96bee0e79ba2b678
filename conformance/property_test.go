package conformance_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"pgregory.net/rapid"

	"github.com/csconnect/csconnect/conformance"
	"github.com/csconnect/csconnect/conformance/simulator"
)

const (
	propUser = "propertyUserKey"
	propPass = "pr0perty-P@ss"
)

// alphabets are drawn from so that byte length and code-point count differ: the
// spec's maxLength counts code points, as JSON Schema does.
var alphabets = []string{"abcXYZ019", "éüñß", "€✓中文", "😀🚀𝄞"}

// credential draws a string whose length in code points sits near the spec's
// limits (0, 1, 29, 30, 31) or anywhere up to 40.
func credential() *rapid.Generator[string] {
	return rapid.Custom(func(t *rapid.T) string {
		n := rapid.OneOf(rapid.SampledFrom([]int{0, 1, 29, 30, 31}), rapid.IntRange(0, 40)).Draw(t, "length")
		alpha := []rune(rapid.SampledFrom(alphabets).Draw(t, "alphabet"))
		var b strings.Builder
		for range n {
			b.WriteRune(alpha[rapid.IntRange(0, len(alpha)-1).Draw(t, "rune")])
		}
		return b.String()
	})
}

// field draws the JSON text of one field's value, or "" for an absent field.
func field(valid string) *rapid.Generator[string] {
	return rapid.Custom(func(t *rapid.T) string {
		switch rapid.IntRange(0, 9).Draw(t, "kind") {
		case 0:
			return "" // absent
		case 1:
			return rapid.SampledFrom([]string{"null", "7", "true", "{}", `["x"]`}).Draw(t, "wrong type")
		case 2:
			return quoteJSON(valid) // the valid credential, so that some draws log in
		case 3:
			return "\"bad\xff\xfeutf8\"" // invalid UTF-8 inside a string
		default:
			return quoteJSON(credential().Draw(t, "string"))
		}
	})
}

func quoteJSON(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// body draws an authenticate request body: mostly an object with drawn fields,
// sometimes something that is not one.
func body() *rapid.Generator[string] {
	return rapid.Custom(func(t *rapid.T) string {
		switch rapid.IntRange(0, 9).Draw(t, "shape") {
		case 0:
			return rapid.SampledFrom([]string{"", "[]", "42", `"x"`, "null", `{"username":`, "{"}).Draw(t, "not an object")
		default:
			var parts []string
			if u := field(propUser).Draw(t, "username"); u != "" {
				parts = append(parts, `"username":`+u)
			}
			if p := field(propPass).Draw(t, "password"); p != "" {
				parts = append(parts, `"password":`+p)
			}
			return "{" + strings.Join(parts, ",") + "}"
		}
	})
}

// oracleAccepts asks kin-openapi whether the spec accepts the request, adding the
// one rule it does not enforce: JSON text must be UTF-8 (RFC 8259 §8.1), while
// Go's JSON decoder quietly replaces invalid bytes.
func oracleAccepts(t *rapid.T, v *conformance.Validator, contentType, b string) bool {
	req := httptest.NewRequest(http.MethodPost, "https://connect.creditsafe.com/v1/authenticate", nil)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	vs := v.ValidateRequest(context.Background(), req, []byte(b))
	for _, x := range vs {
		t.Logf("oracle: %s", x)
	}
	return len(vs) == 0 && utf8.ValidString(b)
}

// TestPropertySimulatorAgreesWithSpec draws request bodies and checks the simulator
// against the spec: a request the spec accepts is answered 200 or 401 (never 400),
// and one it rejects never gets a token.
func TestPropertySimulatorAgreesWithSpec(t *testing.T) {
	v, err := conformance.DefaultValidator()
	if err != nil {
		t.Fatal(err)
	}
	sim, err := simulator.New(simulator.Options{Username: propUser, Password: propPass})
	if err != nil {
		t.Fatal(err)
	}
	rapid.Check(t, func(t *rapid.T) {
		b := body().Draw(t, "body")
		ct := rapid.SampledFrom([]string{"application/json", "application/json", "application/json; charset=utf-8", "text/plain", ""}).Draw(t, "content type")
		accepts := oracleAccepts(t, v, ct, b)

		sim.Reset()
		req := httptest.NewRequest(http.MethodPost, "/v1/authenticate", strings.NewReader(b))
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		rec := httptest.NewRecorder()
		sim.ServeHTTP(rec, req)
		got := rec.Code
		switch {
		case accepts && got != 200 && got != 401:
			t.Fatalf("simulator(%q, %q) = %d; the spec accepts it, want 200 or 401", ct, b, got)
		case !accepts && got == 200:
			t.Fatalf("simulator(%q, %q) = 200; the spec rejects it, want no token", ct, b)
		case !accepts && got != 400 && got != 401:
			t.Fatalf("simulator(%q, %q) = %d; want 400 or 401 for a request the spec rejects", ct, b, got)
		}
	})
}

// TestPropertyBoundaries pins the boundary the generators aim at: 30 code points
// are accepted by the spec whatever their byte length, 31 are not.
func TestPropertyBoundaries(t *testing.T) {
	v, err := conformance.DefaultValidator()
	if err != nil {
		t.Fatal(err)
	}
	for _, alpha := range alphabets {
		r := []rune(alpha)[0]
		for n, want := range map[int]bool{0: false, 1: true, 30: true, 31: false} {
			s := strings.Repeat(string(r), n)
			for _, b := range []string{
				`{"username":` + quoteJSON(s) + `,"password":"p"}`,
				`{"username":"u","password":` + quoteJSON(s) + `}`,
			} {
				req := httptest.NewRequest(http.MethodPost, "/v1/authenticate", nil)
				req.Header.Set("Content-Type", "application/json")
				if got := len(v.ValidateRequest(context.Background(), req, []byte(b))) == 0; got != want {
					t.Errorf("ValidateRequest(%d × %q) accepted = %v; want %v", n, r, got, want)
				}
			}
		}
	}
}

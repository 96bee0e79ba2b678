package conformance_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/csconnect/csconnect/conformance"
	"github.com/csconnect/csconnect/pkg/csconnect"
)

// preflightString draws a credential as a Go string: the boundary lengths, white
// space and control characters, e-mail shapes and invalid UTF-8 that the client's
// preflight judges.
func preflightString() *rapid.Generator[string] {
	return rapid.OneOf(
		credential(),
		rapid.SampledFrom([]string{"", " padded ", "tab\tinside", "zero\u200bwidth", "user@example.com", "bad\xffutf8", "\x00"}),
		rapid.StringN(0, 35, -1),
	)
}

// stricter lists the preflight reasons that go beyond the spec on purpose (the
// vendor's documents): the spec accepts such a credential, the client refuses it.
var stricter = []string{"white space", "control or invisible", "e-mail", "UTF-8"}

// TestPropertyPreflightAgreesWithSpec draws credentials and checks the client's
// preflight against the spec: whatever the spec rejects, the client refuses before
// sending; whatever the spec accepts, the client sends, unless one of its
// documented stricter rules applies.
func TestPropertyPreflightAgreesWithSpec(t *testing.T) {
	v, err := conformance.DefaultValidator()
	if err != nil {
		t.Fatal(err)
	}
	rapid.Check(t, func(t *rapid.T) {
		u := preflightString().Draw(t, "username")
		p := preflightString().Draw(t, "password")
		b, _ := json.Marshal(map[string]string{"username": u, "password": p})
		accepts := oracleAccepts(t, v, "application/json", string(b))

		_, err := csconnect.NewAuthenticator(csconnect.AuthConfig{BaseURL: "http://127.0.0.1:9/v1", Username: u, Password: p})
		refused := errors.Is(err, csconnect.ErrInvalidInput)
		switch {
		case err != nil && !refused:
			t.Fatalf("NewAuthenticator(%q, %q) = %v; want nil or ErrInvalidInput", u, p, err)
		case !accepts && !refused:
			t.Fatalf("NewAuthenticator(%q, %q) = nil; the spec rejects the request, want ErrInvalidInput", u, p)
		case accepts && refused && !isStricter(err):
			t.Fatalf("NewAuthenticator(%q, %q) = %v; the spec accepts it and no stricter rule applies", u, p, err)
		}
	})
}

func isStricter(err error) bool {
	for _, e := range unwrapAll(err) {
		if errors.Is(e, csconnect.ErrInvalidInput) { // a refused field: "csconnect: <field> <reason>"
			ok := false
			for _, s := range stricter {
				ok = ok || strings.Contains(e.Error(), s)
			}
			if !ok {
				return false
			}
		}
	}
	return true
}

// unwrapAll flattens errors.Join trees.
func unwrapAll(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, unwrapAll(e)...)
		}
		return out
	}
	return []error{err}
}

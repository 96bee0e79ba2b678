package csconnect

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzPreflight checks the preflight against the spec and its own promises: what it
// accepts the spec's schema (kin-openapi) accepts and has no surrounding white space
// or control characters; its messages come only from the fixed reasons, so no value
// can leak into one.
func FuzzPreflight(f *testing.F) {
	seeds := [][2]string{
		{"myUsername", "myS3cretP@ssw0rd999!"},
		{strings.Repeat("u", 30), strings.Repeat("p", 31)},
		{strings.Repeat("é", 30), strings.Repeat("🔑", 31)},
		{"jane@example.com", "pw"},
		{" myUsername", "pw\n"},
		{"", ""},
		{"user\x00", "pass\xff"},
		{"a\u200bb", "Access denied"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1], false)
	}
	f.Add("jane@example.com", "pw", true)
	schema := specSchema(f, "AuthenticateRequest")
	reasons := map[string]bool{reasonRequired: true, reasonUTF8: true, reasonSpace: true, reasonControl: true, reasonEmail: true}
	for _, l := range []lengthLimits{usernameLimits, passwordLimits} {
		reasons[reasonTooLong(l.max)] = true
		reasons[reasonTooShort(l.min)] = true
	}
	f.Fuzz(func(t *testing.T, username, password string, allowEmail bool) {
		err := preflight(username, password, allowEmail)
		if err == nil {
			if schema.VisitJSON(map[string]any{"username": username, "password": password}) != nil {
				t.Fatalf("preflight(%q, %q) accepted what the spec refuses", username, password)
			}
			for _, v := range []string{username, password} {
				if !utf8.ValidString(v) || strings.TrimSpace(v) != v || strings.IndexFunc(v, invisible) >= 0 {
					t.Fatalf("preflight accepted %q", v)
				}
			}
			if !allowEmail && emailShaped(username) {
				t.Fatalf("preflight accepted e-mail-shaped username %q", username)
			}
			return
		}
		if !errors.Is(err, ErrInvalidInput) {
			t.Fatalf("preflight error %v; want ErrInvalidInput", err)
		}
		for _, line := range strings.Split(err.Error(), "\n") {
			reason, ok := strings.CutPrefix(line, "csconnect: username ")
			if !ok {
				reason, ok = strings.CutPrefix(line, "csconnect: password ")
			}
			if !ok || !reasons[reason] {
				t.Fatalf("preflight message %q is not built from a fixed reason", line)
			}
		}
	})
}

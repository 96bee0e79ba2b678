package csconnect

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// FuzzAuthenticate200 feeds arbitrary 200 bodies through what Authenticate does after
// the status check (decodeToken: body → token → expiry). Invariants: no panic; the
// result is either an error wrapping ErrContract that does not quote the body's
// token, or a token that is safe to send as "Bearer <value>" and whose expiry lies
// after the send time and at most tokenLifetime (1 hour) after it. Seeded with the
// reference documents' sample answer, Prism's example token and the claim cases
// TokenFromJWT distinguishes.
func FuzzAuthenticate200(f *testing.F) {
	a, err := NewAuthenticator(AuthConfig{BaseURL: "https://connect.example.com/v1", Username: testUser, Password: testPassword})
	if err != nil {
		f.Fatal(err)
	}
	seg := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	hdr := seg(`{"alg":"RS256","kid":"example-key-1"}`)
	for _, body := range []string{
		`{"token": "` + prismToken + `"}`,
		`{"token": "eyJhbGciOiJSUzI1NiIsImtpZCI6Im…hPeGE7Ak8YtKFbA"}`, // as the reference prints it, elided
		`{"token":"` + hdr + `.` + seg(`{"exp":1598691600}`) + `.sig"}`,
		`{"token":"` + hdr + `.` + seg(`{"exp":1598691600,"iat":1598688000}`) + `.sig"}`,
		`{"token":"` + hdr + `.` + seg(`{"exp":1598688000,"iat":1598691600}`) + `.sig"}`,
		`{"token":"` + hdr + `.` + seg(`{"exp":1e300,"nbf":-1e300}`) + `.sig"}`,
		`{"token":"` + hdr + `.` + seg(`{}`) + `."}`,
		`{"TOKEN":"` + prismToken + `","token":"x"}`,
		`{"token":null}`, `{"token":""}`, `{}`, `[]`, `null`, `"token"`, `{"token":"a.b.c"`, ``,
		`{"token":"a\r\nb.c.d"}`, `{"token":"eyJ\u002e.x.y"}`,
	} {
		f.Add([]byte(body), int64(0))
	}
	sent := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte, skew int64) {
		fetched := sent.Add(time.Duration(skew % int64(time.Hour)))
		if fetched.Before(sent) {
			fetched = sent
		}
		resp := &http.Response{StatusCode: http.StatusOK, Body: io.NopCloser(bytes.NewReader(body))}
		tok, err := a.decodeToken(resp, sent, fetched)
		if err != nil {
			if tok != nil {
				t.Fatalf("decodeToken(%q) = %v, %v; want no token with an error", body, tok, err)
			}
			if !errors.Is(err, ErrContract) {
				t.Fatalf("decodeToken(%q) error %v; want it to wrap ErrContract", body, err)
			}
			var in struct{ Token string }
			if json.Unmarshal(body, &in) == nil && len(in.Token) >= 16 && strings.Contains(err.Error(), in.Token) {
				t.Fatalf("decodeToken(%q) error %q quotes the token", body, err)
			}
			return
		}
		if tok == nil || tok.Value == "" {
			t.Fatalf("decodeToken(%q) = %v, nil; want a token with a value", body, tok)
		}
		for i := 0; i < len(tok.Value); i++ {
			if c := tok.Value[i]; c < 0x21 || c > 0x7e {
				t.Fatalf("decodeToken(%q): token byte %#x at %d is not safe in an Authorization header", body, c, i)
			}
		}
		if !tok.Expiry.After(sent) || tok.Expiry.After(sent.Add(tokenLifetime)) {
			t.Fatalf("decodeToken(%q): Expiry %v; want in (%v, %v]", body, tok.Expiry, sent, sent.Add(tokenLifetime))
		}
		if !bytes.Contains(body, []byte(tok.Value)) {
			t.Fatalf("decodeToken(%q): token %q is not in the body", body, tok.Value)
		}
	})
}

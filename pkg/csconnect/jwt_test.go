package csconnect

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// prismToken is the example token of openapi.yaml: iat 2020-08-29T08:00Z, exp an
// hour later.
const prismToken = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImV4YW1wbGUta2V5LTEifQ.eyJzdWIiOiJteVVzZXJuYW1lIiwibmJmIjoxNTk4Njg4MDAwLCJhdXRoX3RpbWUiOjE1OTg2ODgwMDAsImlhdCI6MTU5ODY4ODAwMCwiZXhwIjoxNTk4NjkxNjAwfQ.c2lnbmF0dXJlLW5vdC12YWxpZC1oPeGE7Ak8YtKFbA"

// signedJWT returns an HS256 JWT with the given claims (tests only need its shape).
func signedJWT(t testing.TB, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte("test-key"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTokenFromJWT(t *testing.T) {
	t.Parallel()
	fetched := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	unix := func(d time.Duration) int64 { return fetched.Add(d).Unix() }
	tests := map[string]struct {
		value string
		want  time.Time
	}{
		"prism example, issued 2020": {prismToken, fetched.Add(time.Hour - time.Second)},
		"server clock 10m ahead, lifetime kept": {signedJWT(t, jwt.MapClaims{"iat": unix(10 * time.Minute), "exp": unix(70 * time.Minute)}),
			fetched.Add(time.Hour - time.Second)},
		"server clock 10m behind, lifetime kept": {signedJWT(t, jwt.MapClaims{"iat": unix(-10 * time.Minute), "exp": unix(50 * time.Minute)}),
			fetched.Add(time.Hour - time.Second)},
		"short lifetime honoured": {signedJWT(t, jwt.MapClaims{"iat": unix(0), "exp": unix(15 * time.Minute)}),
			fetched.Add(15*time.Minute - time.Second)},
		"long lifetime capped": {signedJWT(t, jwt.MapClaims{"iat": unix(0), "exp": unix(24 * time.Hour)}),
			fetched.Add(time.Hour)},
		"nbf when no iat": {signedJWT(t, jwt.MapClaims{"nbf": unix(-3 * time.Hour), "exp": unix(-3*time.Hour + 30*time.Minute)}),
			fetched.Add(30*time.Minute - time.Second)},
		"exp only, in the hour":   {signedJWT(t, jwt.MapClaims{"exp": unix(40 * time.Minute)}), fetched.Add(40 * time.Minute)},
		"exp only, beyond 1h":     {signedJWT(t, jwt.MapClaims{"exp": unix(5 * time.Hour)}), fetched.Add(time.Hour)},
		"exp only, in the past":   {signedJWT(t, jwt.MapClaims{"exp": unix(-2 * time.Hour)}), fetched.Add(time.Hour)},
		"no exp":                  {signedJWT(t, jwt.MapClaims{"sub": "x"}), fetched.Add(time.Hour)},
		"unknown alg still reads": {"eyJhbGciOiJYWVoifQ.eyJpYXQiOjEwMCwiZXhwIjo3MDB9.", fetched.Add(10*time.Minute - time.Second)},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			tok, err := TokenFromJWT(tt.value, fetched)
			if err != nil {
				t.Fatalf("TokenFromJWT(%s) = %v; want nil error", name, err)
			}
			if !tok.Expiry.Equal(tt.want) || tok.Value != tt.value || !tok.Fetched.Equal(fetched) {
				t.Errorf("TokenFromJWT(%s) = expiry %v, fetched %v; want expiry %v, fetched %v", name, tok.Expiry, tok.Fetched, tt.want, fetched)
			}
		})
	}
}

func TestTokenFromJWTErrors(t *testing.T) {
	t.Parallel()
	fetched := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	tests := map[string]string{
		"not a jwt":          "not-a-jwt",
		"two segments":       "eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjF9",
		"claims not base64":  "eyJhbGciOiJSUzI1NiJ9.!!!.sig",
		"claims not json":    "eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln",
		"exp is a string":    signedJWT(t, jwt.MapClaims{"exp": "tomorrow"}),
		"exp before iat":     signedJWT(t, jwt.MapClaims{"iat": 2000, "exp": 1000}),
		"exp equals iat":     signedJWT(t, jwt.MapClaims{"iat": 2000, "exp": 2000}),
		"empty":              "",
		"secret-looking jwt": "eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXRva2VuLXZhbHVl.c2ln",
	}
	for name, value := range tests {
		t.Run(name, func(t *testing.T) {
			tok, err := TokenFromJWT(value, fetched)
			if !errors.Is(err, ErrContract) || tok != nil {
				t.Fatalf("TokenFromJWT(%s) = %v, %v; want nil, ErrContract", name, tok, err)
			}
			if value != "" && strings.Contains(err.Error(), value) {
				t.Errorf("TokenFromJWT(%s) error %q contains the token", name, err)
			}
		})
	}
}

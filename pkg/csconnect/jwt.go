package csconnect

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// TokenLifetime is the documented lifetime of a Creditsafe CONNECT token ("valid for
// one hour"). TokenFromJWT never gives a token a longer life, and uses it when the
// token does not say.
const TokenLifetime = time.Hour

// claimGranularity is the resolution of JWT time claims (RFC 7519 NumericDate, whole
// seconds as every issuer here writes them).
const claimGranularity = time.Second

// TokenFromJWT returns the Token for a JWT fetched at fetched (local clock), with its
// Expiry on the local clock. The Authenticator passes the time it sent the request,
// the latest local time the server can have issued the token at, so that the local
// expiry is never later than the server's. The JWT is parsed without verifying its signature (we
// are its recipient, not its audience: the services verify it), with
// github.com/golang-jwt/jwt/v5.
//
// The expiry is computed so that a skewed server clock neither shortens nor
// lengthens the token's life:
//   - exp and iat (or, without iat, nbf): the lifetime exp-iat, less one second, is
//     applied to fetched. The second is the claims' granularity: iat is the issue
//     time truncated to the second, so the token may have been issued up to a second
//     before iat ends and expire that much sooner than iat+lifetime. Prism's example
//     token, issued and expiring in 2020, is thus valid for 59m59s from now. A
//     lifetime that is not positive is an error.
//   - exp only: exp is used as is (there is nothing to measure the skew by), but never
//     later than fetched+TokenLifetime; when exp is not after fetched, the server's
//     clock is presumed ahead and fetched+TokenLifetime is used: a token the server
//     just issued is not expired, and if it were, the services' 401/403 says so.
//   - no exp: fetched+TokenLifetime, the documented lifetime.
//
// In every case the lifetime is capped at TokenLifetime: refreshing early costs one
// authenticate; trusting a bogus exp costs failed calls. The error (wrapping
// ErrContract) never contains the token. Safe for concurrent use.
func TokenFromJWT(value string, fetched time.Time) (*Token, error) {
	exp, iat, nbf, err := readTimeClaims(value)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrContract, err)
	}
	t := &Token{Value: value, Fetched: fetched, Expiry: fetched.Add(TokenLifetime)}
	start := iat
	if start == nil {
		start = nbf
	}
	switch {
	case exp == nil:
	case start != nil:
		life := exp.Sub(*start)
		if life <= 0 {
			return nil, fmt.Errorf("%w: the token expires (exp) before it is issued (iat/nbf)", ErrContract)
		}
		if life > claimGranularity {
			life -= claimGranularity
		}
		t.Expiry = fetched.Add(min(life, TokenLifetime))
	case exp.After(fetched) && exp.Before(t.Expiry):
		t.Expiry = *exp
	}
	return t, nil
}

// The reasons readTimeClaims gives; they name nothing of the token.
var (
	errJWTSegments = errors.New("the token is not a readable JWT (malformed)")
	errJWTClaims   = errors.New("the token's time claims are not numbers")
)

// readTimeClaims reads the exp, iat and nbf claims of a JWT without verifying it
// (nil when absent, null or 0). The header must be a base64url JSON object, the
// claims too; the signature is not decoded, since nothing here verifies it.
//
// It is hand-written rather than golang-jwt's ParseUnverified because that decodes
// the header into a map and the signature too: ~5 µs and 40 allocations per
// authenticate call, a tenth of a loopback round trip, against a target of ≤ 1.1×
// a bare POST. FuzzReadTimeClaims holds it to golang-jwt: every token golang-jwt
// reads, this reads to the same claims.
func readTimeClaims(value string) (exp, iat, nbf *time.Time, err error) {
	header, rest, ok1 := strings.Cut(value, ".")
	payload, sig, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || strings.Contains(sig, ".") {
		return nil, nil, nil, errJWTSegments
	}
	h, err := base64.RawURLEncoding.DecodeString(header)
	if err != nil || !isJSONObjectOrNull(h) {
		return nil, nil, nil, errJWTSegments
	}
	var buf [1024]byte // most payloads fit: no allocation for them
	p := buf[:0]
	if n := base64.RawURLEncoding.DecodedLen(len(payload)); n > len(buf) {
		p = make([]byte, 0, n)
	}
	p, err = base64.RawURLEncoding.AppendDecode(p, []byte(payload))
	if err != nil || !json.Valid(p) {
		return nil, nil, nil, errJWTSegments
	}
	c, ok := topLevelTimeClaims(p)
	if !ok { // unusual but valid JSON (escaped keys): let encoding/json decide
		if err := json.Unmarshal(p, &c); err != nil {
			return nil, nil, nil, errJWTSegments
		}
	}
	if exp, err = numericDate(c["exp"]); err == nil {
		if iat, err = numericDate(c["iat"]); err == nil {
			nbf, err = numericDate(c["nbf"])
		}
	}
	if err != nil {
		return nil, nil, nil, errJWTClaims
	}
	return exp, iat, nbf, nil
}

// topLevelTimeClaims returns the raw values of the exp, iat and nbf members of the
// valid JSON p, later duplicates winning as in encoding/json. ok is false when p is
// not an object or null, or has a member name with an escape: the caller then
// decodes p with encoding/json, whose answer is the reference. Scanning keys by hand
// costs a fifth of decoding p into a map (FuzzReadTimeClaims checks the two agree).
func topLevelTimeClaims(p []byte) (c map[string]json.RawMessage, ok bool) {
	i := skipSpace(p, 0)
	if i < len(p) && p[i] == 'n' { // null: no claims
		return nil, true
	}
	if i >= len(p) || p[i] != '{' {
		return nil, false
	}
	for i = skipSpace(p, i+1); i < len(p) && p[i] == '"'; {
		end := i + 1
		for end < len(p) && p[end] != '"' {
			if p[end] == '\\' {
				return nil, false
			}
			end++
		}
		key := p[i+1 : end]
		i = skipSpace(p, end+1) + 1 // past ':'
		i = skipSpace(p, i)
		start := i
		i = skipValue(p, i)
		if k := string(key); k == "exp" || k == "iat" || k == "nbf" {
			if c == nil {
				c = make(map[string]json.RawMessage, 3)
			}
			c[k] = p[start:i]
		}
		if i = skipSpace(p, i); i < len(p) && p[i] == ',' {
			i = skipSpace(p, i+1)
		}
	}
	return c, true
}

// skipValue returns the index just past the JSON value at p[i], which is valid JSON.
func skipValue(p []byte, i int) int {
	depth := 0
	for ; i < len(p); i++ {
		switch p[i] {
		case '"':
			for i++; p[i] != '"'; i++ {
				if p[i] == '\\' {
					i++
				}
			}
			if depth == 0 {
				return i + 1
			}
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return i // the end of the enclosing object
			}
			if depth--; depth == 0 {
				return i + 1
			}
		case ',', ' ', '\t', '\r', '\n':
			if depth == 0 {
				return i
			}
		}
	}
	return i
}

func skipSpace(p []byte, i int) int {
	for i < len(p) && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n') {
		i++
	}
	return i
}

// numericDate converts a NumericDate claim (RFC 7519 seconds) as golang-jwt's
// MapClaims does: absent or 0 gives nil; a JSON number is truncated to the second
// (jwt.TimePrecision); anything else, null and numeric strings included, is an error.
func numericDate(raw json.RawMessage) (*time.Time, error) {
	if raw == nil {
		return nil, nil
	}
	if c := raw[0]; c != '-' && (c < '0' || c > '9') {
		return nil, errJWTClaims
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil {
		return nil, err
	}
	if f == 0 {
		return nil, nil
	}
	sec, frac := math.Modf(f)
	t := time.Unix(int64(sec), int64(frac*1e9)).Truncate(time.Second)
	return &t, nil
}

// isJSONObjectOrNull reports whether b is valid JSON whose value is an object or null:
// what golang-jwt accepts as a header (it unmarshals the header into a map).
func isJSONObjectOrNull(b []byte) bool {
	t := bytes.TrimLeft(b, " \t\r\n")
	return json.Valid(b) && (len(t) > 0 && t[0] == '{' || bytes.Equal(bytes.TrimRight(t, " \t\r\n"), []byte("null")))
}

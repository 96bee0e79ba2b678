package csconnect

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
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
// expiry is never later than the server's. The JWT is read without verifying its
// signature (we are its bearer, not its audience: the services verify it), to the
// same claims github.com/golang-jwt/jwt/v5 reads (see readTimeClaims).
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

// jsonV1Lenience makes encoding/json/v2 accept what encoding/json (v1), and so
// golang-jwt, accepts: duplicate member names (the last wins) and invalid UTF-8.
var jsonV1Lenience = jsonv2.JoinOptions(jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))

// timeClaims are the members of a JWT's claims that set a Token's lifetime, kept
// raw so that numericDate reads them as golang-jwt's MapClaims would.
type timeClaims struct {
	Exp jsontext.Value `json:"exp"`
	Iat jsontext.Value `json:"iat"`
	Nbf jsontext.Value `json:"nbf"`
}

// readTimeClaims reads the exp, iat and nbf claims of a JWT without verifying it
// (nil when absent, null or 0). The header must be a base64url JSON object or null,
// the claims too; the signature is not decoded, since nothing here verifies it.
//
// It is not golang-jwt's ParseUnverified because that decodes the header and the
// claims into maps with encoding/json, and the signature too: ~6 µs and 48
// allocations per authenticate call, a tenth of a loopback round trip, against a
// target of ≤ 1.1× a bare POST (BenchmarkAuthenticate). The JSON is read by the
// encoding/json/v2 mirror (github.com/go-json-experiment/json) with encoding/json's
// lenience, in a third of that time; FuzzReadTimeClaims holds the result to
// golang-jwt: every token golang-jwt reads, this reads to the same claims.
func readTimeClaims(value string) (exp, iat, nbf *time.Time, err error) {
	header, rest, ok1 := strings.Cut(value, ".")
	payload, sig, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || strings.Contains(sig, ".") {
		return nil, nil, nil, errJWTSegments
	}
	var buf [1024]byte // header and claims of most tokens fit: no allocation for them
	h, err := base64.RawURLEncoding.AppendDecode(buf[:0], []byte(header))
	if err != nil || jsonv2.Unmarshal(h, &struct{}{}, jsonV1Lenience) != nil { // an object or null
		return nil, nil, nil, errJWTSegments
	}
	p, err := base64.RawURLEncoding.AppendDecode(h[len(h):], []byte(payload))
	var c timeClaims
	if err != nil || jsonv2.Unmarshal(p, &c, jsonV1Lenience) != nil {
		return nil, nil, nil, errJWTSegments
	}
	if exp, err = numericDate(c.Exp); err == nil {
		if iat, err = numericDate(c.Iat); err == nil {
			nbf, err = numericDate(c.Nbf)
		}
	}
	if err != nil {
		return nil, nil, nil, errJWTClaims
	}
	return exp, iat, nbf, nil
}

// numericDate converts a NumericDate claim (RFC 7519 seconds) as golang-jwt's
// MapClaims does: absent or 0 gives nil; a JSON number is truncated to the second
// (jwt.TimePrecision); anything else, null and numeric strings included, is an error.
func numericDate(raw jsontext.Value) (*time.Time, error) {
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

package csconnect

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// libraryTimeClaims reads exp, iat and nbf with golang-jwt, the oracle for
// readTimeClaims. ok is false when golang-jwt cannot read the claims; an unknown
// "alg" only stops verification, which nothing here does, so it still counts as read.
// lenient is true when golang-jwt failed on something readTimeClaims deliberately
// does not read: the signature, or a claim other than exp, iat and nbf holding a
// number outside float64's range.
func libraryTimeClaims(value string) (exp, iat, nbf *jwt.NumericDate, lenient, ok bool) {
	var c jwt.MapClaims
	_, _, err := jwt.NewParser().ParseUnverified(value, &c)
	if err != nil && !errors.Is(err, jwt.ErrTokenUnverifiable) {
		msg := err.Error()
		return nil, nil, nil, strings.Contains(msg, "signature") || strings.Contains(msg, "into Go value of type float64"), false
	}
	var e1, e2, e3 error
	exp, e1 = c.GetExpirationTime()
	iat, e2 = c.GetIssuedAt()
	nbf, e3 = c.GetNotBefore()
	return exp, iat, nbf, false, errors.Join(e1, e2, e3) == nil
}

func sameDate(ours numericDate, lib *jwt.NumericDate) bool {
	if !ours.set || lib == nil {
		return !ours.set && lib == nil
	}
	return ours.t.Equal(lib.Time)
}

var jwtOracleSeeds = []string{
	prismToken,
	"eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjF9.c2ln",
	"eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjAsImlhdCI6MS41fQ.c2ln", // exp 0, fractional iat
	"eyJhbGciOiJub25lIn0.eyJleHAiOjE3MDAwMDAwMDB9.",        // alg none, empty signature
	"bnVsbA.bnVsbA.",                                     // null header and claims
	"eyJhbGciOiJSUzI1NiJ9.WzFd.c2ln",                     // claims an array
	"eyJhbGciOiJSUzI1NiJ9.eyJleHAiOiIxMjMifQ.c2ln",       // exp a numeric string
	"eyJhbGciOiJSUzI1NiJ9.eyJleHAiOiJ0b21vcnJvdyJ9.c2ln", // exp a word
	"eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjFlNDAwfQ.c2ln",       // exp out of range
	"eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjF9.c2lnA",            // signature of a bad length
	"a.b.c", "..", "not-a-jwt", "",
}

// scannerSeeds are tokens whose claims exercise the JSON reading: nested values,
// strings holding quotes and braces, escaped and duplicate member names, white space.
func scannerSeeds() []string {
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","kid":"k"}`))
	var seeds []string
	for _, claims := range []string{
		`{"sub":{"a":[1,{"exp":5}],"b":"}"},"exp":1700000000}`,
		`{"sub":"a\"b}","exp":1700000000,"iat":1699996400}`,
		`{"\u0065xp":1700000000}`,
		`{"exp":1,"exp":1700000000}`,
		` { "exp" : 1700000000 , "nbf" : 1699996400 } `,
		`{"exp":[1700000000]}`,
		`{"exp":"1700000000"}`,
		`{"exp":null,"iat":1}`,
		`{"exp":-1.5e3}`,
		`{"a":true,"b":false,"c":null,"exp":17e8}`,
		`{"sub":"\xff\xfe","exp":1700000000}`, // invalid UTF-8, which encoding/json accepts
		`{"exp":1700000000,"exp":null}`,
		`{"exp":1700000000}x`,
		`{}`, `null`, `[]`, `"exp"`, `1`,
	} {
		seeds = append(seeds, header+"."+base64.RawURLEncoding.EncodeToString([]byte(claims))+".c2ln")
	}
	claims := base64.RawURLEncoding.EncodeToString([]byte(`{"exp":1700000000}`))
	for _, h := range []string{`[]`, `1`, `"alg"`, `{"alg":"RS256","alg":"none"}`, "{\"kid\":\"\xff\"}", `{"alg":`} {
		seeds = append(seeds, base64.RawURLEncoding.EncodeToString([]byte(h))+"."+claims+".c2ln")
	}
	return seeds
}

// TestReadTimeClaimsMatchesLibrary and FuzzReadTimeClaims: every token golang-jwt
// reads, readTimeClaims reads to the same exp, iat and nbf; it may read more only
// where golang-jwt stopped at something readTimeClaims does not read (see lenient).
func TestReadTimeClaimsMatchesLibrary(t *testing.T) {
	t.Parallel()
	for _, s := range append(jwtOracleSeeds, scannerSeeds()...) {
		checkAgainstLibrary(t, s)
	}
}

func FuzzReadTimeClaims(f *testing.F) {
	for _, s := range append(jwtOracleSeeds, scannerSeeds()...) {
		f.Add(s)
	}
	f.Fuzz(checkAgainstLibrary)
}

func checkAgainstLibrary(t *testing.T, value string) {
	c, err := readTimeClaims(value)
	exp, iat, nbf := c.Exp, c.Iat, c.Nbf
	lexp, liat, lnbf, lenient, ok := libraryTimeClaims(value)
	switch {
	case ok && err != nil:
		t.Errorf("readTimeClaims(%q) = %v; golang-jwt reads it", value, err)
	case !ok && err == nil && !lenient:
		t.Errorf("readTimeClaims(%q) = nil error; golang-jwt cannot read it", value)
	case ok && !(sameDate(exp, lexp) && sameDate(iat, liat) && sameDate(nbf, lnbf)):
		t.Errorf("readTimeClaims(%q) = exp %v iat %v nbf %v; golang-jwt reads %v %v %v", value, exp, iat, nbf, lexp, liat, lnbf)
	}
}

package csconnect

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TokenLifetime is the documented lifetime of a Creditsafe CONNECT token ("valid for
// one hour"). TokenFromJWT never gives a token a longer life, and uses it when the
// token does not say.
const TokenLifetime = time.Hour

// TokenFromJWT returns the Token for a JWT received at fetched (local clock), with its
// Expiry on the local clock. The JWT is parsed without verifying its signature (we
// are its recipient, not its audience: the services verify it), with
// github.com/golang-jwt/jwt/v5.
//
// The expiry is computed so that a skewed server clock neither shortens nor
// lengthens the token's life:
//   - exp and iat (or, without iat, nbf): the lifetime exp-iat is applied to fetched.
//     Prism's example token, issued and expiring in 2020, is thus valid for an hour
//     from now. A lifetime that is not positive is an error.
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
	claims := jwt.MapClaims{}
	_, _, err := jwt.NewParser().ParseUnverified(value, claims)
	// An unknown "alg" only stops verification, which we do not do: the claims are read.
	if err != nil && !errors.Is(err, jwt.ErrTokenUnverifiable) {
		return nil, fmt.Errorf("%w: the token is not a readable JWT (%s)", ErrContract, jwtProblem(err))
	}
	exp, errExp := claims.GetExpirationTime()
	iat, errIat := claims.GetIssuedAt()
	nbf, errNbf := claims.GetNotBefore()
	if err := errors.Join(errExp, errIat, errNbf); err != nil {
		return nil, fmt.Errorf("%w: the token's time claims are not numbers", ErrContract)
	}
	t := &Token{Value: value, Fetched: fetched, Expiry: fetched.Add(TokenLifetime)}
	start := iat
	if start == nil {
		start = nbf
	}
	switch {
	case exp == nil:
	case start != nil:
		life := exp.Sub(start.Time)
		if life <= 0 {
			return nil, fmt.Errorf("%w: the token expires (exp) before it is issued (iat/nbf)", ErrContract)
		}
		t.Expiry = fetched.Add(min(life, TokenLifetime))
	case exp.After(fetched) && exp.Before(t.Expiry):
		t.Expiry = exp.Time
	}
	return t, nil
}

// jwtProblem names what is wrong with a JWT without quoting it: golang-jwt's error
// texts never include the token, but its wrapped base64 and JSON errors may quote
// bytes of it.
func jwtProblem(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "malformed"
	default:
		return "unparsable"
	}
}

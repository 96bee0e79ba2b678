package csconnect

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Token is a Creditsafe CONNECT bearer token with its expiry on the local clock.
//
// Its String, GoString and Format methods never print Value, so a Token can be
// logged or wrapped in an error safely.
type Token struct {
	// Value is the JWT returned by POST /authenticate.
	Value string
	// Expiry is when the token stops being accepted, on the local clock (the server's
	// lifetime applied to the local fetch time, so clock skew does not shorten it).
	Expiry time.Time
	// Fetched is when the token was received, on the local clock.
	Fetched time.Time
}

// Expired reports whether the token is expired at now. A nil token is expired.
// It is pure: the caller supplies the clock.
func (t *Token) Expired(now time.Time) bool {
	return t == nil || t.Value == "" || !now.Before(t.Expiry)
}

// String describes the token without its value. String, GoString, Format and LogValue
// have value receivers so that a Token and a *Token are both safe to print or log.
func (t Token) String() string {
	return fmt.Sprintf("csconnect.Token{expiry: %s, value: %s}", t.Expiry.UTC().Format(time.RFC3339), redacted)
}

// Format makes every verb (%v, %+v, %s, %q, %#v, %x…) print String.
func (t Token) Format(f fmt.State, verb rune) { fmt.Fprint(f, t.String()) }

// MarshalJSON encodes the expiry and fetch time with the value redacted, so a Token
// inside a struct that is logged as JSON (slog's JSON handler, an HTTP debug dump)
// does not leak. To persist a token, store Value yourself, as pkg/redisstore does.
func (t Token) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Expiry  time.Time `json:"expiry"`
		Fetched time.Time `json:"fetched"`
		Value   string    `json:"value"`
	}{t.Expiry, t.Fetched, redacted})
}

// TokenSource supplies tokens. Implementations must be safe for concurrent use and
// must honour ctx: a caller whose context ends gets ctx.Err() promptly.
type TokenSource interface {
	Token(ctx context.Context) (*Token, error)
}

// tokenSourceFunc adapts a function to TokenSource.
type tokenSourceFunc func(ctx context.Context) (*Token, error)

// Token calls f(ctx).
func (f tokenSourceFunc) Token(ctx context.Context) (*Token, error) { return f(ctx) }

// checkStoredToken checks a token read from a Store as a fresh one from the wire is
// checked: at most maxTokenLen bytes, JWT-shaped (so only base64url characters and
// dots, safe in a header), with readable time claims, and expiring no later than
// TokenFromJWT would make it for its fetch time (never after now, so at most an
// hour from now). A Store that others can write (Redis without EncryptionKey) must
// not be able to plant a token that breaks every call or outlives its hour. The
// error never contains the token.
func checkStoredToken(t *Token, now time.Time) error {
	if len(t.Value) > maxTokenLen {
		return fmt.Errorf("%w: stored token is larger than 16 KiB", ErrContract)
	}
	if !isJWTShape(t.Value) {
		return fmt.Errorf("%w: stored token is not JWT-shaped", ErrContract)
	}
	fetched := t.Fetched
	if fetched.IsZero() || fetched.After(now) {
		fetched = now
	}
	fresh, err := TokenFromJWT(t.Value, fetched)
	if err != nil {
		return fmt.Errorf("stored token: %w", err)
	}
	if t.Expiry.After(fresh.Expiry) {
		return fmt.Errorf("%w: stored token expires %s after its claims allow", ErrContract, t.Expiry.Sub(fresh.Expiry).Round(time.Second))
	}
	return nil
}

package csconnect

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"sync"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

// tokenLifetime is the documented lifetime of a Creditsafe CONNECT token ("valid for
// one hour"). TokenFromJWT never gives a token a longer life, and uses it when the
// token does not say.
const tokenLifetime = time.Hour

// claimGranularity is the resolution of JWT time claims (RFC 7519 NumericDate, whole
// seconds as every issuer here writes them).
const claimGranularity = time.Second

// TokenFromJWT returns the Token for a JWT fetched at fetched (local clock), with its
// Expiry on the local clock. The Authenticator passes the time it sent the request,
// the latest local time the server can have issued the token at, so that the local
// expiry is never later than the server's. The JWT is read without verifying its
// signature (we are its bearer, not its audience: the services verify it), to the
// same claims github.com/golang-jwt/jwt/v5 reads.
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
//     later than fetched plus one hour; when exp is not after fetched, the server's
//     clock is presumed ahead and fetched plus one hour is used: a token the server
//     just issued is not expired, and if it were, the services' 401/403 says so.
//   - no exp: fetched plus one hour, the documented lifetime.
//
// In every case the lifetime is capped at one hour: refreshing early costs one
// authenticate; trusting a bogus exp costs failed calls. The error (wrapping
// ErrContract) never contains the token. Safe for concurrent use.
func TokenFromJWT(value string, fetched time.Time) (*Token, error) {
	c, err := readTimeClaims(value)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrContract, err)
	}
	t := &Token{Value: value, Fetched: fetched, Expiry: fetched.Add(tokenLifetime)}
	exp, start := c.Exp, c.Iat
	if !start.set {
		start = c.Nbf
	}
	switch {
	case !exp.set:
	case start.set:
		life := exp.t.Sub(start.t)
		if life <= 0 {
			return nil, fmt.Errorf("%w: the token expires (exp) before it is issued (iat/nbf)", ErrContract)
		}
		if life > claimGranularity {
			life -= claimGranularity
		}
		t.Expiry = fetched.Add(min(life, tokenLifetime))
	case exp.t.After(fetched) && exp.t.Before(t.Expiry):
		t.Expiry = exp.t
	}
	return t, nil
}

// The reasons readTimeClaims gives; they name nothing of the token.
var (
	errJWTSegments = errors.New("the token is not a readable JWT (malformed)")
	errJWTClaims   = errors.New("the token's time claims are not numbers")
)

// jsonV1Lenience makes encoding/json/v2 read as encoding/json (v1), and so
// golang-jwt, reads: duplicate member names (the last wins), invalid UTF-8, and a
// case-insensitive name (a `case:ignore` field) matched as strings.EqualFold does,
// dashes and underscores included (v2 would also match "to_ken" to "token").
var jsonV1Lenience = jsonv2.JoinOptions(jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true),
	jsonv1.MatchCaseSensitiveDelimiter(true))

// timeClaims are the members of a JWT's claims that set a Token's lifetime.
type timeClaims struct {
	Exp numericDate `json:"exp"`
	Iat numericDate `json:"iat"`
	Nbf numericDate `json:"nbf"`
}

// readTimeClaims reads the exp, iat and nbf claims of a JWT without verifying it
// (not set when absent or 0). The header must be a base64url JSON object or
// null, the claims too; the signature is not decoded, since nothing here verifies it.
//
// It is not golang-jwt's ParseUnverified because that decodes the header and the
// claims into maps with encoding/json, and the signature too: ~6 µs and 48
// allocations alone, and with it BenchmarkAuthenticate measured 1.23-1.38× its floor
// against a target of ≤ 1.1× (1.00-1.05× with this reader). The JSON is read by the
// encoding/json/v2 mirror's decoder (github.com/go-json-experiment/json/jsontext)
// set to read as encoding/json does (jsonV1Lenience), token by token (claimsReader:
// half the time of jsonv2.Unmarshal into timeClaims, one allocation instead of
// three); FuzzReadTimeClaims holds the result to golang-jwt: every token golang-jwt
// reads, this reads to the same claims.
func readTimeClaims(value string) (c timeClaims, err error) {
	header, rest, ok1 := strings.Cut(value, ".")
	payload, sig, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || strings.Contains(sig, ".") {
		return c, errJWTSegments
	}
	enc := base64.RawURLEncoding
	r := claimsReaders.Get().(*claimsReader)
	defer r.release()
	if n := enc.DecodedLen(len(header)) + enc.DecodedLen(len(payload)); cap(r.seg) < n {
		r.seg = make([]byte, 0, n)
	}
	h, err := enc.AppendDecode(r.seg[:0], []byte(header))
	if err != nil || !r.readHeader(h) { // an object or null
		return timeClaims{}, errJWTSegments
	}
	p, err := enc.AppendDecode(h[len(h):], []byte(payload))
	if err != nil || !r.readClaims(p, &c) {
		return timeClaims{}, errJWTSegments
	}
	if c.Exp.bad || c.Iat.bad || c.Nbf.bad {
		return timeClaims{}, errJWTClaims
	}
	return c, nil
}

// claimsReader reads a JWT's header and claims as jsonv2.Unmarshal reads them into
// an empty struct and into timeClaims, with jsonV1Lenience, but walking the tokens
// itself: no reflection, and the decoded segments, the decoder and its buffer are
// reused (claimsReaders). FuzzReadTimeClaims holds the result to golang-jwt's.
type claimsReader struct {
	seg  []byte // the decoded header and claims
	name []byte // an unescaped member name
	buf  bytes.Buffer
	dec  jsontext.Decoder
}

var claimsReaders = sync.Pool{New: func() any { return new(claimsReader) }}

// maxPooledClaims is the most memory a pooled claimsReader keeps: a token's claims
// are a few hundred bytes, and an outsized one is not kept for the next.
const maxPooledClaims = 16 << 10

// release puts r back in claimsReaders, unless it grew beyond maxPooledClaims.
func (r *claimsReader) release() {
	if cap(r.seg) <= maxPooledClaims && r.buf.Cap() <= maxPooledClaims {
		claimsReaders.Put(r)
	}
}

// decoder returns r's decoder reading b (which it copies), set as jsonV1Lenience says.
func (r *claimsReader) decoder(b []byte) *jsontext.Decoder {
	r.buf.Reset()
	r.buf.Write(b)
	r.dec.Reset(&r.buf, jsonV1Lenience) // reads the buffer in place
	return &r.dec
}

// readHeader reports whether b is one JSON object or null, and nothing more.
func (r *claimsReader) readHeader(b []byte) bool {
	d := r.decoder(b)
	if k := d.PeekKind(); k != '{' && k != 'n' {
		return false
	}
	return d.SkipValue() == nil && atEOF(d)
}

// readClaims reads the exp, iat and nbf members of b, a JSON object (or null, which
// sets none), into c; a later duplicate member replaces an earlier one. It reports
// whether b is one object or null, and nothing more.
func (r *claimsReader) readClaims(b []byte, c *timeClaims) bool {
	d := r.decoder(b)
	switch d.PeekKind() {
	case 'n':
		_, err := d.ReadToken()
		return err == nil && atEOF(d)
	case '{':
	default:
		return false
	}
	if _, err := d.ReadToken(); err != nil {
		return false
	}
	for d.PeekKind() != '}' {
		quoted, err := d.ReadValue() // a member name: the object's syntax is checked
		if err != nil {
			return false
		}
		name := quoted[1 : len(quoted)-1]
		if bytes.IndexByte(name, '\\') >= 0 {
			if r.name, err = jsontext.AppendUnquote(r.name[:0], quoted); err != nil {
				return false
			}
			name = r.name
		}
		var claim *numericDate
		switch string(name) {
		case "exp":
			claim = &c.Exp
		case "iat":
			claim = &c.Iat
		case "nbf":
			claim = &c.Nbf
		}
		if claim != nil {
			err = claim.UnmarshalJSONFrom(d)
		} else {
			err = d.SkipValue()
		}
		if err != nil {
			return false
		}
	}
	_, err := d.ReadToken() // '}', or the error that stopped PeekKind
	return err == nil && atEOF(d)
}

// atEOF reports whether nothing but white space follows the value d read.
func atEOF(d *jsontext.Decoder) bool {
	_, err := d.ReadToken()
	return err == io.EOF
}

// numericDate is a NumericDate claim (RFC 7519 seconds) read as golang-jwt's
// MapClaims reads it: a JSON number, truncated to the second (jwt.TimePrecision), 0
// counting as absent; anything else (null, a string, a number beyond float64) is bad.
// Read straight from the decoder: no copy of the raw value, no allocation.
type numericDate struct {
	t   time.Time
	set bool // present and not 0
	bad bool
}

// UnmarshalJSONFrom reads one claim value. A later duplicate member replaces an
// earlier one, as in encoding/json.
func (d *numericDate) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	*d = numericDate{}
	if dec.PeekKind() != '0' {
		d.bad = true
		return dec.SkipValue()
	}
	tok, err := dec.ReadToken()
	if err != nil {
		return err
	}
	f, err := tok.Float()
	if d.bad = err != nil; d.bad || f == 0 {
		return nil
	}
	sec, frac := math.Modf(f)
	d.t, d.set = time.Unix(int64(sec), int64(frac*1e9)).Truncate(time.Second), true
	return nil
}

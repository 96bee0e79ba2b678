package simulator

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"

	"github.com/csconnect/csconnect/gen/server"
)

// handlers implements the generated server interface; it is unexported so the
// Simulator's API speaks of the simulator, not of the generator.
type handlers struct{ s *Simulator }

var _ server.ServerInterface = handlers{}

// Authenticate serves POST /authenticate.
func (h handlers) Authenticate(w http.ResponseWriter, r *http.Request) {
	s := h.s
	s.stats.authenticate.Add(1)
	if s.injectFault(Authenticate, w, r) {
		return
	}
	body, readErr := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	c := parseCredentials(r.Header.Get("Content-Type"), body, readErr)
	now := s.now()

	s.mu.Lock()
	locked, started, retry := s.limits.admit(now)
	if locked {
		s.mu.Unlock()
		if started {
			s.stats.lockouts.Add(1)
		}
		s.stats.rateLimited.Add(1)
		writeTooMany(w, retry)
		return
	}
	valid := c.shape == shapeOK &&
		subtle.ConstantTimeCompare([]byte(c.username), []byte(s.opts.Username)) == 1 &&
		subtle.ConstantTimeCompare([]byte(c.password), []byte(s.password())) == 1
	if !valid {
		if blocked, retry := s.limits.identicalBlocked(c.key, now); blocked {
			s.mu.Unlock()
			s.stats.rateLimited.Add(1)
			writeTooMany(w, retry)
			return
		}
		s.limits.recordInvalid(c.key, now)
		format := s.pickFormat(s.unauthFmt, kindUnauthorized)
		s.mu.Unlock()
		if c.shape == shapeUnreadable {
			s.stats.badRequests.Add(1)
			writeBadRequest(w)
			return
		}
		s.stats.unauthorized.Add(1)
		writeMessage(w, http.StatusUnauthorized, format, msgAccessDenied)
		return
	}
	inactive, ttl := s.inactive, s.ttl
	format := FormatText
	if inactive {
		format = s.pickFormat(s.unauthFmt, kindUnauthorized)
	}
	s.mu.Unlock()

	if inactive {
		s.stats.inactive.Add(1)
		writeMessage(w, http.StatusForbidden, format, msgInactive)
		return
	}
	tok, err := s.issue(c.username, now, ttl)
	if err != nil {
		s.stats.serverErrors.Add(1)
		writeServerError(w)
		return
	}
	s.stats.tokensIssued.Add(1)
	writeJSON(w, http.StatusOK, server.TokenResponse{Token: tok})
}

// issue signs a token for username, valid from now for ttl.
func (s *Simulator) issue(username string, now time.Time, ttl time.Duration) (string, error) {
	var id [12]byte
	_, _ = rand.Read(id[:])
	iat := now.Unix()
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"sub":       username,
		"iat":       iat,
		"nbf":       iat,
		"auth_time": iat,
		"exp":       now.Add(ttl).Unix(),
		"jti":       hex.EncodeToString(id[:]),
	})
	t.Header["kid"] = keyID
	return t.SignedString(s.key)
}

type shape int

const (
	shapeOK         shape = iota // an object whose username and password are non-empty strings
	shapeMissing                 // readable, but username or password absent, null or empty: 401
	shapeUnreadable              // not JSON, not an object, wrong types, bad UTF-8: 400
)

type credentials struct {
	shape              shape
	username, password string
	key                string // identifies "identical" requests
}

// parseCredentials classifies an authenticate request body. Identical requests are
// those with the same username and password, or, for bodies that cannot be read,
// the same bytes.
func parseCredentials(contentType string, body []byte, readErr error) credentials {
	raw := sha256.Sum256(body)
	bad := credentials{shape: shapeUnreadable, key: "raw:" + hex.EncodeToString(raw[:])}
	if readErr != nil || !utf8.Valid(body) {
		return bad
	}
	if mt, _, err := mime.ParseMediaType(contentType); err != nil || mt != "application/json" {
		return bad
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil || fields == nil {
		return bad
	}
	c := credentials{shape: shapeOK}
	for name, dst := range map[string]*string{"username": &c.username, "password": &c.password} {
		v, ok := fields[name]
		if !ok || string(v) == "null" {
			continue
		}
		if err := json.Unmarshal(v, dst); err != nil {
			return bad
		}
	}
	if c.username == "" || c.password == "" {
		c.shape = shapeMissing
	}
	pair, _ := json.Marshal([2]string{c.username, c.password})
	sum := sha256.Sum256(pair)
	c.key = "pair:" + hex.EncodeToString(sum[:])
	return c
}

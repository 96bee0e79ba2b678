package suite

import (
	"encoding/json"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// creds is a JSON authenticate body.
func creds(username, password string) string {
	b, _ := json.Marshal(map[string]string{"username": username, "password": password})
	return string(b)
}

// quote is s as a JSON string.
func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// login authenticates with the valid credentials and returns the token, or "".
// In a live run the token of the run's first login is reused, so that a live run
// sends one valid login however many scenarios need a token.
func (e *Env) login() string {
	if e.shared != nil {
		e.shared.mu.Lock()
		defer e.shared.mu.Unlock()
		if e.shared.token != "" {
			return e.shared.token
		}
	}
	tok := e.tokenOf(e.Authenticate(creds(e.Credentials())), "authenticate(valid credentials)")
	if e.shared != nil {
		e.shared.token = tok
	}
	return tok
}

// tokenOf returns the token of a 200 reply, or "" after reporting why not.
func (e *Env) tokenOf(r Reply, what string) string {
	if !e.expectStatus(r, 200, what) {
		return ""
	}
	var body struct{ Token string }
	if err := json.Unmarshal([]byte(r.Body), &body); err != nil || body.Token == "" {
		e.Errorf("%s: no token in the body (%v)", what, err)
		return ""
	}
	return body.Token
}

// expectStatus checks r's status and reports a failed check otherwise. Bodies are
// not quoted, since a 200 body holds a token.
func (e *Env) expectStatus(r Reply, want int, what string) bool {
	switch {
	case r.Err != nil:
		e.Errorf("%s: %v; want status %d", what, r.Err, want)
	case r.Status != want:
		e.Errorf("%s = %d; want %d", what, r.Status, want)
	default:
		return true
	}
	return false
}

// expectContentType checks the media type of r (ignoring parameters); "" means
// no Content-Type at all.
func (e *Env) expectContentType(r Reply, want, what string) {
	got := r.Header.Get("Content-Type")
	if mt, _, _ := strings.Cut(got, ";"); strings.TrimSpace(mt) != want {
		e.Errorf("%s: Content-Type %q; want %q", what, got, want)
	}
}

// verifyToken checks the token is an RS256 JWT signed by the simulator, with
// exp, nbf, iat and auth_time. Live, it checks the documented exp and nbf are
// present, without verifying the signature (the vendor's key is not published).
func (e *Env) verifyToken(tok string) {
	claims := jwt.MapClaims{}
	if sim := e.Sim(); sim != nil {
		_, err := jwt.ParseWithClaims(tok, claims, func(*jwt.Token) (any, error) { return sim.PublicKey(), nil },
			jwt.WithValidMethods([]string{"RS256"}), jwt.WithTimeFunc(e.Clock().Now), jwt.WithExpirationRequired())
		if err != nil {
			e.Errorf("token does not verify with the simulator's key: %v", err)
			return
		}
	} else if _, _, err := jwt.NewParser().ParseUnverified(tok, claims); err != nil {
		e.Errorf("token is not a JWT: %v", err)
		return
	}
	want := []string{"exp", "nbf"} // documented by the vendor
	if e.Sim() != nil {
		want = append(want, "iat", "auth_time")
	}
	for _, c := range want {
		if claims[c] == nil {
			e.Errorf("token has no %q claim", c)
		}
	}
}

package simulator

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"time"
)

// serveStats answers GET /_sim/stats with Stats as JSON, so a test driving several
// processes can read the counters from outside.
func (s *Simulator) serveStats(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, s.Stats())
}

// controlSpec is the OpenAPI document of the /_sim/ endpoints.
//
//go:embed control.openapi.yaml
var controlSpec []byte

// ControlSpec returns the OpenAPI document (YAML) of the control API, the one
// GET /_sim/openapi.yaml serves.
func ControlSpec() []byte { return slices.Clone(controlSpec) }

// serveControlSpec answers GET /_sim/openapi.yaml with the control API's document.
func (s *Simulator) serveControlSpec(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/yaml")
	_, _ = w.Write(controlSpec)
}

// serveReset answers POST /_sim/reset: Reset, then 204.
func (s *Simulator) serveReset(w http.ResponseWriter, _ *http.Request) {
	s.Reset()
	w.WriteHeader(http.StatusNoContent)
}

// FaultRequest is the JSON body of POST /_sim/faults, the fault-injection API for
// clients outside the process (teams not on Go). Every field is optional; set
// fields are applied, then the answer is 204 (400 with a message when a field is
// invalid, and then nothing is applied). control.openapi.yaml documents each field,
// and a test keeps the two in step.
type FaultRequest struct {
	Endpoint        string          `json:"endpoint,omitempty"`         // "authenticate" (default) or "datecheck": where Fail, Drop and Latency apply
	Fail            *int            `json:"fail,omitempty"`             // answer the next n requests with 500
	Drop            *int            `json:"drop,omitempty"`             // drop the connection of the next n requests
	Latency         string          `json:"latency,omitempty"`          // delay every answer, e.g. "250ms"; "0s" clears
	TokenTTL        string          `json:"token_ttl,omitempty"`        // lifetime of tokens issued from now on, e.g. "30s"
	AccountInactive *bool           `json:"account_inactive,omitempty"` // answer 403 to the valid credentials
	TotalLimit      *int            `json:"total_limit,omitempty"`      // total-requests threshold per window
	Formats         *FormatsRequest `json:"formats,omitempty"`          // response shapes; see FormatsRequest
}

// FormatsRequest chooses the shapes of the responses the vendor documents in more
// than one shape, by the names ParseUnauthorizedFormat and ParseTokenExpiredFormat
// take. An empty field keeps the current format.
type FormatsRequest struct {
	Unauthorized string `json:"unauthorized,omitempty"`  // 401 from authenticate: "text", "json" or "alternate"
	TokenExpired string `json:"token_expired,omitempty"` // 403 Token Expired: "text", "envelope", "error" or "alternate"
}

// serveFaults answers POST /_sim/faults.
func (s *Simulator) serveFaults(w http.ResponseWriter, r *http.Request) {
	var f FaultRequest
	if !decodeControl(w, r, "fault", &f) {
		return
	}
	if err := s.applyFaults(f); err != nil {
		writeText(w, http.StatusBadRequest, err.Error())
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// applyFaults checks every field of f, then applies them all.
func (s *Simulator) applyFaults(f FaultRequest) error {
	ep := Authenticate
	switch f.Endpoint {
	case "", "authenticate":
	case "datecheck":
		ep = DateCheck
	default:
		return fmt.Errorf("endpoint %q: want authenticate or datecheck", f.Endpoint)
	}
	latency, err := optDuration("latency", f.Latency, 0)
	if err != nil {
		return err
	}
	ttl, err := optDuration("token_ttl", f.TokenTTL, time.Second)
	if err != nil {
		return err
	}
	for name, n := range map[string]*int{"fail": f.Fail, "drop": f.Drop, "total_limit": f.TotalLimit} {
		if n != nil && *n < 0 {
			return fmt.Errorf("%s must not be negative", name)
		}
	}
	if f.TotalLimit != nil && *f.TotalLimit == 0 {
		return fmt.Errorf("total_limit must be positive")
	}
	var formats [2]*Format // per kind, the format to set, or nil
	if f.Formats != nil {
		for kind, name := range [2]string{kindUnauthorized: f.Formats.Unauthorized, kindTokenExpired: f.Formats.TokenExpired} {
			if name == "" {
				continue
			}
			v, err := parseFormat(kind, name)
			if err != nil {
				return fmt.Errorf("formats: %w", err)
			}
			formats[kind] = &v
		}
	}
	if f.Fail != nil {
		s.FailNext(ep, *f.Fail)
	}
	if f.Drop != nil {
		s.DropNext(ep, *f.Drop)
	}
	if latency != nil {
		s.SetLatency(ep, *latency)
	}
	if ttl != nil {
		s.SetTokenTTL(*ttl)
	}
	if f.AccountInactive != nil {
		s.SetAccountInactive(*f.AccountInactive)
	}
	if f.TotalLimit != nil {
		s.SetTotalLimit(*f.TotalLimit)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if v := formats[kindUnauthorized]; v != nil {
		s.unauthFmt = *v
	}
	if v := formats[kindTokenExpired]; v != nil {
		s.expiredFmt = *v
	}
	return nil
}

// ClockRequest is the JSON body of POST /_sim/clock: Advance moves the simulator's
// clock forward, e.g. "61m" to expire every token issued so far (TokenTTL is an hour)
// or "5m" to end a lockout. The answer is 200 with ClockResponse.
type ClockRequest struct {
	Advance string `json:"advance"`
}

// ClockResponse is the answer to POST /_sim/clock.
type ClockResponse struct {
	Now time.Time `json:"now"` // the simulator's time after the move
}

// serveClock answers POST /_sim/clock.
func (s *Simulator) serveClock(w http.ResponseWriter, r *http.Request) {
	var c ClockRequest
	if !decodeControl(w, r, "clock", &c) {
		return
	}
	d, err := optDuration("advance", c.Advance, 0)
	if err != nil || d == nil {
		writeText(w, http.StatusBadRequest, "advance: want a duration of at least 0s, e.g. \"5m\"")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, ClockResponse{Now: s.Advance(*d)})
}

// decodeControl decodes the JSON body of a control request (at most 4 KiB, no
// unknown fields) into v, or answers 400 and reports false.
func decodeControl(w http.ResponseWriter, r *http.Request, what string, v any) bool {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 4<<10))
	if err != nil {
		writeText(w, http.StatusBadRequest, "bad "+what+" request: "+err.Error())
		return false
	}
	// control.openapi.yaml declares no field nullable and every body an object; a
	// null would otherwise decode as "field not set" and answer 204 having applied
	// nothing, to a caller who meant to set it.
	if err := refuseNull(body); err != nil {
		writeText(w, http.StatusBadRequest, "bad "+what+" request: "+err.Error())
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeText(w, http.StatusBadRequest, "bad "+what+" request: "+err.Error())
		return false
	}
	// One JSON value and nothing after it: applying the first of two objects and
	// ignoring the second would answer 204 to a request only half applied.
	if _, err := dec.Token(); err != io.EOF {
		writeText(w, http.StatusBadRequest, "bad "+what+" request: data after the JSON value")
		return false
	}
	return true
}

// durationPattern is the pattern of the Duration schema in control.openapi.yaml (a
// test keeps the two equal): the spellings of time.ParseDuration the document
// allows. ParseDuration alone also takes "+5s", ".5s", "5.s", "-0s" and "5μs" (Greek
// mu), which a client checked against the served document would be told are invalid.
const durationPattern = `^(0|([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)$`

var durationRE = regexp.MustCompile(durationPattern)

// refuseNull reports a null anywhere in the JSON text b (a syntax error is left to
// the decoder, which says where it is).
func refuseNull(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		if tok == nil {
			return errors.New("null is not a value of any field (leave the field out)")
		}
	}
}

// optDuration parses an optional duration field that must be at least lo and be
// spelt as the control API's Duration schema says.
func optDuration(name, v string, lo time.Duration) (*time.Duration, error) {
	if v == "" {
		return nil, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < lo || !durationRE.MatchString(v) {
		return nil, fmt.Errorf("%s %q: want a duration of at least %v", name, v, lo)
	}
	return &d, nil
}

package agent

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Problem is the one shape of every error the agent makes itself:
// application/problem+json (RFC 9457) with a code and, when known, retry_after in
// seconds. It never holds the password or the token: Detail comes from the
// library's errors, which redact both, or from the agent's own words.
type Problem struct {
	Type       string `json:"type"`
	Title      string `json:"title"`
	Status     int    `json:"status"`
	Detail     string `json:"detail,omitempty"`
	Code       string `json:"code"`
	RetryAfter int64  `json:"retry_after,omitempty"`
}

// problemType is the RFC 9457 type of every agent problem: the code says which.
const problemType = "about:blank"

// writeProblem answers status with a problem+json body; retryAfter > 0 also sets the
// Retry-After header (whole seconds, rounded up).
func writeProblem(w http.ResponseWriter, status int, code, detail string, retryAfter time.Duration) {
	p := Problem{Type: problemType, Title: http.StatusText(status), Status: status, Detail: detail, Code: code}
	if p.Title == "" {
		p.Title = "Client Closed Request" // 499, the client went away: nobody reads it
	}
	h := w.Header()
	if retryAfter > 0 {
		p.RetryAfter = int64(math.Ceil(retryAfter.Seconds()))
		h.Set("Retry-After", strconv.FormatInt(p.RetryAfter, 10))
	}
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	body, _ := json.Marshal(p)
	h.Set("Content-Length", strconv.Itoa(len(body)+1))
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

// errorDetail is err's message without the library's "csconnect: " prefix.
func errorDetail(err error) string {
	return strings.TrimPrefix(err.Error(), "csconnect: ")
}

package simulator

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/csconnect/csconnect/gen/server"
)

// The documented bodies. The 401 text is the vendor's message; the envelope texts
// are the vendor's examples.
const (
	msgAccessDenied = "Access denied - Please check that your username and password are correct. Please be aware that usernames and passwords are case sensitive. If the problem persists, please contact your Creditsafe account manager."
	msgInactive     = "Customer or user is not active in the Creditsafe system"
	msgTokenExpired = "Token Expired"
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeText(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(msg))
}

// writeMessage answers msg as text/plain, or as JSON {"message": msg}: the two
// shapes the vendor shows for 401 (and which the spec allows for 403).
func writeMessage(w http.ResponseWriter, status int, f Format, msg string) {
	if f == FormatJSON {
		writeJSON(w, status, server.MessageError{Message: msg})
		return
	}
	writeText(w, status, msg)
}

func envelope(code, text, detail string) server.ErrorEnvelope {
	return server.ErrorEnvelope{Error: server.ErrorEnvelopeDetail{Code: &code, Text: &text, Detail: &detail}}
}

// writeBadRequest answers 400 with an empty body and no Content-Type, the
// "empty or minimal" body the vendor documents.
func writeBadRequest(w http.ResponseWriter) {
	w.Header()["Content-Type"] = nil // stop net/http from sniffing one
	w.WriteHeader(http.StatusBadRequest)
}

// writeTooMany answers 429 with the envelope and Retry-After in whole seconds,
// rounded up so a client that waits exactly that long is not early.
func writeTooMany(w http.ResponseWriter, retryAfter time.Duration) {
	secs := int64((retryAfter + time.Second - 1) / time.Second)
	if secs < 1 {
		secs = 1
	}
	w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	writeJSON(w, http.StatusTooManyRequests, envelope("429", "Too many requests", "Rate limit exceeded. Please wait before retrying."))
}

func writeServerError(w http.ResponseWriter) {
	writeJSON(w, http.StatusInternalServerError, envelope("500", "Internal server error", "An unexpected error occurred. Please try again later."))
}

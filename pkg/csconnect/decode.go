package csconnect

import (
	"bytes"
	"io"
	"net/http"
	"strings"
)

// decodeServiceError is a provisional decoder: status and a plain substring check.
// The authenticate work replaces it with the full body-shape decoder.
func decodeServiceError(resp *http.Response) *APIError {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(body), resp.Body), resp.Body}
	e := &APIError{StatusCode: resp.StatusCode, Body: body, Header: resp.Header.Clone()}
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		e.kind = ErrTokenExpired
	case resp.StatusCode == http.StatusForbidden && strings.Contains(strings.ToLower(string(body)), "token expired"):
		e.kind = ErrTokenExpired
	case resp.StatusCode == http.StatusForbidden:
		e.kind = ErrForbidden
	case resp.StatusCode == http.StatusTooManyRequests:
		e.kind = ErrRateLimited
	case resp.StatusCode == http.StatusBadRequest:
		e.kind = ErrBadRequest
	case resp.StatusCode >= 500:
		e.kind = ErrServer
	}
	return e
}

// Error is a provisional one-line message; the authenticate work refines it.
func (e *APIError) Error() string {
	return "csconnect: " + strings.ToLower(http.StatusText(e.StatusCode))
}

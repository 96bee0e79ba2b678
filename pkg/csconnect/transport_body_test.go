package csconnect

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// countingBody counts Close calls.
type countingBody struct {
	io.Reader
	closes *atomic.Int64
}

func (b countingBody) Close() error { b.closes.Add(1); return nil }

// TestTransportClosesRequestBodyOnce: whatever the path (refused before sending,
// sent, renewed, renewal failed), the request body is closed exactly once: by
// Transport when nothing was handed to Base, by Base after.
func TestTransportClosesRequestBodyOnce(t *testing.T) {
	t.Parallel()
	expired := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"error": "Invalid token."}`)
	}))
	t.Cleanup(expired.Close)
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	t.Cleanup(ok.Close)
	tok := tokenAt(1, time.Now())
	var calls atomic.Int64
	renewalFails := tokenSourceFunc(func(context.Context) (*Token, error) {
		if calls.Add(1) == 1 {
			return tok, nil
		}
		return nil, errPermanent
	})
	for name, tt := range map[string]struct {
		tr  *Transport
		url string
	}{
		"no source":      {&Transport{}, ok.URL},
		"insecure url":   {&Transport{Source: staticSource(tok, nil)}, "http://example.com/x"},
		"no token":       {&Transport{Source: staticSource(nil, errPermanent)}, ok.URL},
		"sent":           {&Transport{Source: staticSource(tok, nil)}, ok.URL},
		"renewal failed": {&Transport{Source: renewalFails}, expired.URL},
	} {
		var closes atomic.Int64
		req, _ := http.NewRequest(http.MethodPut, tt.url, nil)
		req.Body = countingBody{strings.NewReader("body"), &closes}
		req.GetBody = func() (io.ReadCloser, error) { return countingBody{strings.NewReader("body"), &closes}, nil }
		req.ContentLength = 4
		resp, err := tt.tr.RoundTrip(req)
		if err == nil {
			resp.Body.Close()
		}
		if n := closes.Load(); n != 1 {
			t.Errorf("%s: request body closed %d times (err %v); want once", name, n, err)
		}
	}
}

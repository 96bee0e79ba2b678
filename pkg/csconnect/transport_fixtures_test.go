package csconnect

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestTransportFixtures runs every documented service error body (testdata/errors,
// the wire fixtures of the decoder) through Transport: only the answers that say the
// token expired are replayed with a new token, only 429 rate limits and 5xx are
// retried, everything else reaches the caller after one request.
func TestTransportFixtures(t *testing.T) {
	t.Parallel()
	const (
		returned = "returned"
		replayed = "replayed with a new token"
		retried  = "retried"
	)
	want := map[string]string{
		"service-400-correlated":                returned,
		"service-400-idenfy-bad-value":          returned,
		"service-401-catalogue-invalid-token":   replayed,
		"service-401-idenfy-unauthorized":       returned,
		"service-401-invalid-token":             replayed,
		"service-401-not-valid-connect-token":   replayed,
		"service-401-www-authenticate":          replayed,
		"service-403-access-forbidden":          returned,
		"service-403-company-rejected-envelope": returned,
		"service-403-token-expired-envelope":    replayed,
		"service-403-token-expired-text":        replayed,
		"service-429-idenfy-out-of-credits":     returned,
		"service-429-idenfy-too-many-requests":  retried,
		"service-500-idenfy-internal":           retried,
	}
	files, err := filepath.Glob("testdata/errors/service-*.snap")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(want) {
		t.Errorf("%d service fixtures, %d expectations: every fixture needs one", len(files), len(want))
	}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".snap")
		t.Run(name, func(t *testing.T) {
			fixture, body := readSnap(t, path)
			var mu sync.Mutex
			var auths []string
			base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
				mu.Lock()
				defer mu.Unlock()
				auths = append(auths, r.Header.Get("Authorization"))
				if len(auths) > 1 {
					return &http.Response{StatusCode: 200, Header: http.Header{}, Body: http.NoBody, Request: r}, nil
				}
				return &http.Response{StatusCode: fixture.StatusCode, Header: fixture.Header.Clone(),
					Body: io.NopCloser(bytes.NewReader(body)), Request: r}, nil
			})
			tr, _, _ := newTestTransport(t)
			tr.Base = base
			req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, "https://se-webservice.apps.creditsafe.com/datecheck/company", nil)
			resp, err := tr.RoundTrip(req)
			if err != nil {
				t.Fatalf("RoundTrip() error = %v", err)
			}
			got := returned
			switch {
			case len(auths) == 2 && auths[1] != auths[0]:
				got = replayed
			case len(auths) == 2:
				got = retried
			case len(auths) != 1:
				t.Fatalf("requests sent = %d; want 1 or 2", len(auths))
			}
			if got != want[name] {
				t.Errorf("RoundTrip(%s): %s; want %s", name, got, want[name])
			}
			if got == returned {
				b, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != fixture.StatusCode || !bytes.Equal(b, body) {
					t.Errorf("RoundTrip(%s) = %d %q; want the service's answer intact: %d %q", name, resp.StatusCode, b, fixture.StatusCode, body)
				}
			}
			_ = resp.Body.Close()
		})
	}
}

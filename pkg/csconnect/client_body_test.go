package csconnect

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// TestNewCapsResponseBody: a service that streams a body longer than
// Config.MaxResponseBody makes the generated call fail with ErrResponseTooLarge
// instead of buffering it; a body of exactly the limit is read whole.
func TestNewCapsResponseBody(t *testing.T) {
	t.Parallel()
	const limit = 4 << 10
	tests := map[string]struct {
		size     int
		declared bool // Content-Length set (else chunked)
		wantErr  error
	}{
		"under the limit":           {size: limit - 1},
		"exactly the limit":         {size: limit},
		"one byte over":             {size: limit + 1, wantErr: ErrResponseTooLarge},
		"streams far beyond":        {size: 256 * limit, wantErr: ErrResponseTooLarge},
		"declared, under the limit": {size: limit - 1, declared: true},
		"declared, one byte over":   {size: limit + 1, declared: true, wantErr: ErrResponseTooLarge},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/plain") // not decoded: only the size matters
				if tc.declared {
					w.Header().Set("Content-Length", strconv.Itoa(tc.size))
				}
				chunk := []byte(strings.Repeat("x", 1<<10))
				for left := tc.size; left > 0; left -= len(chunk) {
					if _, err := w.Write(chunk[:min(left, len(chunk))]); err != nil {
						return // the client stopped reading
					}
					if !tc.declared {
						w.(http.Flusher).Flush() // chunked: no Content-Length to judge by
					}
				}
			}))
			t.Cleanup(svc.Close)
			c := newTestClient(t, newAuthServer(t), svc.URL, func(cfg *Config) { cfg.MaxResponseBody = limit })
			resp, err := c.DateCheckCompanyWithResponse(context.Background(), dateCheck)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("DateCheckCompanyWithResponse() with a %d-byte body, limit %d: error = %v; want %v", tc.size, limit, err, tc.wantErr)
			}
			if tc.wantErr == nil && len(resp.Body) != tc.size {
				t.Errorf("body read = %d bytes; want %d", len(resp.Body), tc.size)
			}
		})
	}
}

func TestNewDefaultMaxResponseBody(t *testing.T) {
	t.Parallel()
	for _, set := range []int64{0, -1} {
		c := newTestClient(t, newAuthServer(t), "https://se-webservice.apps.creditsafe.com", func(cfg *Config) { cfg.MaxResponseBody = set })
		if got := c.HTTPClient.Transport.(*Transport).MaxResponseBody; got != defaultMaxResponseBody {
			t.Errorf("New(MaxResponseBody: %d): Transport.MaxResponseBody = %d; want %d", set, got, defaultMaxResponseBody)
		}
	}
}

// TestCappedBody: the reader yields up to the limit and fails, stickily, only when
// the body goes on past it.
func TestCappedBody(t *testing.T) {
	t.Parallel()
	for _, size := range []int{0, 9, 10, 11, 100} {
		b := &cappedBody{rc: io.NopCloser(bytes.NewReader(make([]byte, size))), left: 10}
		got, err := io.ReadAll(b)
		wantErr := error(nil)
		if size > 10 {
			wantErr = ErrResponseTooLarge
		}
		if !errors.Is(err, wantErr) || len(got) != min(size, 10) {
			t.Errorf("ReadAll(%d bytes, limit 10) = %d bytes, %v; want %d, %v", size, len(got), err, min(size, 10), wantErr)
		}
		if _, err := b.Read(make([]byte, 1)); size > 10 && !errors.Is(err, ErrResponseTooLarge) {
			t.Errorf("Read after the limit was exceeded = %v; want ErrResponseTooLarge again", err)
		}
	}
}

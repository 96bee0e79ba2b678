package csconnect

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/csconnect/csconnect/internal/secret/secrettest"
)

// FuzzDecodeError feeds raw HTTP responses (seeded with every wire fixture) to both
// decoders. Invariants: no panic; Error() is one line; the body kept is capped and is
// the body read; CheckResponse gives the caller back the exact body; a secret echoed
// by the server, in any escaping, reaches neither Error() nor Body nor Header.
func FuzzDecodeError(f *testing.F) {
	files, err := filepath.Glob("testdata/errors/*.snap")
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed fixtures: %v", err)
	}
	for _, path := range files {
		raw, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	const secret = "S3cret-Pw!x"
	f.Fuzz(func(t *testing.T, raw []byte) {
		resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), nil)
		if err != nil || resp.StatusCode < 400 || resp.StatusCode > 599 {
			return
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 2*maxErrorBody))
		for _, ep := range []endpoint{authenticateEndpoint, serviceEndpoint} {
			capped := body[:min(len(body), maxErrorBody)]
			e := decodeError(ep, resp.StatusCode, reasonPhrase(resp), resp.Header, capped, fixtureNow)
			newRedactor(secret).apiError(e)
			msg := e.Error()
			if strings.ContainsAny(msg, "\r\n") || !utf8.ValidString(msg) || !strings.HasPrefix(msg, "csconnect: ") {
				t.Fatalf("Error() = %q; want one valid line starting with csconnect:", msg)
			}
			for what, out := range map[string]string{"Error()": msg, "Body": string(e.Body), "Header": fmt.Sprint(e.Header),
				"%#v": fmt.Sprintf("%#v", *e)} {
				secrettest.AssertNone(t, what, out, secret) // in no escaping either
			}
			if len(msg) > 4*(2*maxMessageRunes+3*maxCodeRunes)+200 {
				t.Fatalf("len(Error()) = %d; want it capped", len(msg))
			}
			if len(e.Body) > maxErrorBody {
				t.Fatalf("len(Body) = %d; want ≤ %d", len(e.Body), maxErrorBody)
			}
			if ep == authenticateEndpoint && e.kind == nil {
				t.Fatalf("authenticate error for %d unclassified; want a sentinel (ErrContract at least)", e.StatusCode)
			}
			if ep == serviceEndpoint && errors.Is(e, ErrTokenExpired) && e.StatusCode != 401 && e.StatusCode != 403 {
				t.Fatalf("status %d classified as ErrTokenExpired; want only 401/403", e.StatusCode)
			}
		}
		resp2 := &http.Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: io.NopCloser(bytes.NewReader(body))}
		if CheckResponse(resp2) == nil {
			t.Fatalf("CheckResponse(%d) = nil; want an error", resp.StatusCode)
		}
		if back, _ := io.ReadAll(resp2.Body); !bytes.Equal(back, body) {
			t.Fatalf("body after CheckResponse differs: %d bytes; want %d", len(back), len(body))
		}
	})
}

package suite_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/csconnect/csconnect/conformance/suite"
	"github.com/csconnect/csconnect/internal/secret/secrettest"
)

// echoInStatusLine answers with a malformed status line whose code field is what
// it was sent: the password of an authenticate request, or the bearer token. Go's
// HTTP client quotes that field in its error ("malformed HTTP status code ...").
func echoInStatusLine(t *testing.T, next http.Handler, echoPassword bool) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var echo string
		if strings.HasSuffix(r.URL.Path, "/authenticate") {
			if !echoPassword {
				next.ServeHTTP(w, r)
				return
			}
			var in struct{ Password string }
			_ = json.NewDecoder(r.Body).Decode(&in)
			echo = in.Password
		} else {
			echo = strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		}
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		_, _ = buf.WriteString("HTTP/1.1 " + strings.ReplaceAll(echo, " ", "") + " X\r\nContent-Length: 0\r\n\r\n")
		_ = buf.Flush()
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestReportsNeverHoldAnEchoedSecret: a hostile server that echoes the password or
// the bearer token in a malformed status line makes the client's requests fail with
// an error that quotes it. Neither may reach the report: the problems, the JSON
// report (--json) or the JUnit XML (--junit).
func TestReportsNeverHoldAnEchoedSecret(t *testing.T) {
	st := startSim(t)
	for name, echoPassword := range map[string]bool{"password": true, "token": false} {
		t.Run(name, func(t *testing.T) {
			base := echoInStatusLine(t, st.Sim, echoPassword)
			var tokens []string
			target := suite.Target{
				AuthURL: base + "/v1", ServiceURL: base,
				Username: suite.SimUsername, Password: suite.SimPassword,
				Base: &tokenSpy{base: &http.Transport{}, seen: &tokens},
			}
			rep := suite.Run(context.Background(), suite.Config{Mode: "live", Target: target, Live: true, AllowInvalid: true}, suite.Scenarios())
			if rep.OK() {
				t.Fatal("Run(hostile server) passed; want failures")
			}
			if !echoPassword && len(tokens) == 0 {
				t.Fatal("no token was issued; the test proves nothing")
			}
			var junit bytes.Buffer
			if err := suite.WriteJUnit(&junit, rep, nil); err != nil {
				t.Fatal(err)
			}
			js, _ := json.Marshal(rep)
			all := append([]string{suite.SimPassword}, tokens...)
			secrettest.AssertNone(t, "JUnit report", junit.String(), all...)
			secrettest.AssertNone(t, "JSON report", string(js), all...)
		})
	}
}

// tokenSpy records the token of every 200 from authenticate that it carries.
type tokenSpy struct {
	base http.RoundTripper
	seen *[]string
}

func (s *tokenSpy) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := s.base.RoundTrip(req)
	if err != nil || resp.StatusCode != 200 || !strings.HasSuffix(req.URL.Path, "/authenticate") {
		return resp, err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	var tok struct{ Token string }
	if json.Unmarshal(b, &tok) == nil && tok.Token != "" {
		*s.seen = append(*s.seen, tok.Token)
	}
	return resp, nil
}

package agent

import (
	"net/url"
	"strings"
	"testing"
)

// TestAuthenticateCaseAliasesRefused: the agent refuses a call of authenticate
// through it (its credentials would pass by the lockout guard) in any case. It
// compared the lower-cased path, which also caught the Unicode letters whose lower
// case is an ASCII one (İ, U+0130, lowers to i); the one-pass check compared with
// strings.EqualFold, whose simple folding does not, and let "authentİcate" through
// to a service that may match paths by lower case (as Java's equalsIgnoreCase
// does, and ı, U+0131, by upper case). Each is refused before anything is
// forwarded.
func TestAuthenticateCaseAliasesRefused(t *testing.T) {
	e := newEnv(t, envOptions{})
	host := hostOf(e.srv.URL)
	for _, p := range []string{
		"/up/v1/authentİcate",  // İ lowers to i: the old check refused it
		"/up/v1/AUTHENTİCATE/", // and with a trailing slash
		"/up/v1/authentıcate",  // ı uppers to I
		"/up/v1/AUTHENTıCATE",
		"/up/v1/authenticate", // and the plain ones still
		"/up/v1/AuThEnTiCaTe/",
	} {
		u := (&url.URL{Path: p}).EscapedPath()
		status, body := e.raw(t, "POST "+u+" HTTP/1.1\r\nHost: "+host+"\r\nContent-Length: 2\r\n\r\n{}")
		if status != 400 || !strings.Contains(body, `"code":"`+codeClientAuth+`"`) {
			t.Errorf("POST %s (%s): %d %s; want 400 %s", p, u, status, body, codeClientAuth)
		}
	}
	if n := e.upstream.hits.Load(); n != 0 {
		t.Errorf("upstream reached %d times; want 0", n)
	}
}

package csconnect

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"
)

// TestGuardOwnStoreSameAsShared: without AuthConfig.Store the guard keeps its state in
// its local copy alone, with no Store to read or write;
// over one script of answers (success, 5xx storm, 401, 429, resets) it sends and
// refuses exactly what a guard over a memory store sends and refuses.
func TestGuardOwnStoreSameAsShared(t *testing.T) {
	t.Parallel()
	type step struct {
		status int           // the server's answer to whatever is sent
		wait   time.Duration // clock advance before the call
		reset  bool          // ResetGuard before the call
	}
	var script []step
	for _, s := range []int{200, 500, 500, 500, 500, 500, 500, 500, 200, 401, 401, 200, 429, 429, 200, 401, 200} {
		script = append(script, step{status: s, wait: 10 * time.Second})
	}
	script[8].wait = 3 * time.Minute  // past the identical-request window
	script[11].reset = true           // after the 401
	script[14].wait = 5 * time.Minute // past the 429's lockout
	script[16].reset = true           // after the second 401
	run := func(store Store) (out []string, a *testAuth) {
		var status int
		srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
			if status == http.StatusOK {
				tokenReply()(w, r)
				return
			}
			reply(status, `{"message":"no"}`)(w, r)
		})
		a = newTestAuth(t, srv.URL, func(c *AuthConfig) { c.Store = store })
		for i, s := range script {
			status = s.status
			a.clock.advance(s.wait)
			if s.reset {
				if err := a.ResetGuard(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			before := srv.hits.Load()
			_, err := a.Token(context.Background())
			var ge *GuardError
			out = append(out, fmt.Sprintf("step %d: sent %d, refused %v, err %v", i, srv.hits.Load()-before, errors.As(err, &ge), err != nil))
		}
		return out, a
	}
	own, a := run(nil)
	shared, _ := run(NewMemoryStore())
	for i := range own {
		if own[i] != shared[i] {
			t.Errorf("without a Store: %s; over a memory store: %s", own[i], shared[i])
		}
	}
	if a.guard.store != nil {
		t.Errorf("without AuthConfig.Store the guard has a Store (%T); want none (the local copy is the state)", a.guard.store.Store)
	}
}

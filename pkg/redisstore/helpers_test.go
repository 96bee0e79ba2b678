package redisstore

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/csconnect/csconnect/internal/redistest"
)

var (
	testSecret = bytes.Repeat([]byte("s"), 32)
	testKey    = bytes.Repeat([]byte("k"), 32)
	otherKey   = bytes.Repeat([]byte("o"), 32)
)

// sampleToken is the token prefix from the vendor's authenticate document.
const sampleToken = "eyJhbGciOiJSUzI1NiIsImtpZCI6Im.sample.hPeGE7Ak8YtKFbA"

// newTestStore returns a store on a fresh redis-server (stopped in t.Cleanup) and a
// raw client to inspect what it wrote. opts.Client and opts.Secret are filled in.
func newTestStore(t *testing.T, opts Options) (*Store, *redis.Client, *redistest.Server) {
	t.Helper()
	srv := redistest.New(t)
	raw := redistest.NewClient(t, srv)
	return storeOn(t, raw, opts), raw, srv
}

// storeOn returns a store using client, with testSecret unless opts sets one, and a
// Timeout of 5 s unless opts sets one: DefaultTimeout (200 ms) is for production
// Redis, and a test's real redis-server under -race on two shared cores can take
// longer to answer; the tests of timeouts set their own.
func storeOn(t *testing.T, client redis.UniversalClient, opts Options) *Store {
	t.Helper()
	opts.Client = client
	if opts.Secret == nil {
		opts.Secret = testSecret
	}
	if opts.Timeout == 0 {
		opts.Timeout = 5 * time.Second
	}
	s, err := New(opts)
	if err != nil {
		t.Fatalf("New(%v) = %v", opts, err)
	}
	return s
}

// fixedNow pins s's clock to now.
func fixedNow(s *Store, now time.Time) { s.now = func() time.Time { return now } }

func ctxT(t *testing.T) context.Context { return t.Context() }

// logRecorder is a slog.Handler that keeps the messages it is given.
type logRecorder struct {
	mu   sync.Mutex
	msgs []string
}

func (r *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *logRecorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, rec.Level.String()+" "+rec.Message)
	return nil
}
func (r *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *logRecorder) WithGroup(string) slog.Handler      { return r }
func (r *logRecorder) messages() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.msgs...)
}

// nopClient is a client for stores whose tests never reach Redis.
func nopClient(t testing.TB) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

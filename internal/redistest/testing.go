package redistest

import (
	"context"
	"errors"
	"testing"

	"github.com/redis/go-redis/v9"
)

// New starts a server for the test and stops it in t.Cleanup. It skips the test, with
// a message that says how to install the binary, when redis-server is absent.
func New(t testing.TB) *Server {
	t.Helper()
	s, err := Start(context.Background())
	if errors.Is(err, ErrNoBinary) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("redistest: close: %v", err)
		}
	})
	return s
}

// NewClient is s.Client() closed in t.Cleanup.
func NewClient(t testing.TB, s *Server) *redis.Client {
	t.Helper()
	c := s.Client()
	t.Cleanup(func() { _ = c.Close() })
	return c
}

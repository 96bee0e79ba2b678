package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// releaseScript deletes the lease only if it still holds this owner's value: a holder
// whose lease expired (and was taken by another process) must not delete the new
// holder's lease. This is the compare-and-delete from the Redis documentation of SET.
var releaseScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("DEL", KEYS[1])
end
return 0
`)

// AcquireLease tries to take the refresh lease for key for ttl (rounded up to a
// millisecond) with SET NX PX and a random owner value. ok reports whether this caller
// holds it. release gives it back, only if this caller still holds it; it is safe to
// call more than once and from any goroutine, and is bounded by Options.Timeout even
// after ctx has ended. A holder that dies holds the lease for at most ttl.
func (s *Store) AcquireLease(ctx context.Context, key string, ttl time.Duration) (release func(), ok bool, err error) {
	noop := func() {}
	if ttl <= 0 {
		return noop, false, fmt.Errorf("redisstore: acquire lease: ttl %v is not positive", ttl)
	}
	ttl = max(ttl.Round(time.Millisecond), time.Millisecond)
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	owner := hex.EncodeToString(b[:])
	name := s.key("lease", key)

	opCtx, cancel := s.opContext(ctx)
	defer cancel()
	ok, err = s.client.SetNX(opCtx, name, owner, ttl).Result()
	if err = s.observe(ctx, "acquire lease", err); err != nil || !ok {
		return noop, false, err
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			// The caller's ctx may be over by now (it often is: release runs deferred);
			// the release still deserves its bounded attempt. Should it fail, the lease
			// lapses by itself after ttl.
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.timeout)
			defer cancel()
			_ = s.observe(ctx, "release lease", releaseScript.Run(ctx, s.client, []string{name}, owner).Err())
		})
	}
	return release, true, nil
}

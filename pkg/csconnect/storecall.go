package csconnect

import (
	"context"
	"errors"
	"sync/atomic"
	"time"
)

// maxAbandoned is how many Store calls that outlived their bound may still be
// running before a boundedStore stops starting new ones: a Store that ignores its
// context leaves one goroutine per call until it answers, and a dead one must not
// leave one per Token call for ever.
const maxAbandoned = 16

// errStoreStalled is returned, without calling the Store, while maxAbandoned calls
// are still running past their bound.
var errStoreStalled = errors.New("store stalled: earlier calls have not returned")

// boundedStore is a Store with the bound on each call that the guard and the Cache
// share: storeCall. The process's own memoryStore, which never blocks, is called
// directly.
type boundedStore struct {
	Store
	timeout   time.Duration
	direct    bool         // a *memoryStore: no goroutine, timer or channel
	abandoned atomic.Int64 // calls that outlived their bound and are still running
}

func newBoundedStore(s Store, timeout time.Duration) *boundedStore {
	_, direct := s.(*memoryStore)
	return &boundedStore{Store: s, timeout: timeout, direct: direct}
}

// storeCall runs f (a call of b's Store) with a context bounded by b's timeout and
// returns when f does or that context ends, whichever is first: a Store that ignores
// its context holds the caller at most the timeout (or until ctx ends). The
// abandoned call's goroutine ends when f returns (the channel is buffered); while
// maxAbandoned of them are still running, calls fail at once. It is the one way the
// guard and the Cache call a Store.
func storeCall[T any](ctx context.Context, b *boundedStore, f func(context.Context) (T, error)) (T, error) {
	if b.direct {
		return f(ctx)
	}
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, err // nothing to wait for: do not start a call
	}
	if b.abandoned.Load() >= maxAbandoned {
		return zero, errStoreStalled
	}
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	var settled atomic.Bool // set by the first of: f returned, the caller gave up
	go func() {
		v, err := callStore(ctx, f)
		if !settled.CompareAndSwap(false, true) {
			b.abandoned.Add(-1) // the caller gave up on this call first
		}
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		if settled.CompareAndSwap(false, true) {
			b.abandoned.Add(1)
		}
		return zero, errors.Join(errors.New("store call abandoned"), ctx.Err())
	}
}

// callStore calls f with a panic of the Store turned into an error (see recovered):
// storeCall runs f on a goroutine of its own, where no caller's recover reaches and
// a panic would kill the process. A panicking Store is then a failing one.
func callStore[T any](ctx context.Context, f func(context.Context) (T, error)) (v T, err error) {
	defer recovered(&err, "store")
	return f(ctx)
}

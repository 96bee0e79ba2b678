package csconnect

import (
	"cmp"
	"context"
	"crypto/rand"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/csconnect/csconnect/internal/storekit"
)

// memoryStore is NewMemoryStore's Store. The zero value works like newMemoryStore's (it draws its random secret
// on first use). Safe for concurrent use.
type memoryStore struct {
	once   sync.Once // ready's: fills in the zero value
	secret []byte
	now    func() time.Time

	mu     sync.Mutex
	tokens map[string]*Token
	leases map[string]memLease
	guards map[string]*GuardState // each what GuardState.Merge returned; see mergeGuardFunc
}

type memLease struct {
	owner   *byte // identity of the holder
	expires time.Time
}

// NewMemoryStore returns an empty in-process Store, fingerprinting with a random
// secret: state shared by the Authenticators (and their caches) of one process that
// are given it as AuthConfig.Store. Without a Store each Authenticator keeps its
// guard to itself, so two of them with the same credentials may each send a
// password the other saw rejected.
func NewMemoryStore() Store { return newMemoryStore() }

func newMemoryStore() *memoryStore {
	secret := make([]byte, 32)
	_, _ = rand.Read(secret) // crypto/rand.Read never fails (Go 1.24+)
	return &memoryStore{
		secret: secret,
		now:    time.Now,
		tokens: map[string]*Token{},
		leases: map[string]memLease{},
		guards: map[string]*GuardState{},
	}
}

// ready fills in what NewMemoryStore sets, so that the zero memoryStore works.
func (m *memoryStore) ready() {
	m.once.Do(func() {
		if m.secret == nil {
			m.secret = make([]byte, 32)
			_, _ = rand.Read(m.secret)
		}
		if m.now == nil {
			m.now = time.Now
		}
		if m.tokens == nil {
			m.tokens, m.leases, m.guards = map[string]*Token{}, map[string]memLease{}, map[string]*GuardState{}
		}
	})
}

// LoadToken returns the token saved for key, or nil when none is saved or it expired.
func (m *memoryStore) LoadToken(_ context.Context, key string) (*Token, error) {
	m.ready()
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.tokens[key]
	if t.Expired(m.now()) {
		delete(m.tokens, key)
		return nil, nil
	}
	return t, nil
}

// SaveToken saves t for key.
func (m *memoryStore) SaveToken(_ context.Context, key string, t *Token) error {
	m.ready()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tokens[key] = t
	return nil
}

// AcquireLease takes the lease for key when it is free or its holder's ttl ran out.
func (m *memoryStore) AcquireLease(_ context.Context, key string, ttl time.Duration) (func(), bool, error) {
	m.ready()
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if l, held := m.leases[key]; held && now.Before(l.expires) {
		return func() {}, false, nil
	}
	owner := new(byte)
	m.leases[key] = memLease{owner: owner, expires: now.Add(ttl)}
	release := func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.leases[key].owner == owner {
			delete(m.leases, key)
		}
	}
	return release, true, nil
}

// LoadGuard returns a copy of the guard state saved for key.
func (m *memoryStore) LoadGuard(_ context.Context, key string) (GuardState, error) {
	var st GuardState
	m.loadGuardFunc(key, func(s GuardState) { st = cloneGuard(s) })
	return st, nil
}

// MergeGuard merges s into the guard state saved for key, under the store's lock,
// and returns (a copy of) the result. Records are kept (one per username, bounded by
// Merge).
func (m *memoryStore) MergeGuard(_ context.Context, key string, s GuardState) (GuardState, error) {
	var st GuardState
	m.mergeGuardFunc(key, s, func(merged GuardState) { st = cloneGuard(merged) })
	return st, nil
}

// loadGuardFunc calls f with the guard state saved for key, under the store's lock.
// f must not keep it: its slices are the store's, updated in place by later merges.
// It is how the guard of an Authenticator reads its record from the process's own
// store without copying it.
func (m *memoryStore) loadGuardFunc(key string, f func(GuardState)) {
	m.ready()
	m.mu.Lock()
	defer m.mu.Unlock()
	var st GuardState
	if p := m.guards[key]; p != nil {
		st = *p
	}
	f(st)
}

// mergeGuardFunc merges s into the guard state saved for key and calls f (unless
// nil) with the result, under the store's lock; f must not keep it (see
// loadGuardFunc).
func (m *memoryStore) mergeGuardFunc(key string, s GuardState, f func(GuardState)) {
	m.ready()
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.guards[key]
	if p == nil {
		p = new(GuardState)
		m.guards[key] = p
	}
	if !mergeOneInPlace(p, s) {
		*p = p.Merge(s)
	}
	if f != nil {
		f(*p)
	}
}

// cloneGuard returns st with slices of its own (nil when empty, as Merge returns
// them), for a caller outside the store's lock.
func cloneGuard(st GuardState) GuardState {
	clone := func(es []pairEvent) []pairEvent {
		if len(es) == 0 {
			return nil
		}
		return slices.Clone(es)
	}
	st.rejected, st.sent, st.succeeded = clone(st.rejected), clone(st.sent), clone(st.succeeded)
	return st
}

// mergeOneInPlace sets *st to st.Merge(s), in place, when s is one send (Sent holds
// one event and nothing else is set) or one success (likewise Succeeded), the two
// merges the guard makes on every authenticate call, and reports whether it did;
// otherwise it changes nothing and the caller merges with Merge. *st must be what
// Merge returned (the store writes nothing else), so its lists are already sorted,
// without duplicates and within their bounds: merging one event into them is an
// insertion and a filter, where Merge copies both states into a new list and sorts
// it. The result is Merge's, not an approximation of it: the times and bounds are
// the ones Merge applies, in the same order (TestMemoryStoreMergesAsMerge compares
// the two on random states); empty lists keep their storage, which Merge would return
// as nil (cloneGuard returns them so).
func mergeOneInPlace(st *GuardState, s GuardState) bool {
	var e pairEvent
	switch {
	case len(s.rejected) != 0:
		return false
	case len(s.sent) == 1 && len(s.succeeded) == 0:
		e = s.sent[0]
	case len(s.succeeded) == 1 && len(s.sent) == 0:
		e = s.succeeded[0]
	default:
		return false
	}
	// The times must stay as they are (a reset that changes may drop rejections:
	// leave that to Merge). They do when s sets none, unless a time of *st is before
	// the zero time, which Merge would replace with zero; otherwise Merge's own rule
	// says, on the times alone (no lists: no allocation).
	var zero time.Time
	if s.lockedUntil == zero && s.lockedAt == zero && s.ResetAt == zero {
		if st.lockedUntil.Before(zero) || st.lockedAt.Before(zero) || st.ResetAt.Before(zero) {
			return false
		}
	} else {
		times := func(g GuardState) GuardState {
			return GuardState{lockedUntil: g.lockedUntil, lockedAt: g.lockedAt, ResetAt: g.ResetAt}
		}
		if m := times(*st).Merge(times(s)); m.lockedUntil != st.lockedUntil || m.lockedAt != st.lockedAt || m.ResetAt != st.ResetAt {
			return false
		}
	}
	// Rejected is unchanged: Merge keeps a sorted, deduplicated, bounded list as it
	// is when the reset is the same.
	if len(s.succeeded) == 1 {
		st.succeeded = insertSucceeded(st.succeeded, e)
	}
	// Merge keeps the sends within identicalWindow of the latest of both states',
	// and after their pair's last success.
	var last time.Time
	for _, x := range st.sent {
		last = later(last, x.At)
	}
	if len(s.sent) == 1 {
		last = later(last, e.At)
	}
	st.sent = slices.DeleteFunc(st.sent, func(x pairEvent) bool { return !keepSend(x, last, st.succeeded) })
	if len(s.sent) == 1 && e.Pair != "" && keepSend(e, last, st.succeeded) {
		// One per pair, time and recorder: an equal one is replaced (Merge keeps the
		// later of equals, the merged-in one).
		i, found := slices.BinarySearchFunc(st.sent, e, compareEvents)
		if found {
			st.sent[i] = e
		} else {
			st.sent = slices.Insert(st.sent, i, e)
		}
		if len(st.sent) > maxSent {
			st.sent = slices.Delete(st.sent, 0, len(st.sent)-maxSent)
		}
	}
	return true
}

// insertSucceeded merges the success e into the sorted list ss of the latest
// success per pair, as Merge does: e replaces its pair's entry when it is not
// earlier (by time, then recorder), and the latest maxRejectedPairs are kept.
func insertSucceeded(ss []pairEvent, e pairEvent) []pairEvent {
	if e.Pair == "" {
		return ss
	}
	if i := slices.IndexFunc(ss, func(x pairEvent) bool { return x.Pair == e.Pair }); i >= 0 {
		if compareEvents(e, ss[i]) < 0 {
			return ss
		}
		ss = slices.Delete(ss, i, i+1)
	}
	i, _ := slices.BinarySearchFunc(ss, e, compareEvents)
	ss = slices.Insert(ss, i, e)
	if len(ss) > maxRejectedPairs {
		ss = slices.Delete(ss, 0, len(ss)-maxRejectedPairs)
	}
	return ss
}

// compareEvents is the order of Merge's lists: by time, then pair, then recorder.
func compareEvents(x, y pairEvent) int {
	return cmp.Or(x.At.Compare(y.At), strings.Compare(x.Pair, y.Pair), strings.Compare(x.By, y.By))
}

// Fingerprint is a keyed hash (HMAC-SHA256) of parts with this store's random secret.
func (m *memoryStore) Fingerprint(parts ...string) string {
	m.ready()
	return storekit.KeyedHash(m.secret, parts...)
}

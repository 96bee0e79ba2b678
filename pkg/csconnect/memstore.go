package csconnect

import (
	"context"
	"crypto/rand"
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
	guards map[string]GuardState
}

type memLease struct {
	owner   *byte // identity of the holder
	expires time.Time
}

// NewMemoryStore returns an empty in-process Store, the default: state shared by the
// caches and guards of one process, fingerprinted with a random secret.
func NewMemoryStore() Store { return newMemoryStore() }

func newMemoryStore() *memoryStore {
	secret := make([]byte, 32)
	_, _ = rand.Read(secret) // crypto/rand.Read never fails (Go 1.24+)
	return &memoryStore{
		secret: secret,
		now:    time.Now,
		tokens: map[string]*Token{},
		leases: map[string]memLease{},
		guards: map[string]GuardState{},
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
			m.tokens, m.leases, m.guards = map[string]*Token{}, map[string]memLease{}, map[string]GuardState{}
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

// LoadGuard returns the guard state saved for key.
func (m *memoryStore) LoadGuard(_ context.Context, key string) (GuardState, error) {
	m.ready()
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.guards[key], nil
}

// MergeGuard merges s into the guard state saved for key, under the store's lock,
// and returns the result. Records are kept (one per username, bounded by Merge).
func (m *memoryStore) MergeGuard(_ context.Context, key string, s GuardState) (GuardState, error) {
	m.ready()
	m.mu.Lock()
	defer m.mu.Unlock()
	merged := m.guards[key].Merge(s)
	m.guards[key] = merged
	return merged, nil
}

// Fingerprint is a keyed hash (HMAC-SHA256) of parts with this store's random secret.
func (m *memoryStore) Fingerprint(parts ...string) string {
	m.ready()
	return storekit.KeyedHash(m.secret, parts...)
}

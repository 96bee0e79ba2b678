package filestore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/gofrs/flock"
)

// A refresh lease is two files: the record lease.<key>, replaced under its lock like
// every value, which names the holder and when the lease lapses; and the holder's own
// file lease.<key>.holder.<owner>, which the holder keeps flock(2)-locked while it holds
// the lease. The kernel drops that lock when the holder dies, however it dies, so a
// process that can lock the holder's file knows the holder is gone and takes the lease
// over at once, without waiting for the ttl. A live holder keeps it until the ttl.

// leaseDoc is the lease record. PID, BootID and Acquired say who holds it, for a person
// looking at the directory; liveness is decided by the holder's file lock.
type leaseDoc struct {
	Owner    string    `json:"owner"`
	PID      int       `json:"pid"`
	BootID   string    `json:"boot_id,omitempty"`
	Acquired time.Time `json:"acquired"`
	Expires  time.Time `json:"expires"`
}

// bootID identifies this boot of the host (Linux), so that a pid in a lease record is
// not mistaken for the same pid after a reboot; empty where unknown.
var bootID = sync.OnceValue(func() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
})

// AcquireLease tries to take the refresh lease for key for ttl. ok reports whether
// this caller holds it. The lease is free when no record is stored, when the record
// lapsed (its ttl passed) or is unreadable, or when its holder died (its holder file is
// not locked). release gives it back, only if this caller still holds it; it is safe to
// call more than once and from any goroutine, and waits for the record's lock at most
// Options.Timeout even after ctx has ended. Should release not run or fail, the lease
// is free as soon as its holder process exits, and after ttl in any case.
func (s *Store) AcquireLease(ctx context.Context, key string, ttl time.Duration) (release func(), ok bool, err error) {
	noop := func() {}
	if ttl <= 0 {
		return noop, false, fmt.Errorf("filestore: acquire lease: ttl %v is not positive", ttl)
	}
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	owner := hex.EncodeToString(b[:])
	name := fileName("lease", key)
	holderPath := s.dir.file(name + ".holder." + owner)

	var held *flock.Flock
	err = s.update(ctx, "lease", key, func() error {
		now := s.now()
		cur, err := s.loadLease(key)
		switch {
		case err == nil && now.Before(cur.Expires) && s.holderAlive(name, cur.Owner):
			return nil // held by another
		case err != nil && !errors.Is(err, errNotExist) && !errors.Is(err, ErrCorrupt):
			return err
		}
		s.sweepHolders(name) // the files of dead holders
		l := flock.New(holderPath, flock.SetFlag(os.O_CREATE|os.O_RDONLY|safeOpen), flock.SetPermissions(0o600))
		if ok, err := l.TryLock(); err != nil || !ok {
			return fmt.Errorf("lock holder file: %v", err)
		}
		doc, _ := json.Marshal(leaseDoc{Owner: owner, PID: s.pid, BootID: bootID(), Acquired: now, Expires: now.Add(ttl)})
		if err := s.save("lease", key, doc); err != nil {
			_ = os.Remove(holderPath)
			_ = l.Unlock()
			return err
		}
		held = l
		return nil
	})
	if err != nil {
		return noop, false, fmt.Errorf("filestore: acquire lease: %w", err)
	}
	if held == nil {
		return noop, false, nil
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			// The caller's ctx may be over by now (release often runs deferred); the
			// release still deserves its bounded attempt.
			_ = s.update(context.WithoutCancel(ctx), "lease", key, func() error {
				_ = os.Remove(holderPath)
				if cur, err := s.loadLease(key); err == nil && cur.Owner == owner {
					return s.dir.del(name)
				}
				return nil // lapsed and taken over: the record is the new holder's
			})
			_ = held.Unlock() // from here the lease reads as free even if the record stayed
		})
	}
	return release, true, nil
}

func (s *Store) loadLease(key string) (leaseDoc, error) {
	var d leaseDoc
	doc, err := s.load("lease", key)
	if err != nil {
		return d, err
	}
	if err := json.Unmarshal(doc, &d); err != nil || d.Owner == "" {
		return leaseDoc{}, fmt.Errorf("%w: not a lease document", ErrCorrupt)
	}
	return d, nil
}

// holderAlive reports whether the holder file of owner is locked, by its holder (in
// this process or another). The caller holds the record's lock.
func (s *Store) holderAlive(name, owner string) bool {
	l := flock.New(s.dir.file(name+".holder."+owner), flock.SetFlag(os.O_RDONLY|safeOpen))
	ok, err := l.TryLock()
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false // never created, or removed by its holder's release
	case err != nil:
		return true // cannot tell: trust the ttl
	case ok:
		_ = l.Unlock() // dead: sweepHolders removes the file
		return false
	}
	return true
}

// sweepHolders removes the holder files of the lease name whose holders are gone
// (their lock is free). The caller holds the record's lock.
func (s *Store) sweepHolders(name string) {
	entries, _ := os.ReadDir(s.dir.path)
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), name+".holder.") {
			continue
		}
		p := s.dir.file(e.Name())
		l := flock.New(p, flock.SetFlag(os.O_RDONLY|safeOpen))
		if ok, err := l.TryLock(); err == nil && ok {
			_ = os.Remove(p)
			_ = l.Unlock()
		}
	}
}

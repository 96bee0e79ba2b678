package csconnect

import (
	"context"
	"testing"
	"testing/synctest"
	"time"
)

// TestCacheOptionsNonPositiveDurations: every duration where a negative value makes
// no sense takes its default for zero and for negative values; a positive value is
// kept; a negative AdvisoryJitter disables jitter.
func TestCacheOptionsNonPositiveDurations(t *testing.T) {
	t.Parallel()
	fields := map[string]struct {
		field func(*CacheOptions) *time.Duration
		def   time.Duration
	}{
		"AdvisoryWindow":    {func(o *CacheOptions) *time.Duration { return &o.AdvisoryWindow }, defaultAdvisoryWindow},
		"MandatoryWindow":   {func(o *CacheOptions) *time.Duration { return &o.MandatoryWindow }, defaultMandatoryWindow},
		"FetchTimeout":      {func(o *CacheOptions) *time.Duration { return &o.FetchTimeout }, defaultFetchTimeout},
		"Backoff.BaseDelay": {func(o *CacheOptions) *time.Duration { return &o.Backoff.BaseDelay }, defaultAuthRetry.BaseDelay},
		"Backoff.MaxDelay":  {func(o *CacheOptions) *time.Duration { return &o.Backoff.MaxDelay }, defaultAuthRetry.MaxDelay},
		"permanentBackoff":  {func(o *CacheOptions) *time.Duration { return &o.permanentBackoff }, defaultPermanentBackoff},
		"StoreTimeout":      {func(o *CacheOptions) *time.Duration { return &o.storeTimeout }, defaultStoreTimeout},
		"LeaseTTL":          {func(o *CacheOptions) *time.Duration { return &o.leaseTTL }, defaultLeaseTTL},
		"StorePollInterval": {func(o *CacheOptions) *time.Duration { return &o.pollInterval }, defaultStorePollInterval},
	}
	for name, f := range fields {
		for _, in := range []time.Duration{0, -1, -time.Hour, 7 * time.Millisecond} {
			var o CacheOptions
			*f.field(&o) = in
			want := f.def
			if in > 0 {
				want = in
			}
			if got := *f.field(new(o.withDefaults())); got != want {
				t.Errorf("CacheOptions{%s: %v}.withDefaults().%s = %v; want %v", name, in, name, got, want)
			}
		}
	}
	for in, want := range map[time.Duration]time.Duration{0: defaultAdvisoryJitter, -1: 0, -time.Hour: 0, time.Second: time.Second} {
		if got := (CacheOptions{AdvisoryJitter: in}).withDefaults().AdvisoryJitter; got != want {
			t.Errorf("CacheOptions{AdvisoryJitter: %v}.withDefaults().AdvisoryJitter = %v; want %v", in, got, want)
		}
	}
}

// TestCacheNegativeStorePollInterval: a negative poll interval used to reach
// time.NewTicker inside the shared fetch and panic; now the cache polls at the
// default interval and adopts the lease holder's token.
func TestCacheNegativeStorePollInterval(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		store := newMemoryStore()
		release, ok, _ := store.AcquireLease(context.Background(), storeKey, time.Minute)
		if !ok {
			t.Fatal("AcquireLease() on an empty store: not held")
		}
		defer release()
		src := nowSource()
		c := newTestCache(t, src, nil, CacheOptions{store: store, storeKey: storeKey, pollInterval: -time.Second})
		got := make(chan *Token, 1)
		go func() { got <- tryToken(t, c) }()
		synctest.Wait() // the cache is polling, waiting for the holder
		holders := &Token{Value: fakeJWT(`{"sub":"holders"}`), Fetched: time.Now(), Expiry: time.Now().Add(hour)}
		_ = store.SaveToken(context.Background(), storeKey, holders)
		if tok := <-got; tok.Value != holders.Value {
			t.Errorf("Token() with StorePollInterval -1s = %v; want the holder's token", tok)
		}
		if n := src.calls.Load(); n != 0 {
			t.Errorf("source calls = %d; want 0", n)
		}
	})
}

// leaseTimedStore is a Store that times its own refresh lease.
type leaseTimedStore struct{ Store }

func (leaseTimedStore) LeaseTiming() (ttl, poll time.Duration) {
	return 3 * time.Second, 20 * time.Millisecond
}

// TestStoreTimesItsLease: the lease timing belongs to the Store; a cache over a Store
// with LeaseTiming uses it, and the defaults otherwise.
func TestStoreTimesItsLease(t *testing.T) {
	t.Parallel()
	o := CacheOptions{store: leaseTimedStore{newMemoryStore()}, storeKey: "k"}.withDefaults()
	if o.leaseTTL != 3*time.Second || o.pollInterval != 20*time.Millisecond {
		t.Errorf("lease timing = %v, %v; want the Store's 3s, 20ms", o.leaseTTL, o.pollInterval)
	}
	o = CacheOptions{store: newMemoryStore(), storeKey: "k"}.withDefaults()
	if o.leaseTTL != defaultLeaseTTL || o.pollInterval != defaultStorePollInterval {
		t.Errorf("lease timing = %v, %v; want the defaults", o.leaseTTL, o.pollInterval)
	}
}

// TestStoreCallTimeout: a Store's CallTimeout bounds the calls of the cache and of
// the guard over it; without one, or with a non-positive one, the default applies.
func TestStoreCallTimeout(t *testing.T) {
	t.Parallel()
	for name, tt := range map[string]struct {
		store Store
		want  time.Duration
	}{
		"none":     {nil, defaultStoreTimeout},
		"plain":    {newMemoryStore(), defaultStoreTimeout},
		"timed":    {timedStore{Store: newMemoryStore(), timeout: 3 * time.Second}, 3 * time.Second},
		"negative": {timedStore{Store: newMemoryStore(), timeout: -1}, defaultStoreTimeout},
	} {
		if got := (CacheOptions{store: tt.store}).withDefaults().storeTimeout; got != tt.want {
			t.Errorf("%s: cache store timeout = %v; want %v", name, got, tt.want)
		}
		if tt.store == nil {
			continue
		}
		a, err := NewAuthenticator(AuthConfig{Username: "u", Password: "p", Store: tt.store})
		if err != nil {
			t.Fatal(err)
		}
		if got := a.guard.store.timeout; got != tt.want {
			t.Errorf("%s: guard store timeout = %v; want %v", name, got, tt.want)
		}
	}
}

package redisstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/csconnect/csconnect/internal/seal"
	"github.com/csconnect/csconnect/internal/storekit"
	"github.com/csconnect/csconnect/pkg/csconnect"
)

// DefaultTimeout bounds each Redis operation when Options.Timeout is zero. A store
// that is slower than this is treated as down: callers fall back to local state
// rather than let a slow Redis delay the calls it exists to make cheaper.
const DefaultTimeout = 200 * time.Millisecond

// DefaultPrefix starts every key when Options.Prefix is empty.
const DefaultPrefix = "csconnect:"

// MinSecretLen is the shortest Options.Secret accepted: the HMAC-SHA256 key behind
// fingerprints must be as strong as the hash.
const MinSecretLen = 32

// ErrInvalidOptions is wrapped by every error New returns for unusable Options.
var ErrInvalidOptions = errors.New("redisstore: invalid options")

// ErrCorrupt is wrapped by the errors of LoadToken and LoadGuard when a stored value
// cannot be read: it was tampered with, sealed with another key, sealed when this
// store has no key (or the reverse), or is not a value this package wrote.
var ErrCorrupt = errors.New("redisstore: stored value unreadable")

// Options configure a Store. Client and Secret are required.
//
// Options print without Secret, EncryptionKey and DecryptionKeys (%v, %+v, %#v).
type Options struct {
	// Client is the Redis connection. Build it with ContextTimeoutEnabled: true (New
	// refuses the go-redis clients it can inspect otherwise), so that Timeout bounds
	// socket reads and writes too. A plain *redis.Client, a failover client or a
	// *redis.ClusterClient all work: every operation touches one key.
	Client redis.UniversalClient

	// Prefix starts every key; default DefaultPrefix. Fleets that must not share
	// state (staging and production on one Redis) use different prefixes.
	Prefix string

	// Secret keys the fingerprints (HMAC-SHA256). Every process of a fleet must use
	// the same Secret, at least MinSecretLen bytes of random data.
	Secret []byte

	// EncryptionKey, when set, seals token and guard values with AES-GCM: 16, 24 or
	// 32 bytes (32 recommended), different from Secret, the same in every process of
	// the fleet. Default none: tokens are stored in clear (see the package doc for
	// what that means).
	EncryptionKey []byte

	// DecryptionKeys are more AES-GCM keys that open values but never seal them: the
	// way to rotate EncryptionKey without a fleet losing its shared state. Deploy
	// EncryptionKey old with DecryptionKeys [new] to every process, then EncryptionKey
	// new with DecryptionKeys [old], then, a day later (the longest a guard record
	// lives), drop the old key. Every process can open every value at each step.
	// Requires EncryptionKey.
	DecryptionKeys [][]byte

	// Timeout bounds each Redis operation; default DefaultTimeout.
	Timeout time.Duration

	// Logger, when set, receives one warning when Redis stops answering and one
	// notice when it answers again. Default: no logging.
	Logger *slog.Logger
}

// String describes the options without the secrets.
func (o Options) String() string {
	return fmt.Sprintf("redisstore.Options{Prefix: %q, Secret: [redacted %d bytes], EncryptionKey: [redacted %d bytes], DecryptionKeys: [%d redacted], Timeout: %v}",
		o.Prefix, len(o.Secret), len(o.EncryptionKey), len(o.DecryptionKeys), o.Timeout)
}

// GoString is String, so %#v does not print the secrets either.
func (o Options) GoString() string { return o.String() }

// Format makes every verb print String.
func (o Options) Format(f fmt.State, _ rune) { fmt.Fprint(f, o.String()) }

// Store is a csconnect.Store in Redis. Create it with New. Safe for concurrent use.
//
// A *Store prints without its keys (every fmt verb). They sit behind a pointer, so a
// Store held in another value's unexported field prints as an address there too.
type Store struct {
	client  redis.UniversalClient
	prefix  string
	keys    *keyring
	timeout time.Duration
	logger  *slog.Logger
	now     func() time.Time

	down atomic.Bool // the last operation failed for want of Redis
	noTx atomic.Bool // Redis refused a transaction (logged once)
}

// keyring holds a Store's key material.
type keyring struct {
	secret []byte     // HMAC key of the fingerprints
	sealer *seal.Keys // Options.EncryptionKey and DecryptionKeys; nil or no key: values in clear
}

var _ csconnect.Store = (*Store)(nil)

// New checks opts and returns a Store. It does not contact Redis: a fleet must start
// even when Redis is down (see Ping).
func New(opts Options) (*Store, error) {
	if opts.Client == nil {
		return nil, fmt.Errorf("%w: Client is nil", ErrInvalidOptions)
	}
	if err := checkClient(opts.Client); err != nil {
		return nil, err
	}
	if len(opts.Secret) < MinSecretLen {
		return nil, fmt.Errorf("%w: Secret has %d bytes; want at least %d", ErrInvalidOptions, len(opts.Secret), MinSecretLen)
	}
	if opts.Timeout < 0 {
		return nil, fmt.Errorf("%w: Timeout %v is negative", ErrInvalidOptions, opts.Timeout)
	}
	s := &Store{
		client:  opts.Client,
		prefix:  opts.Prefix,
		keys:    &keyring{secret: bytes.Clone(opts.Secret)},
		timeout: opts.Timeout,
		logger:  opts.Logger,
		now:     time.Now,
	}
	if s.prefix == "" {
		s.prefix = DefaultPrefix
	}
	if s.timeout == 0 {
		s.timeout = DefaultTimeout
	}
	sealer, err := seal.New(opts.EncryptionKey, opts.DecryptionKeys, opts.Secret)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidOptions, err)
	}
	s.keys.sealer = sealer
	return s, nil
}

// checkClient refuses the go-redis clients whose socket I/O would ignore our
// per-operation deadline.
func checkClient(c redis.UniversalClient) error {
	enabled := true
	switch c := c.(type) {
	case *redis.Client:
		enabled = c.Options().ContextTimeoutEnabled
	case *redis.ClusterClient:
		enabled = c.Options().ContextTimeoutEnabled
	case *redis.Ring:
		enabled = c.Options().ContextTimeoutEnabled
	}
	if !enabled {
		return fmt.Errorf("%w: the redis client must have ContextTimeoutEnabled so that a slow Redis cannot outlast Timeout", ErrInvalidOptions)
	}
	return nil
}

// String describes the store without its secrets.
func (s *Store) String() string {
	return fmt.Sprintf("redisstore.Store{prefix: %q, encrypted: %t, timeout: %v}", s.prefix, s.keys.sealer.Encrypted(), s.timeout)
}

// GoString is String.
func (s *Store) GoString() string { return s.String() }

// Format makes every verb print String.
func (s *Store) Format(f fmt.State, _ rune) { fmt.Fprint(f, s.String()) }

// Fingerprint returns storekit.KeyedHash(Options.Secret, parts...): the same in every
// process that shares the Secret.
func (s *Store) Fingerprint(parts ...string) string {
	return storekit.KeyedHash(s.keys.secret, parts...)
}

// Ping reports whether Redis answers within Options.Timeout.
func (s *Store) Ping(ctx context.Context) error {
	opCtx, cancel := s.opContext(ctx)
	defer cancel()
	return s.observe(ctx, "ping", s.client.Ping(opCtx).Err())
}

func (s *Store) key(kind, key string) string { return s.prefix + kind + ":" + key }

// maxValue bounds what a read takes from Redis: a token document is a few kilobytes,
// and someone who can write to Redis must not make every pod buffer without bound.
const maxValue = 64 << 10

// get reads at most maxValue+1 bytes of the value at name with GETRANGE (one round
// trip, bounded by the server; open refuses a value longer than maxValue). A missing
// key reads as empty, which this package never writes, so it is reported as redis.Nil.
// c is the store's client, or a transaction's connection.
func get(ctx context.Context, c redis.Cmdable, name string) ([]byte, error) {
	v, err := c.GetRange(ctx, name, 0, maxValue).Bytes()
	if err == nil && len(v) == 0 {
		return nil, redis.Nil
	}
	return v, err
}

// opContext bounds one operation by the store's timeout.
func (s *Store) opContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.timeout)
}

// observe wraps a Redis error with the operation's name and logs the store going down
// or coming back, once per change. redis.Nil is not a failure and is returned as is;
// neither is an error that only says the caller's own ctx ended.
func (s *Store) observe(ctx context.Context, op string, err error) error {
	if ctx.Err() != nil && err != nil {
		return fmt.Errorf("redisstore: %s: %w", op, err)
	}
	if err == nil || errors.Is(err, redis.Nil) {
		if s.down.CompareAndSwap(true, false) && s.logger != nil {
			s.logger.Info("redisstore: redis answers again; sharing token and guard state", "op", op)
		}
		return err
	}
	if s.down.CompareAndSwap(false, true) && s.logger != nil {
		s.logger.Warn("redisstore: redis unavailable; callers use local state until it answers", "op", op, "err", err)
	}
	return fmt.Errorf("redisstore: %s: %w", op, err)
}

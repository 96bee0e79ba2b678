package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"

	"github.com/redis/go-redis/v9"

	"github.com/csconnect/csconnect/pkg/filestore"
	"github.com/csconnect/csconnect/pkg/redisstore"
)

// StoreOptions choose where agents share tokens and the lockout guard: Redis when
// RedisURL is set (a fleet across hosts), else the local store in CacheDir (the
// processes of one host; default os.UserCacheDir()/csconnect, as `csconnect token`).
type StoreOptions struct {
	RedisURL    string // redis://[user:password@]host:port/db
	RedisSecret []byte // the fleet's fingerprint secret, at least 32 bytes; required with RedisURL
	CacheDir    string
}

// Format makes every verb print the options without the Redis URL's password or
// the secret.
func (o StoreOptions) Format(f fmt.State, _ rune) {
	_, _ = fmt.Fprintf(f, "agent.StoreOptions{RedisURL: %q, RedisSecret: %s, CacheDir: %q}", redactURL(o.RedisURL), setOrNot(o.RedisSecret), o.CacheDir)
}

// MarshalJSON encodes the options as Format prints them (slog's JSON handler
// logs this).
func (o StoreOptions) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		RedisURL       string `json:"redis_url,omitempty"`
		RedisSecretSet bool   `json:"redis_secret_set"`
		CacheDir       string `json:"cache_dir,omitempty"`
	}{redactURL(o.RedisURL), len(o.RedisSecret) > 0, o.CacheDir})
}

// redactURL is raw with its password replaced (url.URL.Redacted); an unparsable
// one is not printed.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "[unparsable]"
	}
	return u.Redacted()
}

// setOrNot says whether a secret is set, without it.
func setOrNot(secret []byte) string {
	if len(secret) == 0 {
		return "unset"
	}
	return "[redacted]"
}

// OpenStore opens the store opts name. close releases it (the Redis connection).
func OpenStore(opts StoreOptions) (store Store, close func() error, err error) {
	if opts.RedisURL == "" {
		fs, err := filestore.New(filestore.Options{Dir: opts.CacheDir})
		if err != nil {
			return nil, nil, err
		}
		return fs, func() error { return nil }, nil
	}
	if len(opts.RedisSecret) < redisstore.MinSecretLen {
		return nil, nil, fmt.Errorf("the Redis store needs a secret of at least %d bytes, the same for every agent (--redis-secret-file)", redisstore.MinSecretLen)
	}
	ro, err := redis.ParseURL(opts.RedisURL)
	if err != nil {
		return nil, nil, errors.New("--redis: not a redis:// URL") // the URL may hold a password: do not echo it
	}
	ro.ContextTimeoutEnabled = true
	client := redis.NewClient(ro)
	rs, err := redisstore.New(redisstore.Options{Client: client, Secret: opts.RedisSecret})
	if err != nil {
		_ = client.Close()
		return nil, nil, err
	}
	return rs, client.Close, nil
}

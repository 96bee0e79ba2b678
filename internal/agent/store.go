package agent

import (
	"errors"
	"fmt"

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

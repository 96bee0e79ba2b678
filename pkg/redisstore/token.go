package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/csconnect/csconnect/internal/storekit"
	"github.com/csconnect/csconnect/pkg/csconnect"
)

// LoadToken returns the token shared under key, or (nil, nil) when there is none or it
// has expired. A value it cannot read (see ErrCorrupt) is an error, never a token.
func (s *Store) LoadToken(ctx context.Context, key string) (*csconnect.Token, error) {
	name := s.key("token", key)
	opCtx, cancel := s.opContext(ctx)
	defer cancel()
	v, err := get(opCtx, s.client, name)
	if err = s.observe(ctx, "load token", err); errors.Is(err, redis.Nil) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	t, err := s.decodeToken(name, v)
	if err != nil {
		return nil, err
	}
	if t.Expired(s.now()) {
		return nil, nil
	}
	return t, nil
}

func (s *Store) decodeToken(name string, v []byte) (*csconnect.Token, error) {
	doc, err := s.open(name, v)
	if err != nil {
		return nil, fmt.Errorf("redisstore: load token: %w", err)
	}
	d, ok := storekit.DecodeToken(doc)
	if !ok {
		return nil, fmt.Errorf("redisstore: load token: %w: not a token document", ErrCorrupt)
	}
	return &csconnect.Token{Value: d.Value, Expiry: d.Expiry, Fetched: d.Fetched}, nil
}

// SaveToken shares t under key until t.Expiry (the Redis TTL is the token's remaining
// life, rounded down to the millisecond). A nil, empty or expired token is not stored
// and is not an error: there is nothing worth sharing.
func (s *Store) SaveToken(ctx context.Context, key string, t *csconnect.Token) error {
	if t.Expired(s.now()) {
		return nil
	}
	ttl := t.Expiry.Sub(s.now()).Truncate(time.Millisecond)
	if ttl <= 0 {
		return nil
	}
	doc, err := json.Marshal(storekit.TokenDoc{Value: t.Value, Expiry: t.Expiry, Fetched: t.Fetched})
	if err != nil {
		return fmt.Errorf("redisstore: save token: encode: %w", ErrCorrupt)
	}
	name := s.key("token", key)
	opCtx, cancel := s.opContext(ctx)
	defer cancel()
	return s.observe(ctx, "save token", s.client.Set(opCtx, name, s.seal(name, doc), ttl).Err())
}

package filestore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/csconnect/csconnect/internal/storekit"
	"github.com/csconnect/csconnect/pkg/csconnect"
)

// LoadToken returns the token stored for key, or (nil, nil) when there is none or it
// has expired. A file it cannot read (see ErrCorrupt, InsecureError) is an error,
// never a token. It takes no lock: a file is always whole.
func (s *Store) LoadToken(ctx context.Context, key string) (*csconnect.Token, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("filestore: load token: %w", err)
	}
	doc, err := s.load("token", key)
	if errors.Is(err, errNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("filestore: load token: %w", err)
	}
	t, err := decodeToken(doc)
	if err != nil {
		return nil, err
	}
	if t.Expired(s.now()) {
		return nil, nil
	}
	return t, nil
}

func decodeToken(doc []byte) (*csconnect.Token, error) {
	d, ok := storekit.DecodeToken(doc)
	if !ok {
		return nil, fmt.Errorf("filestore: load token: %w: not a token document", ErrCorrupt)
	}
	return &csconnect.Token{Value: d.Value, Expiry: d.Expiry, Fetched: d.Fetched}, nil
}

// SaveToken stores t for key, replacing the file atomically under its lock. A nil,
// empty or expired token is not stored and is not an error: there is nothing worth
// sharing. The file stays after the token expires; LoadToken then ignores it and the
// next SaveToken replaces it.
func (s *Store) SaveToken(ctx context.Context, key string, t *csconnect.Token) error {
	if t.Expired(s.now()) {
		return nil
	}
	doc, err := json.Marshal(storekit.TokenDoc{Value: t.Value, Expiry: t.Expiry, Fetched: t.Fetched})
	if err != nil {
		return fmt.Errorf("filestore: save token: encode: %w", ErrCorrupt)
	}
	err = s.update(ctx, "token", key, func() error { return s.save("token", key, doc) })
	if err != nil {
		return fmt.Errorf("filestore: save token: %w", err)
	}
	return nil
}

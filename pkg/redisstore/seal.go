package redisstore

import (
	"fmt"
)

// seal encodes doc for the Redis key name with the store's keys (internal/seal, the
// implementation shared with pkg/filestore): in clear without an encryption key, else
// sealed with a fresh random nonce and the key name as additional data, so the value
// does not open under any other key.
func (s *Store) seal(name string, doc []byte) []byte { return s.keys.sealer.Seal(name, doc) }

// open reverses seal. Its errors wrap ErrCorrupt and never quote the value.
func (s *Store) open(name string, v []byte) ([]byte, error) {
	if len(v) > maxValue {
		return nil, fmt.Errorf("%w: value longer than %d bytes", ErrCorrupt, maxValue)
	}
	doc, err := s.keys.sealer.Open(name, v)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return doc, nil
}

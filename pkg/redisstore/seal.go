package redisstore

import (
	"crypto/rand"
	"fmt"
)

// Stored values start with a format byte, so a store with a key refuses a value in
// clear (a planted token) and a store without one says why it cannot read a sealed one.
const (
	formatClear  byte = 'c' // followed by the JSON document
	formatSealed byte = 's' // followed by nonce || AES-GCM(JSON), AAD = the Redis key
)

// seal encodes doc for the Redis key name: in clear without an encryption key, else
// sealed with a fresh random nonce and the key name as additional data, so the value
// does not open under any other key.
func (s *Store) seal(name string, doc []byte) []byte {
	aead := s.keys.aead
	if aead == nil {
		return append([]byte{formatClear}, doc...)
	}
	out := make([]byte, 1+aead.NonceSize(), 1+aead.NonceSize()+len(doc)+aead.Overhead())
	out[0] = formatSealed
	_, _ = rand.Read(out[1:]) // crypto/rand.Read never fails (Go 1.24+)
	return aead.Seal(out, out[1:], doc, []byte(name))
}

// open reverses seal. Its errors wrap ErrCorrupt and never quote the value.
func (s *Store) open(name string, v []byte) ([]byte, error) {
	aead := s.keys.aead
	if len(v) == 0 {
		return nil, fmt.Errorf("%w: empty value", ErrCorrupt)
	}
	if len(v) > maxValue {
		return nil, fmt.Errorf("%w: value longer than %d bytes", ErrCorrupt, maxValue)
	}
	switch {
	case v[0] == formatClear && aead == nil:
		return v[1:], nil
	case v[0] == formatClear:
		return nil, fmt.Errorf("%w: value in clear but this store requires encryption", ErrCorrupt)
	case v[0] == formatSealed && aead == nil:
		return nil, fmt.Errorf("%w: value is encrypted but this store has no EncryptionKey", ErrCorrupt)
	case v[0] == formatSealed:
		n := aead.NonceSize() // the same for every AES-GCM key
		if len(v) < 1+n+aead.Overhead() {
			return nil, fmt.Errorf("%w: sealed value too short", ErrCorrupt)
		}
		nonce, sealed := v[1:1+n], v[1+n:]
		if doc, err := aead.Open(nil, nonce, sealed, []byte(name)); err == nil {
			return doc, nil
		}
		for _, key := range s.keys.decrypt {
			if doc, err := key.Open(nil, nonce, sealed, []byte(name)); err == nil {
				return doc, nil
			}
		}
		return nil, fmt.Errorf("%w: sealed value does not open (tampered, moved, or sealed with a key this store does not have)", ErrCorrupt)
	default:
		return nil, fmt.Errorf("%w: unknown format", ErrCorrupt)
	}
}

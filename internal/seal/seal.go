// Package seal is the one implementation of the optional AES-GCM sealing of stored
// values shared by pkg/redisstore and pkg/filestore: a format byte, then the document
// in clear or nonce || AES-GCM(document) with the value's name as additional data,
// and decryption-only keys for rotation.
package seal

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

// Stored values start with a format byte, so a store with a key refuses a value in
// clear (a planted token) and a store without one says why it cannot read a sealed one.
const (
	FormatClear  byte = 'c' // followed by the document
	FormatSealed byte = 's' // followed by nonce || AES-GCM(document), AAD = the value's name
)

// Keys seals and opens values. A nil *Keys, or one made without an encryption key,
// stores values in clear. Safe for concurrent use.
type Keys struct {
	aead    cipher.AEAD   // seals and opens; nil: values in clear
	decrypt []cipher.AEAD // open, never seal (rotation)
}

// New returns the Keys for an encryption key (nil: values in clear) and decryption-only
// keys. Each key must be 16, 24 or 32 bytes and differ from secret (the store's
// fingerprint key). Errors name the option (EncryptionKey, DecryptionKeys[i]) and
// never quote a key; stores wrap them in their own invalid-options error.
func New(encryptionKey []byte, decryptionKeys [][]byte, secret []byte) (*Keys, error) {
	if encryptionKey == nil && len(decryptionKeys) > 0 {
		return nil, errors.New("DecryptionKeys without EncryptionKey")
	}
	k := &Keys{}
	if encryptionKey != nil {
		var err error
		if k.aead, err = newAEAD("EncryptionKey", encryptionKey, secret); err != nil {
			return nil, err
		}
	}
	for i, key := range decryptionKeys {
		aead, err := newAEAD(fmt.Sprintf("DecryptionKeys[%d]", i), key, secret)
		if err != nil {
			return nil, err
		}
		k.decrypt = append(k.decrypt, aead)
	}
	return k, nil
}

// newAEAD returns AES-GCM with key, refusing a key of the wrong length or equal to the
// fingerprint secret. name says which option the key came from.
func newAEAD(name string, key, secret []byte) (cipher.AEAD, error) {
	if len(secret) > 0 && bytes.Equal(key, secret) {
		return nil, fmt.Errorf("%s equals the fingerprint secret; use independent keys", name)
	}
	block, err := aes.NewCipher(bytes.Clone(key))
	if err != nil {
		return nil, fmt.Errorf("%s has %d bytes; want 16, 24 or 32", name, len(key))
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	return aead, nil
}

// Encrypted reports whether k seals values.
func (k *Keys) Encrypted() bool { return k != nil && k.aead != nil }

// Seal encodes doc stored under name: in clear without an encryption key, else sealed
// with a fresh random nonce and name as additional data, so that the value does not
// open under any other name.
func (k *Keys) Seal(name string, doc []byte) []byte {
	if !k.Encrypted() {
		return append([]byte{FormatClear}, doc...)
	}
	aead := k.aead
	out := make([]byte, 1+aead.NonceSize(), 1+aead.NonceSize()+len(doc)+aead.Overhead())
	out[0] = FormatSealed
	_, _ = rand.Read(out[1:]) // crypto/rand.Read never fails (Go 1.24+)
	return aead.Seal(out, out[1:], doc, []byte(name))
}

// Open reverses Seal for the value v stored under name. Its errors say what is wrong
// and never quote the value; stores wrap them in their own ErrCorrupt.
func (k *Keys) Open(name string, v []byte) ([]byte, error) {
	if len(v) == 0 {
		return nil, errors.New("empty value")
	}
	enc := k.Encrypted()
	switch {
	case v[0] == FormatClear && !enc:
		return v[1:], nil
	case v[0] == FormatClear:
		return nil, errors.New("value in clear but this store requires encryption")
	case v[0] == FormatSealed && !enc:
		return nil, errors.New("value is encrypted but this store has no EncryptionKey")
	case v[0] == FormatSealed:
		n := k.aead.NonceSize() // the same for every AES-GCM key
		if len(v) < 1+n+k.aead.Overhead() {
			return nil, errors.New("sealed value too short")
		}
		nonce, sealed := v[1:1+n], v[1+n:]
		if doc, err := k.aead.Open(nil, nonce, sealed, []byte(name)); err == nil {
			return doc, nil
		}
		for _, key := range k.decrypt {
			if doc, err := key.Open(nil, nonce, sealed, []byte(name)); err == nil {
				return doc, nil
			}
		}
		return nil, errors.New("sealed value does not open (tampered, moved, or sealed with a key this store does not have)")
	default:
		return nil, errors.New("unknown format")
	}
}

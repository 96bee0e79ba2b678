// Package storekit holds what csconnect's Store implementations (pkg/csconnect's
// memory store, pkg/redisstore, pkg/filestore) share beside the csconnect.Store
// interface: the keyed hash of Fingerprint and the bounds of the guard record.
package storekit

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"
)

// Bounds of the shared guard record (csconnect.GuardState).
const (
	// MaxRejectedPairs is how many rejected pairs a guard record keeps per username
	// (the most recent): enough for every process of a fleet that was given a
	// different wrong password, small enough to keep the record a few hundred bytes.
	MaxRejectedPairs = 8
	// IdenticalWindow is the window of the vendor's rule on identical requests: more
	// than 5 identical (invalid) requests within 2 minutes lead to a 429 and a
	// lockout. The guard sends at most 5 authenticate requests with the same
	// credentials in any IdenticalWindow, whatever their answers.
	IdenticalWindow = 2 * time.Minute
	// RejectedMemory is how long a shared record keeps a rejected pair and a reset
	// (a process keeps its own rejection until a reset). A day is long enough for a
	// human to notice and short enough that a stale record cannot block a fixed
	// account forever.
	RejectedMemory = 24 * time.Hour
)

// KeyedHash returns hex(HMAC-SHA256(secret, parts)), each part length-prefixed so that
// ("ab", "c") and ("a", "bc") differ. Store implementations use it for Fingerprint.
func KeyedHash(secret []byte, parts ...string) string {
	h := hmac.New(sha256.New, secret)
	var n [8]byte
	for _, p := range parts {
		l := uint64(len(p))
		for i := range n {
			n[i] = byte(l >> (8 * i))
		}
		h.Write(n[:])
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// TokenDoc is a token as the shared stores keep it, the one document format of
// pkg/redisstore and pkg/filestore. Times are absolute, so processes that share a
// store must keep their clocks in sync (NTP) for the expiry to mean the same to all.
type TokenDoc struct {
	Value   string    `json:"token"`
	Expiry  time.Time `json:"expiry"`
	Fetched time.Time `json:"fetched,omitzero"`
}

// DecodeToken reads a TokenDoc and reports whether it is one: valid JSON with a value
// and an expiry. It returns no error text, which could quote the token.
func DecodeToken(doc []byte) (TokenDoc, bool) {
	var d TokenDoc
	if err := json.Unmarshal(doc, &d); err != nil || d.Value == "" || d.Expiry.IsZero() {
		return TokenDoc{}, false
	}
	return d, true
}

// Package redisstore shares csconnect's token and lockout-guard state between the
// processes of a fleet through Redis, so that tens or hundreds of pods using one
// Creditsafe account behave like one careful client: one authenticate call per token
// lifetime, and once any pod is told the credentials are invalid (401) or the endpoint
// is locked out (429), no pod sends that request again until the condition clears.
//
// It lives in its own package so that programs that do not use Redis do not import
// go-redis. A *Store implements csconnect.Store.
//
// # What is stored
//
// Every key starts with Options.Prefix and ends with a credential fingerprint, a keyed
// hash (HMAC-SHA256 with Options.Secret) of the username. The password never leaves the
// process: it is neither stored nor sent to Redis, and the guard's rejected pairs (the
// last storekit.MaxRejectedPairs) and recent sends are keyed hashes of the username
// and password.
//
//	<prefix>token:<fingerprint>  the bearer token and its expiry; expires with the token
//	<prefix>lease:<fingerprint>  the refresh lease: a random owner value, SET NX PX
//	<prefix>guard:<fingerprint>  the guard state; expires when nothing in it is in force
//
// A pod records a lockout, a rejected password, a reset or a send with MergeGuard (the
// only guard write), an optimistic transaction (WATCH, read, MULTI/EXEC, retried on
// conflict), so pods recording at the same instant never erase each other's records.
// Where Redis refuses transactions (an ACL, a proxy), MergeGuard reads then writes,
// and logs that once.
//
// # What someone with access to Redis can do
//
// Without Options.EncryptionKey, anyone who can read these keys (a Redis user, a
// backup, a replica, a MONITOR session) can read the live bearer token and call
// Creditsafe services as the account until the token expires (up to one hour). They
// see fingerprints, never usernames or passwords, and cannot turn a fingerprint back
// into a username without Options.Secret. Anyone who can write the keys can plant a
// token (csconnect ignores one that fails the checks of a fresh token: shape, header-safe
// characters, at most an hour of life), record a reset (so pods that have not yet sent
// a rejected password may send it once; a pod never re-sends one it saw rejected
// without a reset, and deleting the key resets nothing), lock authenticate out for up
// to an hour at a time, or hold the lease (so refreshes fall back to each pod).
//
// With Options.EncryptionKey, token and guard values are sealed with AES-GCM (the
// standard library's), a random nonce per value, and the full key name as additional
// data, so a value copied to another key does not open. Someone with read access then
// learns only which fingerprints have a token or guard entry and when they expire;
// someone with write access can delete or corrupt values (the fleet then fetches
// tokens per pod) or put back an earlier value of the same key, but cannot plant a token
// or a guard state of their own. Keep Secret and EncryptionKey out of Redis and apart
// from each other.
//
// To rotate EncryptionKey, list the other key in Options.DecryptionKeys, which open
// values but never seal them, in three deploys (see DecryptionKeys): no process ever
// meets a value it cannot open.
//
// # Failure
//
// Every operation is bounded by Options.Timeout (default 200 ms) and honours its
// context; the go-redis client must be built with ContextTimeoutEnabled so that a slow
// Redis cannot hold a call for the client's read timeout (New checks this for the
// clients it knows). A failed operation returns an error at once and never blocks its
// caller for long: csconnect's token cache and guard then fall back to their local
// state and rejoin when Redis answers again. The store logs the change of state once
// each way, when Options.Logger is set.
package redisstore

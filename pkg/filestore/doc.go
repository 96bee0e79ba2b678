// Package filestore keeps csconnect's token and lockout-guard state in files, so that
// the processes of one host that use one Creditsafe account (a CLI run, cron jobs,
// workers) share one token and one guard, with no server to run: the embedded default
// on one machine, as pkg/redisstore is for a fleet. A *Store implements
// csconnect.Store.
//
// # Files
//
// The directory is Options.Dir, by default os.UserCacheDir()/csconnect
// (~/.cache/csconnect on Linux). Keys are credential fingerprints:
//
//	secret                     32 random bytes: the HMAC key of the fingerprints
//	token.<fingerprint>        the bearer token and its expiry
//	guard.<fingerprint>        the guard state (JSON of csconnect.GuardState)
//	lease.<fingerprint>        the refresh lease: holder, pid, boot id, expiry
//	lease.<fingerprint>.holder.<owner>  locked by the lease holder while it lives
//	<file>.lock, <file>.tmp    the lock and the next version of each file
//
// The secret is created once, by the first New on an empty directory, so fingerprints
// are the same in every process that uses the directory and mean nothing elsewhere.
// Deleting it changes every fingerprint: the state stored under the old ones is
// ignored (and the guard forgets what it recorded).
//
// # Permissions
//
// The directory is created 0700 and every file 0600. A directory or file that group
// or others have any permission on, or that another user owns, is refused with an
// *InsecureError and never repaired: what someone else could write is not trusted.
//
// # Concurrency and crashes
//
// Every change takes the file's exclusive lock (flock(2), via github.com/gofrs/flock)
// and replaces the file atomically: write <file>.tmp, fsync, rename, fsync the
// directory. MergeGuard is lock, load, GuardState.Merge, save, unlock. The kernel
// releases the locks of a process that dies, so a killed process never leaves a lock
// held. Readers take no lock and see the old file or the new one, whole. Every file
// ends with its SHA-256: a file cut short or altered reads as ErrCorrupt, never as a
// value. The lease holder keeps its holder file locked; a process that finds that lock
// free takes the lease over at once, and a live holder keeps it until its ttl.
//
// Each operation waits for a lock at most Options.Timeout (default 200 ms) and honours
// its context; csconnect falls back to local state when it fails. Locks are flock(2)
// locks: they work between the processes of one host on a local file system, not
// between hosts over NFS (use pkg/redisstore for that).
//
// # Sealing
//
// With Options.EncryptionKey, token, guard and lease files are sealed with AES-GCM
// exactly as pkg/redisstore seals its values (one implementation for both), with the
// kind and key as additional data, so a file copied to another name does not open.
// It protects a token in a backup or a copied home directory, when the key is kept
// elsewhere (an environment variable, a keyring). Without it, the token is in clear in
// a 0600 file, readable by this user and root. Options.DecryptionKeys rotate the key.
package filestore

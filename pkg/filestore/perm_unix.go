//go:build unix

package filestore

import (
	"io/fs"
	"os"
	"syscall"
)

// safeOpen is added to every open of a file of the store. O_NOFOLLOW makes opening
// a symbolic link fail: every file of the store is a regular file in its directory.
// O_NONBLOCK keeps open(2) from waiting: opening a named pipe put in the directory
// would otherwise wait for its other end forever, past every Timeout and context (a
// read open of a pipe succeeds and the file is then refused as not regular, a write
// open fails); on a regular file, and for flock(2), it changes nothing.
const safeOpen = syscall.O_NOFOLLOW | syscall.O_NONBLOCK

// checkPrivate refuses a file or directory that group or others have any permission
// on, or that another user owns: what it holds (a live token, the fingerprint
// secret) is this user's alone, and what others can write this user must not trust.
func checkPrivate(path string, fi fs.FileInfo) error {
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return &InsecureError{Path: path, Mode: fi.Mode(), Reason: "group or others have access"}
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		return &InsecureError{Path: path, Mode: fi.Mode(), Reason: "owned by another user"}
	}
	return nil
}

// syncDirectory makes renames and removals in the open directory f durable.
func syncDirectory(f *os.File) error { return f.Sync() }

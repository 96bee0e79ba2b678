//go:build !unix

package filestore

import (
	"io/fs"
	"os"
)

// safeOpen has no flags to add here (no O_NOFOLLOW, no named pipes in a directory):
// files are opened as they are.
const safeOpen = 0

// checkPrivate does nothing where permissions are not Unix modes (Windows: the user's
// cache directory is private by its ACL).
func checkPrivate(string, fs.FileInfo) error { return nil }

// syncDirectory does nothing where a directory cannot be synced.
func syncDirectory(*os.File) error { return nil }

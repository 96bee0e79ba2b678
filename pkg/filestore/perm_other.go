//go:build !unix

package filestore

import (
	"io/fs"
	"os"
)

// noFollow is not available here: files are opened as they are.
const noFollow = 0

// checkPrivate does nothing where permissions are not Unix modes (Windows: the user's
// cache directory is private by its ACL).
func checkPrivate(string, fs.FileInfo) error { return nil }

// syncDirectory does nothing where a directory cannot be synced.
func syncDirectory(*os.File) error { return nil }

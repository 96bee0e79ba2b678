package filestore

import (
	"testing"

	"github.com/csconnect/csconnect/internal/storetest"
	"github.com/csconnect/csconnect/pkg/csconnect"
)

// The Store contract shared with MemoryStore and redisstore; "another process" is
// another store on the same directory.
func TestStoreContract(t *testing.T) {
	storetest.Run(t,
		func(t *testing.T) csconnect.Store { return newTestStore(t, Options{}) },
		func(t *testing.T, s csconnect.Store) csconnect.Store { return newStoreOn(t, s.(*Store).Dir()) })
}

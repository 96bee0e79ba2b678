package csconnect_test

import (
	"testing"

	"github.com/csconnect/csconnect/internal/storetest"
	"github.com/csconnect/csconnect/pkg/csconnect"
)

// The Store contract shared with pkg/redisstore and pkg/filestore. A MemoryStore is
// one process's state: "another process" is the same store.
func TestMemoryStoreContract(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(*testing.T) csconnect.Store { return csconnect.NewMemoryStore() }, nil)
}

package redisstore

import (
	"testing"

	"github.com/csconnect/csconnect/internal/redistest"
	"github.com/csconnect/csconnect/internal/storetest"
	"github.com/csconnect/csconnect/pkg/csconnect"
)

// The Store contract shared with MemoryStore and filestore; "another process" is
// another store with its own client on the same Redis.
func TestStoreContract(t *testing.T) {
	servers := map[csconnect.Store]*redistest.Server{}
	storetest.Run(t,
		func(t *testing.T) csconnect.Store {
			s, _, srv := newTestStore(t, Options{})
			servers[s] = srv
			return s
		},
		func(t *testing.T, s csconnect.Store) csconnect.Store {
			return storeOn(t, redistest.NewClient(t, servers[s]), Options{})
		})
}

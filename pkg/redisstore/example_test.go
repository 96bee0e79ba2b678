package redisstore_test

import (
	"bytes"
	"fmt"
	"log"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/csconnect/csconnect/pkg/redisstore"
)

// A fleet's processes share one Secret and one EncryptionKey (from a secret manager,
// never from Redis), and a client whose socket I/O honours context deadlines. New does
// not contact Redis: a pod starts even while Redis is down.
func ExampleNew() {
	client := redis.NewClient(&redis.Options{
		Addr:                  "127.0.0.1:6379",
		ContextTimeoutEnabled: true, // required: Timeout must bound reads and writes
		DialTimeout:           time.Second,
	})
	defer client.Close()

	store, err := redisstore.New(redisstore.Options{
		Client:        client,
		Secret:        bytes.Repeat([]byte{1}, 32), // 32+ random bytes, the same in every pod
		EncryptionKey: bytes.Repeat([]byte{2}, 32), // AES-256-GCM; a different key
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(store)
	fmt.Println(len(store.Fingerprint("my-user-key")))
	// Output:
	// redisstore.Store{prefix: "csconnect:", encrypted: true, timeout: 200ms}
	// 64
}

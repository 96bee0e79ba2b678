package filestore_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/csconnect/csconnect/pkg/csconnect"
	"github.com/csconnect/csconnect/pkg/filestore"
)

// The processes of one machine open the same directory (by default
// os.UserCacheDir()/csconnect) and pass the store to both the Authenticator and the
// Cache.
func ExampleNew() {
	tmp, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)

	store, err := filestore.New(filestore.Options{Dir: filepath.Join(tmp, "csconnect")})
	if err != nil {
		log.Fatal(err) // an *InsecureError when the directory is not private
	}
	auth, err := csconnect.NewAuthenticator(csconnect.AuthConfig{
		Username: "my-user-key", Password: os.Getenv("CREDITSAFE_PASSWORD"), Store: store,
	})
	if err != nil {
		fmt.Println("no password set")
		return
	}
	cache := csconnect.NewCache(auth, csconnect.CacheOptions{}) // shares through the Authenticator's Store
	_ = cache                                                   // cache.Token(ctx) authenticates once for the whole machine
	fmt.Println("ready")
}

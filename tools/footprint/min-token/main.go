// Command min-token is the floor `make footprint` holds `csconnect token` to: the
// least a Go program can do for the same result, one POST of the credentials to
// $CREDITSAFE_BASE_URL/authenticate with net/http and encoding/json, printing the
// token. No preflight, guard, retries or error decoding.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	body, _ := json.Marshal(struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}{os.Getenv("CREDITSAFE_USERNAME"), os.Getenv("CREDITSAFE_PASSWORD")})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, os.Getenv("CREDITSAFE_BASE_URL")+"/authenticate", bytes.NewReader(body))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(5)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(5)
	}
	defer resp.Body.Close()
	var out struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&out); err != nil || resp.StatusCode != http.StatusOK || out.Token == "" {
		fmt.Fprintf(os.Stderr, "min-token: status %d, token %d bytes, %v\n", resp.StatusCode, len(out.Token), err)
		os.Exit(5)
	}
	fmt.Println(out.Token)
}

// Command benchfloor is the Go floor of `make bench-agent`: a bare
// httputil.ReverseProxy that sets a static Authorization header, listening on a
// loopback port it prints. It is a program of its own, not a mode of benchagent:
// two processes running one executable share its code pages in the CPU caches, and
// the load generator's calls kept net/http's pages warm for a floor run from its
// file (2-3% of the one-connection ratio).
//
// usage: benchfloor SIM_URL TOKEN_FILE
package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"time"
)

func main() { os.Exit(floor(os.Args[1:])) }

// floor is the Go floor: a bare ReverseProxy that sets a static Authorization.
// args: SIM_URL TOKEN_FILE.
func floor(args []string) int {
	if len(args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: benchfloor SIM_URL TOKEN_FILE")
		return 2
	}
	target, err := url.Parse(args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	tok, err := os.ReadFile(args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	bearer := "Bearer " + strings.TrimSpace(string(tok))
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 256
	tr.DisableCompression = true
	tr.Proxy = nil
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.URL.Path = strings.TrimPrefix(pr.Out.URL.Path, "/se")
			pr.Out.URL.RawPath = ""
			pr.Out.Header.Set("Authorization", bearer)
		},
		Transport: tr,
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(ln.Addr().String())
	srv := &http.Server{Handler: proxy, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

package csconnect

// URL policy: which base URLs are accepted (https, or http to loopback; no user
// information, query or fragment), where a token may travel (the same origin, never
// plain http off loopback) and the redirect check for hand-set Authorization.

import (
	"errors"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// checkBaseURL parses the base URL and refuses one that would send credentials in
// clear text (http to anything but loopback) or carry secrets of its own.
func checkBaseURL(raw string) (*url.URL, error) {
	bad := func(reason string) error { return &inputError{field: "base URL", reason: reason} }
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return nil, bad("is not an absolute URL such as https://connect.creditsafe.com/v1")
	}
	if u.Hostname() == "" {
		return nil, bad("is not an absolute URL such as https://connect.creditsafe.com/v1")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, bad("has a port outside 1 to 65535")
		}
	}
	if u.User != nil {
		return nil, bad("must not contain user information; pass credentials in the configuration")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, bad("must not have a query or fragment")
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return nil, bad("uses plain http to a host that is not loopback; use https (credentials are never sent in clear text)")
		}
	default:
		return nil, bad("must use https")
	}
	return u, nil
}

// isLoopback reports whether host is "localhost" or a loopback IP address.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// secureURL reports whether a token may travel to req's URL: https, or plain http
// to a loopback host.
func secureURL(req *http.Request) bool {
	switch strings.ToLower(req.URL.Scheme) {
	case "https":
		return true
	case "http":
		return isLoopback(req.URL.Hostname())
	}
	return false
}

// sameOrigin reports whether req is an original request, or a redirect that stays
// on the scheme and host of the request that started the chain.
func sameOrigin(req *http.Request) bool {
	first := req
	for first.Response != nil && first.Response.Request != nil {
		first = first.Response.Request
	}
	return first == req || (strings.EqualFold(first.URL.Scheme, req.URL.Scheme) && strings.EqualFold(first.URL.Host, req.URL.Host))
}

// CheckRedirect is an http.Client.CheckRedirect for clients whose requests carry a
// token in a header set before sending (RequestEditor, or any Authorization set by
// hand). It refuses (ErrInsecureURL) a redirect to a URL a token may not travel to,
// plain http to a host that is not loopback, because net/http would copy the
// Authorization header there when the host is the same or a subdomain; and it stops
// after 10 redirects, as net/http's default policy does. Clients built on Transport
// do not need it.
func CheckRedirect(req *http.Request, via []*http.Request) error {
	if !secureURL(req) {
		return ErrInsecureURL
	}
	if len(via) >= maxRedirects {
		return errors.New("csconnect: stopped after 10 redirects")
	}
	return nil
}

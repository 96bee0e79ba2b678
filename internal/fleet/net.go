package fleet

import (
	"net"
	"strings"
)

// isLoopback reports whether host is a loopback name or address: the demonstration
// sends traffic nowhere else.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

package csconnect

import (
	"log/slog"
	"time"
)

// tokenAttr describes a token for logs by its expiry and remaining lifetime (a
// Token's own LogValue, which has no clock, gives expiry and fetch time only).
func tokenAttr(t *Token, now time.Time) slog.Attr {
	if t == nil {
		return slog.String("token", "none")
	}
	return slog.Group("token",
		slog.Time("expiry", t.Expiry),
		slog.Duration("remaining", t.Expiry.Sub(now).Round(time.Second)),
	)
}

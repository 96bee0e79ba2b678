package csconnect

import (
	"log/slog"
	"time"
)

// tokenAttr describes a token for logs by its expiry and remaining lifetime only.
// Never log a *Token itself: slog's JSON handler would marshal its Value.
func tokenAttr(t *Token, now time.Time) slog.Attr {
	if t == nil {
		return slog.String("token", "none")
	}
	return slog.Group("token",
		slog.Time("expiry", t.Expiry),
		slog.Duration("remaining", t.Expiry.Sub(now).Round(time.Second)),
	)
}

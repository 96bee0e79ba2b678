package csconnect

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/csconnect/csconnect/internal/testlog"
)

// countLines returns how many lines of b contain s.
func countLines(b *testlog.Buffer, s string) int {
	n := 0
	for line := range strings.Lines(b.String()) {
		if strings.Contains(line, s) {
			n++
		}
	}
	return n
}

func newTestLogger() (*slog.Logger, *testlog.Buffer) {
	b := &testlog.Buffer{}
	return slog.New(slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})), b
}

func TestTokenAttrHidesValue(t *testing.T) {
	t.Parallel()
	logger, buf := newTestLogger()
	tok := tokenAt(1, t0)
	logger.Info("x", tokenAttr(tok, t0.Add(10*60e9)), tokenAttr(nil, t0))
	out := buf.String()
	if strings.Contains(out, tok.Value) {
		t.Errorf("tokenAttr log = %s; want no token value", out)
	}
	if !strings.Contains(out, `"remaining":3000000000000`) {
		t.Errorf("tokenAttr log = %s; want remaining 50m", out)
	}
}

func fmtSprintf(verb string, v any) string { return fmt.Sprintf(verb, v) }

package csconnect

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// logBuffer is a concurrency-safe sink for a JSON slog handler at Debug level.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// count returns how many log lines contain s.
func (b *logBuffer) count(s string) int {
	n := 0
	for line := range strings.Lines(b.String()) {
		if strings.Contains(line, s) {
			n++
		}
	}
	return n
}

func newTestLogger() (*slog.Logger, *logBuffer) {
	b := &logBuffer{}
	return slog.New(slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})), b
}

func TestTokenAttrHidesValue(t *testing.T) {
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

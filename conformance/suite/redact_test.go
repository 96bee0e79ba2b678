package suite_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"

	"github.com/csconnect/csconnect/conformance/suite"
	"github.com/csconnect/csconnect/internal/secret/secrettest"
)

// TestConfigJSONAndSlogNeverPrintPassword: Target and StackConfig hide the password
// from every fmt verb, from encoding/json and from both slog handlers.
func TestConfigJSONAndSlogNeverPrintPassword(t *testing.T) {
	const pw = "not-to-be-printed"
	for name, v := range map[string]any{
		"Target":      suite.Target{Username: "u", Password: pw},
		"*Target":     &suite.Target{Username: "u", Password: pw},
		"StackConfig": suite.StackConfig{Username: "u", Password: pw},
	} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%t", "%d"} {
			out := fmt.Sprintf(verb, v)
			secrettest.AssertNone(t, fmt.Sprintf("Sprintf(%s, %s)", verb, name), out, pw, fmt.Sprintf("%x", pw))
		}
		j, _ := json.Marshal(v)
		secrettest.AssertNone(t, "json.Marshal("+name+")", string(j), pw)
		var logged bytes.Buffer
		slog.New(slog.NewJSONHandler(&logged, nil)).Info("x", "v", v)
		slog.New(slog.NewTextHandler(&logged, nil)).Info("x", "v", v)
		secrettest.AssertNone(t, "slog("+name+")", logged.String(), pw)
	}
}

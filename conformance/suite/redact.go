package suite

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
)

// String describes the target without the password.
func (t Target) String() string {
	return fmt.Sprintf("suite.Target{AuthURL: %q, ServiceURL: %q, Username: %q, Password: [redacted]}", t.AuthURL, t.ServiceURL, t.Username)
}

// GoString is String, so %#v does not print the password either.
func (t Target) GoString() string { return t.String() }

// Format makes every verb print String.
func (t Target) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, t.String()) }

// String describes the configuration without the password.
func (c StackConfig) String() string {
	return fmt.Sprintf("suite.StackConfig{AuthURL: %q, Username: %q, Password: [redacted]}", c.AuthURL, c.Username)
}

// GoString is String.
func (c StackConfig) GoString() string { return c.String() }

// Format makes every verb print String.
func (c StackConfig) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.String()) }

// MarshalJSON encodes String, so a Target in a JSON report or log has no password.
func (t Target) MarshalJSON() ([]byte, error) { return json.Marshal(t.String()) }

// LogValue logs String.
func (t Target) LogValue() slog.Value { return slog.StringValue(t.String()) }

// MarshalJSON encodes String.
func (c StackConfig) MarshalJSON() ([]byte, error) { return json.Marshal(c.String()) }

// LogValue logs String.
func (c StackConfig) LogValue() slog.Value { return slog.StringValue(c.String()) }

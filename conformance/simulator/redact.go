package simulator

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
)

// String describes the options without the password.
func (o Options) String() string {
	return fmt.Sprintf("simulator.Options{Username: %q, Password: [redacted], TokenTTL: %v, TotalLimit: %d}", o.Username, o.TokenTTL, o.TotalLimit)
}

// GoString is String, so %#v does not print the password either.
func (o Options) GoString() string { return o.String() }

// Format makes every verb print String.
func (o Options) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, o.String()) }

// String describes the simulator without its credentials or key.
func (s *Simulator) String() string { return "simulator.Simulator{" + s.opts.Username + "}" }

// GoString is String.
func (s *Simulator) GoString() string { return s.String() }

// Format makes every verb print String.
func (s *Simulator) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }

// MarshalJSON encodes String, so Options in a JSON log have no password.
func (o Options) MarshalJSON() ([]byte, error) { return json.Marshal(o.String()) }

// LogValue logs String.
func (o Options) LogValue() slog.Value { return slog.StringValue(o.String()) }

// MarshalJSON encodes String.
func (s *Simulator) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// LogValue logs String.
func (s *Simulator) LogValue() slog.Value { return slog.StringValue(s.String()) }

// sealPassword holds the password in a closure: fmt, when it reaches a *Simulator
// through an unexported field (where it calls none of its methods), prints a func as
// an address, never what it captured.
func sealPassword(pw string) func() string { return func() string { return pw } }

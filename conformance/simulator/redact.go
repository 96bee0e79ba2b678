package simulator

import (
	"fmt"
	"io"
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

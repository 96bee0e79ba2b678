package agent

import (
	"fmt"
	"strings"
	"testing"
)

// TestCredentialsNoVerbPrintsThePassword: Credentials had String and GoString,
// which fmt calls for %v, %s, %q, %x, %X and %#v only; every other verb (%d, %t,
// %e, %c, %U, %o) printed the struct's fields, the password among them. (%p of a
// value is left out: fmt prints a bad verb's operand by reflection, past any
// Formatter, for csconnect.Token and AuthConfig too; go vet refuses it.)
func TestCredentialsNoVerbPrintsThePassword(t *testing.T) {
	const pw = "hostile7-Secret-pw"
	c := Credentials{Username: "u", Password: pw}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%t", "%e", "%g", "%c", "%U", "%b", "%o", "%010v", "%T"} {
		for _, arg := range []any{c, &c, []Credentials{c}, struct{ C Credentials }{c}} {
			if out := fmt.Sprintf(verb, arg); strings.Contains(out, pw) || strings.Contains(out, fmt.Sprintf("%x", pw)) {
				t.Errorf("fmt %s of %T prints the password: %s", verb, arg, out)
			}
		}
	}
}

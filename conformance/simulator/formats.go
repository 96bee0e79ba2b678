package simulator

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Format chooses the body shape of responses the vendor documents in more than one
// shape (401 from authenticate, 403 Token Expired). Each shape is one openapi.yaml
// declares for that response.
type Format int

// The formats.
const (
	FormatText Format = iota // text/plain, as on the vendor's Sweden pages
	// FormatJSON is the JSON of the vendor's OpenAPI document: {"message"} for 401,
	// the envelope {"error": {"code", "text", "detail"}} for 403 Token Expired.
	FormatJSON
	FormatAlternate // text and JSON in turn, so a client meets both
	// FormatError is {"error": "Token Expired"}, the Connect services' token-error
	// body; for 403 Token Expired only (openapi.yaml does not allow it for 401).
	FormatError
)

// String returns the constant's name, e.g. "FormatJSON".
func (f Format) String() string {
	if names := [...]string{"FormatText", "FormatJSON", "FormatAlternate", "FormatError"}; f >= 0 && int(f) < len(names) {
		return names[f]
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// The responses a Format applies to, as indexes of formatKinds and of
// Simulator.alternation.
const (
	kindUnauthorized = iota // 401 from authenticate (and 403 inactive account)
	kindTokenExpired        // 403 Token Expired from datecheck
)

// formatKinds lists, per response, its field in the control API's "formats" and
// the names of the formats it accepts, as POST /_sim/faults and csconnect sim take
// them. control.openapi.yaml lists the same names (a test compares them).
var formatKinds = [2]struct {
	field, what string
	names       map[string]Format
}{
	kindUnauthorized: {"unauthorized", "401 from authenticate",
		map[string]Format{"text": FormatText, "json": FormatJSON, "alternate": FormatAlternate}},
	kindTokenExpired: {"token_expired", "403 Token Expired",
		map[string]Format{"text": FormatText, "envelope": FormatJSON, "error": FormatError, "alternate": FormatAlternate}},
}

// ParseUnauthorizedFormat returns the format of 401 from authenticate named
// "text", "json" or "alternate".
func ParseUnauthorizedFormat(name string) (Format, error) {
	return parseFormat(kindUnauthorized, name)
}

// ParseTokenExpiredFormat returns the format of 403 Token Expired named "text",
// "envelope", "error" or "alternate".
func ParseTokenExpiredFormat(name string) (Format, error) {
	return parseFormat(kindTokenExpired, name)
}

func parseFormat(kind int, name string) (Format, error) {
	k := formatKinds[kind]
	if f, ok := k.names[name]; ok {
		return f, nil
	}
	return 0, fmt.Errorf("%s format %q: want one of %s", k.field, name, strings.Join(slices.Sorted(maps.Keys(k.names)), ", "))
}

// checkFormats reports a format set for a response that does not accept it.
func checkFormats(unauthorized, tokenExpired Format) error {
	for kind, f := range [2]Format{unauthorized, tokenExpired} {
		if !slices.Contains(slices.Collect(maps.Values(formatKinds[kind].names)), f) {
			return fmt.Errorf("simulator: %v is not a format of %s", f, formatKinds[kind].what)
		}
	}
	return nil
}

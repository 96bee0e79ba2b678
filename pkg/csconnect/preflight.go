package csconnect

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// inputError is an input csconnect refused before sending anything: a credential
// that the spec or the vendor's documents say cannot work, or a base URL that would
// send credentials in clear text. Its message says what to do and never contains the
// value. It matches ErrInvalidInput with errors.Is: that is
// all a caller needs to know, and the message is for humans.
type inputError struct {
	field  string // "username", "password" or "base URL"
	reason string // what is wrong and how to fix it
}

// Error is "csconnect: <field> <reason>".
func (e *inputError) Error() string { return "csconnect: " + e.field + " " + e.reason }

// Is reports whether target is ErrInvalidInput.
func (e *inputError) Is(target error) bool { return target == ErrInvalidInput }

// Preflight reasons. Messages are built only from these and the spec's limits, so a
// value can never leak into one (FuzzPreflight checks it).
const (
	reasonRequired = "is required"
	reasonUTF8     = "is not valid UTF-8; it cannot be sent as JSON without changing it"
	reasonSpace    = "has leading or trailing white space; remove it (credentials are case- and space-sensitive and sent exactly as given)"
	reasonControl  = "contains a control or invisible character; remove it (check for characters pasted by accident)"
	reasonEmail    = "looks like an e-mail address; the API expects the User Key Creditsafe issued you, not the e-mail address used on its websites (set AllowEmailUsername to send it anyway)"
)

func reasonTooLong(max int) string {
	return fmt.Sprintf("is longer than %d characters, the API's limit", max)
}

func reasonTooShort(min int) string {
	return fmt.Sprintf("is shorter than %d characters, the API's minimum", min)
}

// lengthLimits are the minLength and maxLength of one credential in openapi.yaml.
type lengthLimits struct{ min, max int }

// usernameLimits and passwordLimits are AuthenticateRequest's minLength and maxLength
// in openapi.yaml, written here so that nothing parses the spec at run time;
// TestCredentialLimitsMatchSpec fails when the spec changes and these do not.
var (
	usernameLimits = lengthLimits{min: 1, max: 30}
	passwordLimits = lengthLimits{min: 1, max: 30}
)

// preflight checks a username and password against the spec's rules (required, 1 to
// 30 characters counted as JSON Schema counts them: Unicode code points) and the
// vendor's documents (no surrounding white space or control characters; the username
// is a User Key, not an e-mail address, unless allowEmail). It returns nil or the
// *inputError of each bad field, joined.
func preflight(username, password string, allowEmail bool) error {
	var errs []error
	if r := checkCredential(username, usernameLimits); r != "" {
		errs = append(errs, &inputError{field: "username", reason: r})
	} else if !allowEmail && emailShaped(username) {
		errs = append(errs, &inputError{field: "username", reason: reasonEmail})
	}
	if r := checkCredential(password, passwordLimits); r != "" {
		errs = append(errs, &inputError{field: "password", reason: r})
	}
	return errors.Join(errs...)
}

// checkCredential returns the reason v is refused, or "".
func checkCredential(v string, lim lengthLimits) string {
	switch n := utf8.RuneCountInString(v); {
	case v == "":
		return reasonRequired
	case !utf8.ValidString(v):
		return reasonUTF8
	case n < lim.min:
		return reasonTooShort(lim.min)
	case n > lim.max:
		return reasonTooLong(lim.max)
	}
	first, _ := utf8.DecodeRuneInString(v)
	last, _ := utf8.DecodeLastRuneInString(v)
	if unicode.IsSpace(first) || unicode.IsSpace(last) {
		return reasonSpace
	}
	if strings.IndexFunc(v, invisible) >= 0 {
		return reasonControl
	}
	return ""
}

// invisible reports the characters the vendor's troubleshooting calls "hidden
// characters": controls (Cc), format characters (Cf: zero-width spaces, byte-order
// and direction marks), line and paragraph separators (Zl, Zp: U+2028, U+2029),
// variation selectors, the other default-ignorable code points, which render as
// nothing or blank (the Hangul fillers U+115F, U+1160, U+3164, U+FFA0, …), and the
// blank Braille pattern U+2800.
func invisible(r rune) bool {
	return unicode.IsControl(r) || r == '\u2800' ||
		unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp, unicode.Variation_Selector, unicode.Other_Default_Ignorable_Code_Point)
}

// emailShaped reports whether s is shaped like an e-mail address: some text, an @,
// then a domain with no space or @ in it, optionally closed by ">". That covers the
// bare (u@example.com), quoted ("u"@example.com), angle-bracket and display-name
// (User <u@example.com>) forms. A User Key has no such shape, and a key that did
// can still be sent with AllowEmailUsername. (net/mail's parser would add 30 KB to
// every binary for a check this loose by design.)
func emailShaped(s string) bool {
	i := strings.LastIndexByte(s, '@')
	if i <= 0 {
		return false
	}
	domain := strings.TrimSuffix(s[i+1:], ">")
	return domain != "" && !strings.ContainsFunc(domain, unicode.IsSpace)
}

package csconnect

import "strings"

// isJWTShape reports whether s matches the pattern openapi.yaml gives
// TokenResponse.token, ^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$: three
// base64url segments, the signature possibly empty.
//
// It is hand-written rather than the spec's regexp because it runs on every
// authenticate answer and the regexp took ~9 µs on a 900-byte token (a tenth of a
// loopback authenticate call); TestJWTShapeMatchesSpec and FuzzJWTShape hold it to
// the spec's pattern, so the spec stays the source of truth.
//
// The dots are found with strings.IndexByte and each segment is checked without a
// branch per byte (base64URLSegment): a third of the time of a byte-by-byte switch.
func isJWTShape(s string) bool {
	header, rest, ok1 := strings.Cut(s, ".")
	payload, sig, ok2 := strings.Cut(rest, ".")
	return ok1 && ok2 && header != "" && payload != "" &&
		base64URLSegment(header) && base64URLSegment(payload) && base64URLSegment(sig)
}

// base64URLSegment reports whether every byte of s is in the base64url alphabet
// (true for ""). It ORs the table's verdicts together, eight bytes per round.
func base64URLSegment(s string) bool {
	var bad byte
	for len(s) >= 8 {
		bad |= notBase64URL[s[0]] | notBase64URL[s[1]] | notBase64URL[s[2]] | notBase64URL[s[3]] |
			notBase64URL[s[4]] | notBase64URL[s[5]] | notBase64URL[s[6]] | notBase64URL[s[7]]
		s = s[8:]
	}
	for i := 0; i < len(s); i++ {
		bad |= notBase64URL[s[i]]
	}
	return bad == 0
}

// notBase64URL is 1 for the bytes outside the base64url alphabet (RFC 4648 §5), 0
// for those in it.
var notBase64URL = func() (t [256]byte) {
	for i := range t {
		t[i] = 1
	}
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") {
		t[c] = 0
	}
	return t
}()

package csconnect

// isJWTShape reports whether s matches the pattern openapi.yaml gives
// TokenResponse.token, ^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$: three
// base64url segments, the signature possibly empty.
//
// It is hand-written rather than the spec's regexp because it runs on every
// authenticate answer and the regexp took ~9 µs on a 900-byte token (a tenth of a
// loopback authenticate call); TestJWTShapeMatchesSpec and FuzzJWTShape hold it to
// the spec's pattern, so the spec stays the source of truth.
func isJWTShape(s string) bool {
	segment, n := 0, 0 // current segment index, its length so far
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			if n == 0 || segment == 2 {
				return false
			}
			segment, n = segment+1, 0
		case base64URL[c]:
			n++
		default:
			return false
		}
	}
	return segment == 2
}

// base64URL marks the bytes of the base64url alphabet (RFC 4648 §5).
var base64URL = func() (t [256]bool) {
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") {
		t[c] = true
	}
	return t
}()

package csconnect

import (
	"regexp"
	"strings"
	"testing"
)

// specTokenPattern compiles TokenResponse.token's pattern from the bundled spec.
func specTokenPattern(t testing.TB) *regexp.Regexp {
	t.Helper()
	p := specProperty(t, "TokenResponse", "token")
	if p.Pattern == "" {
		t.Fatal("openapi.yaml gives TokenResponse.token no pattern; isJWTShape must change with it")
	}
	return regexp.MustCompile(p.Pattern)
}

var jwtShapeSeeds = []string{
	"", ".", "..", "...", "a.b.c", "a.b.", "a..c", ".b.c", "a.b", "a.b.c.d", "a.b.c.",
	"eyJhbGciOiJSUzI1NiIsImtpZCI6Im.eyJleHAiOjF9.hPeGE7Ak8YtKFbA",
	"eyJhbGciOiJSUzI1NiIsImtpZCI6Im…hPeGE7Ak8YtKFbA", // the vendor's elided sample
	"a.b.c\n", "a.b.c ", " a.b.c", "a+b.c.d", "a/b.c.d", "a.b.c=", "a.b.c==", "A-_z.0-9_.Zz",
	"é.b.c", "a.b.\x00", strings.Repeat("x", 900) + "." + strings.Repeat("y", 300) + ".z",
}

// TestJWTShapeMatchesSpec holds the hand-written check to the spec's pattern.
func TestJWTShapeMatchesSpec(t *testing.T) {
	t.Parallel()
	re := specTokenPattern(t)
	for _, s := range jwtShapeSeeds {
		if got, want := isJWTShape(s), re.MatchString(s); got != want {
			t.Errorf("isJWTShape(%q) = %v; want %v (the spec's pattern)", s, got, want)
		}
	}
}

func FuzzJWTShape(f *testing.F) {
	for _, s := range jwtShapeSeeds {
		f.Add(s)
	}
	re := specTokenPattern(f)
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := isJWTShape(s), re.MatchString(s); got != want {
			t.Errorf("isJWTShape(%q) = %v; want %v (the spec's pattern)", s, got, want)
		}
	})
}

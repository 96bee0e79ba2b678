package seal

import (
	"bytes"
	"testing"
)

var (
	key1 = bytes.Repeat([]byte("1"), 32)
	key2 = bytes.Repeat([]byte("2"), 16)
)

func TestSealOpen(t *testing.T) {
	doc := []byte(`{"token":"x"}`)
	clear, err := New(nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := New(key1, [][]byte{key2}, []byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	older, err := New(key2, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var none *Keys
	tests := map[string]struct {
		sealer, opener *Keys
		name           string // opened under
		ok             bool
	}{
		"clear":                      {clear, clear, "a", true},
		"nil Keys is clear":          {none, clear, "a", true},
		"clear under another name":   {clear, clear, "b", true}, // nothing binds a clear value
		"sealed":                     {sealed, sealed, "a", true},
		"sealed, another name":       {sealed, sealed, "b", false},
		"decryption key opens":       {older, sealed, "a", true},
		"sealed, opener without key": {sealed, clear, "a", false},
		"clear, opener with key":     {clear, sealed, "a", false},
		"sealed with a key not held": {sealed, older, "a", false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			v := tc.sealer.Seal("a", doc)
			got, err := tc.opener.Open(tc.name, v)
			if ok := err == nil && bytes.Equal(got, doc); ok != tc.ok {
				t.Errorf("Open = %q, %v; want ok %t", got, err, tc.ok)
			}
		})
	}
	if _, err := clear.Open("a", nil); err == nil {
		t.Error("Open(empty) = nil error")
	}
	if v := sealed.Seal("a", doc); bytes.Contains(v, doc) || v[0] != FormatSealed {
		t.Errorf("Seal = %q; want format %q and no clear text", v, FormatSealed)
	}
}

func TestNewRejects(t *testing.T) {
	for name, tc := range map[string]struct {
		enc, secret []byte
		dec         [][]byte
	}{
		"short key":               {enc: key1[:20]},
		"key equals secret":       {enc: key1, secret: key1},
		"decryption without key":  {dec: [][]byte{key1}},
		"bad decryption key":      {enc: key1, dec: [][]byte{key2[:5]}},
		"decryption key = secret": {enc: key1, dec: [][]byte{key2}, secret: key2},
	} {
		if _, err := New(tc.enc, tc.dec, tc.secret); err == nil {
			t.Errorf("%s: New = nil error", name)
		} else if bytes.Contains([]byte(err.Error()), key1) || bytes.Contains([]byte(err.Error()), key2[:5]) {
			t.Errorf("%s: error %q quotes a key", name, err)
		}
	}
}

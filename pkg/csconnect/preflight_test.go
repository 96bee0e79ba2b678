package csconnect

import (
	"errors"
	"strings"
	"testing"
)

func TestPreflight(t *testing.T) {
	t.Parallel()
	const ok = "myS3cretP@ssw0rd999!"
	tests := map[string]struct {
		username, password string
		allowEmail         bool
		wantFields         []string // refused fields; none means accepted
		wantReason         string   // substring of the message
	}{
		"documented example":            {username: "myUsername", password: ok},
		"30 ascii":                      {username: strings.Repeat("u", 30), password: strings.Repeat("p", 30)},
		"30 multibyte":                  {username: strings.Repeat("é", 30), password: strings.Repeat("🔑", 30)},
		"31 ascii username":             {username: strings.Repeat("u", 31), password: ok, wantFields: []string{"username"}, wantReason: "longer than 30"},
		"31 multibyte password":         {username: "u", password: strings.Repeat("ü", 31), wantFields: []string{"password"}, wantReason: "longer than 30"},
		"empty username":                {username: "", password: ok, wantFields: []string{"username"}, wantReason: reasonRequired},
		"both empty":                    {wantFields: []string{"username", "password"}, wantReason: reasonRequired},
		"leading space":                 {username: " myUsername", password: ok, wantFields: []string{"username"}, wantReason: "white space"},
		"trailing newline in password":  {username: "myUsername", password: ok + "\n", wantFields: []string{"password"}, wantReason: "white space"},
		"trailing nbsp":                 {username: "myUsername\u00a0", password: ok, wantFields: []string{"username"}, wantReason: "white space"},
		"inner space is fine":           {username: "my user", password: "pass word"},
		"control char":                  {username: "my\x07user", password: ok, wantFields: []string{"username"}, wantReason: "control"},
		"zero-width space":              {username: "myUsername", password: "pass\u200bword", wantFields: []string{"password"}, wantReason: "invisible"},
		"invalid utf-8":                 {username: "myUsername", password: "pass\xffword", wantFields: []string{"password"}, wantReason: "UTF-8"},
		"e-mail username":               {username: "jane@example.com", password: ok, wantFields: []string{"username"}, wantReason: "User Key"},
		"e-mail username allowed":       {username: "jane@example.com", password: ok, allowEmail: true},
		"@ alone is not an e-mail":      {username: "user@", password: ok},
		"hangul filler (renders blank)": {username: "myUsername", password: "pass\u3164word", wantFields: []string{"password"}, wantReason: "invisible"},
		"halfwidth hangul filler":       {username: "my\uffa0user", password: ok, wantFields: []string{"username"}, wantReason: "invisible"},
		"hangul choseong filler":        {username: "myUsername", password: "pass\u115fword", wantFields: []string{"password"}, wantReason: "invisible"},
		"line separator":                {username: "myUsername", password: "pass\u2028word", wantFields: []string{"password"}, wantReason: "invisible"},
		"paragraph separator":           {username: "myUsername", password: "pass\u2029word", wantFields: []string{"password"}, wantReason: "invisible"},
		"variation selector":            {username: "myUsername", password: "pass\ufe0fword", wantFields: []string{"password"}, wantReason: "invisible"},
		"quoted e-mail local part":      {username: `"u"@example.com`, password: ok, wantFields: []string{"username"}, wantReason: "User Key"},
		"e-mail with display name":      {username: "User <u@example.com>", password: ok, wantFields: []string{"username"}, wantReason: "User Key"},
		"e-mail in angle brackets":      {username: "<u@example.com>", password: ok, wantFields: []string{"username"}, wantReason: "User Key"},
		"domain with a space":           {username: "user@ example", password: ok},
		"@ first is not an e-mail":      {username: "@example.com", password: ok},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			err := preflight(tt.username, tt.password, tt.allowEmail)
			if len(tt.wantFields) == 0 {
				if err != nil {
					t.Fatalf("preflight(%q, …) = %v; want nil", tt.username, err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidInput) {
				t.Fatalf("preflight(%q, …) = %v; want ErrInvalidInput", tt.username, err)
			}
			for _, f := range tt.wantFields {
				if !strings.Contains(err.Error(), "csconnect: "+f+" ") {
					t.Errorf("preflight(%q, …) = %q; want a message about %s", tt.username, err, f)
				}
			}
			if !strings.Contains(err.Error(), tt.wantReason) {
				t.Errorf("preflight(%q, …) = %q; want it to contain %q", tt.username, err, tt.wantReason)
			}
			if tt.password != "" && strings.Contains(err.Error(), tt.password) {
				t.Errorf("preflight error %q contains the password", err)
			}
		})
	}
}

// TestPreflightAgreesWithSpec runs boundary values through both preflight and
// kin-openapi's validation of the bundled spec's AuthenticateRequest schema: a change
// to minLength/maxLength in openapi.yaml that preflight did not follow fails here.
func TestPreflightAgreesWithSpec(t *testing.T) {
	t.Parallel()
	schema := specSchema(t, "AuthenticateRequest")
	cases := map[string]string{
		"empty":         "",
		"1 ascii":       "a",
		"30 ascii":      strings.Repeat("a", 30),
		"31 ascii":      strings.Repeat("a", 31),
		"30 two-byte":   strings.Repeat("é", 30),
		"31 two-byte":   strings.Repeat("é", 31),
		"30 four-byte":  strings.Repeat("𝄞", 30),
		"31 four-byte":  strings.Repeat("𝄞", 31),
		"29 + combined": strings.Repeat("a", 29) + "e\u0301", // 31 code points
	}
	for name, v := range cases {
		t.Run(name, func(t *testing.T) {
			for _, field := range []string{"username", "password"} {
				body := map[string]any{"username": "myUsername", "password": "myPassword"}
				body[field] = v
				specOK := schema.VisitJSON(body) == nil
				var ours error
				if field == "username" {
					ours = preflight(v, "myPassword", false)
				} else {
					ours = preflight("myUsername", v, false)
				}
				if (ours == nil) != specOK {
					t.Errorf("%s %s: preflight = %v, spec validation ok = %v; want them to agree", field, name, ours, specOK)
				}
			}
		})
	}
	// Invalid UTF-8 is where preflight is stricter than the schema on purpose: the
	// JSON encoder would replace the bad bytes and send a different password.
	bad := "pass\xffword"
	if schema.VisitJSON(map[string]any{"username": "u", "password": bad}) != nil {
		t.Log("kin-openapi now refuses invalid UTF-8 too")
	}
	if err := preflight("u", bad, false); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("preflight(u, invalid UTF-8) = %v; want ErrInvalidInput", err)
	}
}

func TestCheckBaseURL(t *testing.T) {
	t.Parallel()
	tests := map[string]bool{
		"https://connect.creditsafe.com/v1":         true,
		"https://connect.sandbox.creditsafe.com/v1": true,
		"http://127.0.0.1:8080/v1":                  true,
		"http://[::1]:8080":                         true,
		"http://localhost:4010":                     true,
		"http://connect.creditsafe.com/v1":          false,
		"http://10.0.0.1/v1":                        false,
		"http://localhost.evil.com/v1":              false,
		"https://user:pw@connect.creditsafe.com/v1": false,
		"https://connect.creditsafe.com/v1?x=1":     false,
		"ftp://connect.creditsafe.com/v1":           false,
		"connect.creditsafe.com/v1":                 false,
		"":                                          false,
		"://bad":                                    false,
		"https://connect.creditsafe.com:443/v1":     true,
		"http://127.0.0.1:65535/v1":                 true,
		"http://127.0.0.1:65536/v1":                 false,
		"https://connect.creditsafe.com:99999/v1":   false,
		"https://connect.creditsafe.com:0/v1":       false,
	}
	for raw, wantOK := range tests {
		t.Run(raw, func(t *testing.T) {
			_, err := checkBaseURL(raw)
			if (err == nil) != wantOK {
				t.Errorf("checkBaseURL(%q) = %v; want ok=%v", raw, err, wantOK)
			}
			if err != nil && !errors.Is(err, ErrInvalidInput) {
				t.Errorf("checkBaseURL(%q) = %v; want ErrInvalidInput", raw, err)
			}
			if err != nil && strings.Contains(err.Error(), "pw@") {
				t.Errorf("checkBaseURL error %q repeats user information", err)
			}
		})
	}
}

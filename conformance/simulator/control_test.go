package simulator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/csconnect/csconnect/conformance"
	"github.com/csconnect/csconnect/conformance/simulator"
)

// loadControlSpec loads and validates the control API's document.
func loadControlSpec(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(simulator.ControlSpec())
	if err != nil {
		t.Fatalf("load control.openapi.yaml: %v", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("control.openapi.yaml is not a valid OpenAPI document: %v", err)
	}
	return doc
}

func TestControlSpecIsValid(t *testing.T) {
	doc := loadControlSpec(t)
	for _, p := range []string{"/_sim/stats", "/_sim/faults", "/_sim/clock", "/_sim/reset", "/_sim/openapi.yaml"} {
		if doc.Paths.Value(p) == nil {
			t.Errorf("control.openapi.yaml has no path %s", p)
		}
	}
	if !strings.Contains(doc.Info.Description, "searchnumber="+simulator.RejectedCompany) {
		t.Errorf("control.openapi.yaml does not name the rejected company %s", simulator.RejectedCompany)
	}
}

// TestControlSpecDocumentsEveryField walks the Go types of the control bodies by
// reflection, so a field added to the code without documentation fails here, and
// so does a documented field the code would refuse as unknown.
func TestControlSpecDocumentsEveryField(t *testing.T) {
	schemas := loadControlSpec(t).Components.Schemas
	for name, v := range map[string]any{
		"FaultRequest":  simulator.FaultRequest{},
		"ClockRequest":  simulator.ClockRequest{},
		"ClockResponse": simulator.ClockResponse{},
		"Stats":         simulator.Stats{},
	} {
		ref := schemas[name]
		if ref == nil {
			t.Errorf("control.openapi.yaml has no schema %s", name)
			continue
		}
		compareFields(t, name, reflect.TypeOf(v), ref.Value)
	}
}

func compareFields(t *testing.T, where string, typ reflect.Type, schema *openapi3.Schema) {
	t.Helper()
	goFields := map[string]reflect.Type{}
	for f := range typ.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		goFields[name] = f.Type
	}
	for name, ft := range goFields {
		prop := schema.Properties[name]
		if prop == nil {
			t.Errorf("%s.%s: accepted by the Go code but not in control.openapi.yaml", where, name)
			continue
		}
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && ft != reflect.TypeFor[time.Time]() {
			compareFields(t, where+"."+name, ft, prop.Value)
		}
	}
	for name := range schema.Properties {
		if _, ok := goFields[name]; !ok {
			t.Errorf("%s.%s: in control.openapi.yaml but not in the Go code", where, name)
		}
	}
}

// TestControlSpecFormatNames checks that the format names the document lists are
// exactly those the simulator accepts.
func TestControlSpecFormatNames(t *testing.T) {
	formats := loadControlSpec(t).Components.Schemas["Formats"].Value
	for i, field := range []string{"unauthorized", "token_expired"} {
		var doc []string
		for _, v := range formats.Properties[field].Value.Enum {
			doc = append(doc, fmt.Sprint(v))
		}
		slices.Sort(doc)
		if code := slices.Sorted(maps.Keys(simulator.FormatNames[i])); !slices.Equal(doc, code) {
			t.Errorf("formats.%s: document lists %v; the simulator accepts %v", field, doc, code)
		}
	}
}

// controlCall is one request to the control API and the status it must get.
type controlCall struct {
	method, path, body string
	status             int
}

// TestControlResponsesConform sends every control request, valid and not, and
// validates each request and response against control.openapi.yaml; every status
// the document declares must have been met.
func TestControlResponsesConform(t *testing.T) {
	doc := loadControlSpec(t)
	v, err := conformance.NewValidator(doc)
	if err != nil {
		t.Fatal(err)
	}
	ts := newTestServer(t, nil)
	calls := []controlCall{
		{"GET", "/_sim/stats", "", 200},
		{"GET", "/_sim/openapi.yaml", "", 200},
		{"POST", "/_sim/reset", "", 204},
		{"POST", "/_sim/clock", `{"advance":"61m"}`, 200},
		{"POST", "/_sim/clock", `{"advance":"0s"}`, 200},
		{"POST", "/_sim/clock", `{"advance":"soon"}`, 400},
		{"POST", "/_sim/clock", `{"advance":"1s","extra":1}`, 400},
		{"POST", "/_sim/faults", `{}`, 204},
		{"POST", "/_sim/faults", `{"endpoint":"datecheck","fail":1,"drop":0,"latency":"0s"}`, 204},
		{"POST", "/_sim/faults", `{"token_ttl":"30s","account_inactive":false,"total_limit":5}`, 204},
		{"POST", "/_sim/faults", `{"fail":-1}`, 400},
		{"POST", "/_sim/faults", `{"endpoint":"elsewhere"}`, 400},
		{"POST", "/_sim/faults", `{"formats":{"unauthorized":"error"}}`, 400},
	}
	for i, names := range simulator.FormatNames {
		field := [2]string{"unauthorized", "token_expired"}[i]
		for name := range names {
			calls = append(calls, controlCall{"POST", "/_sim/faults", fmt.Sprintf(`{"formats":{%q:%q}}`, field, name), 204})
		}
	}
	seen := map[string]bool{}
	for _, c := range calls {
		req, err := http.NewRequest(c.method, ts.url+c.path, strings.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		if c.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", c.method, c.path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Errorf("%s %s %s = %d %q; want %d", c.method, c.path, c.body, resp.StatusCode, body, c.status)
		}
		ctx := context.Background()
		if c.status != 400 { // a refused request may break the document: that is why it is refused
			for _, x := range v.ValidateRequest(ctx, req, []byte(c.body)) {
				t.Errorf("%s %s %s: %v", c.method, c.path, c.body, x)
			}
		}
		for _, x := range v.ValidateResponse(ctx, req, []byte(c.body), resp.StatusCode, resp.Header, body) {
			t.Errorf("%s %s %s: %v", c.method, c.path, c.body, x)
		}
		seen[fmt.Sprintf("%s %s %d", c.method, c.path, resp.StatusCode)] = true
		if c.path == "/_sim/openapi.yaml" && !bytes.Equal(body, simulator.ControlSpec()) {
			t.Errorf("GET /_sim/openapi.yaml did not serve ControlSpec()")
		}
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			for status := range op.Responses.Map() {
				if key := method + " " + path + " " + status; !seen[key] {
					t.Errorf("%s: documented but never met by this test", key)
				}
			}
		}
	}
}

// TestFormatsAreDocumentedShapes chooses every format through POST /_sim/faults and
// checks that the 401, the inactive 403 and the Token Expired 403 then sent have the
// chosen shape and conform to openapi.yaml (the test client fails on a violation).
func TestFormatsAreDocumentedShapes(t *testing.T) {
	shapes := map[string]func(ctype, body string) bool{
		"text": func(ct, b string) bool { return strings.HasPrefix(ct, "text/plain") },
		"json": func(ct, b string) bool { return ct == "application/json" && hasKeys(b, "message") },
		"envelope": func(ct, b string) bool {
			return ct == "application/json" && hasKeys(b, "error") && strings.Contains(b, `"code":"403"`)
		},
		"error": func(ct, b string) bool {
			return ct == "application/json" && strings.TrimSpace(b) == `{"error":"Token Expired"}`
		},
	}
	shapes["alternate"] = func(ct, b string) bool { return true } // checked below: both shapes in turn
	for name := range simulator.FormatNames[0] {
		t.Run("unauthorized="+name, func(t *testing.T) {
			ts := newTestServer(t, nil)
			ts.control(t, fmt.Sprintf(`{"formats":{"unauthorized":%q}}`, name))
			var kinds []string
			for range 2 {
				r := ts.login(t, creds(testUser, "wrong"))
				if r.status != 401 || !shapes[name](r.ctype, r.body) {
					t.Errorf("401 with format %s = %d %q %q", name, r.status, r.ctype, r.body)
				}
				kinds = append(kinds, r.ctype)
			}
			ts.control(t, `{"account_inactive":true}`)
			if r := ts.login(t, creds(testUser, testPass)); r.status != 403 || !shapes[name](r.ctype, r.body) {
				t.Errorf("inactive 403 with format %s = %d %q %q", name, r.status, r.ctype, r.body)
			}
			if name == "alternate" && kinds[0] == kinds[1] {
				t.Errorf("alternate 401s were both %q", kinds[0])
			}
		})
	}
	for name := range simulator.FormatNames[1] {
		t.Run("token_expired="+name, func(t *testing.T) {
			ts := newTestServer(t, nil)
			ts.control(t, fmt.Sprintf(`{"formats":{"token_expired":%q}}`, name))
			tok := token(t, ts.login(t, creds(testUser, testPass)))
			ts.clock.Advance(simulator.DefaultTokenTTL + time.Second)
			var kinds []string
			for range 2 {
				r := ts.do(t, http.MethodGet, "/datecheck/company?searchnumber=1", "", "", tok, false)
				if r.status != 403 || !strings.Contains(r.body, "Token Expired") || !shapes[name](r.ctype, r.body) {
					t.Errorf("Token Expired with format %s = %d %q %q", name, r.status, r.ctype, r.body)
				}
				kinds = append(kinds, r.ctype)
			}
			if name == "alternate" && kinds[0] == kinds[1] {
				t.Errorf("alternate Token Expired answers were both %q", kinds[0])
			}
		})
	}
}

func TestSetFormatsRefusesUndocumentedShape(t *testing.T) {
	ts := newTestServer(t, nil)
	if err := ts.SetFormats(simulator.FormatError, simulator.FormatText); err == nil {
		t.Errorf("SetFormats(FormatError, FormatText) = nil; want an error (401 is never {\"error\"})")
	}
	if _, err := simulator.New(simulator.Options{Username: "u", Password: "p", Unauthorized: simulator.FormatError}); err == nil {
		t.Errorf("New(Unauthorized: FormatError) = nil error; want one")
	}
	if r := ts.login(t, creds(testUser, "wrong")); r.ctype != "text/plain; charset=utf-8" {
		t.Errorf("after a refused SetFormats, 401 Content-Type = %q; want text/plain unchanged", r.ctype)
	}
}

func hasKeys(body string, keys ...string) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal([]byte(body), &m) != nil {
		return false
	}
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			return false
		}
	}
	return true
}

// control posts body to /_sim/faults and fails the test unless it gets 204.
func (ts *testSim) control(t *testing.T, body string) {
	t.Helper()
	resp, err := http.Post(ts.url+"/_sim/faults", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		msg, _ := io.ReadAll(resp.Body)
		t.Fatalf("POST /_sim/faults %s = %d %q; want 204", body, resp.StatusCode, msg)
	}
}

// TestControlRefusesTrailingData: a control body is one JSON value. A body with more
// after it (a second object, garbage) is malformed and answers 400 with nothing
// applied, rather than applying the first value and silently ignoring the rest.
func TestControlRefusesTrailingData(t *testing.T) {
	for _, body := range []string{
		`{"fail":2} {"drop":1}`,
		`{"fail":2}garbage`,
		`{"fail":2}]`,
	} {
		ts := newTestServer(t, nil)
		resp, err := http.Post(ts.url+"/_sim/faults", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("POST /_sim/faults %s = %d %q; want 400", body, resp.StatusCode, msg)
		}
		if r := ts.login(t, creds(testUser, testPass)); r.status != http.StatusOK {
			t.Errorf("after refused %s: login = %d; want 200 (no fault applied)", body, r.status)
		}
	}
}

// TestControlDurationsMatchSpec: the server accepts a duration exactly when the
// control API's Duration pattern does, so a client checked against the served
// document and the server agree on what is valid.
func TestControlDurationsMatchSpec(t *testing.T) {
	pattern := loadControlSpec(t).Components.Schemas["Duration"].Value.Pattern
	if pattern != simulator.DurationPattern {
		t.Errorf("Duration pattern: control.openapi.yaml has %q, the server checks %q", pattern, simulator.DurationPattern)
	}
	re := regexp.MustCompile(pattern)
	ts := newTestServer(t, nil)
	for _, d := range []string{"0", "0s", "250ms", "1h30m", "1.5s", "+5s", ".5s", "5.s", "-0s", "5μs", "5µs", "00", "1", "5S", "99999999999h"} {
		resp, err := http.Post(ts.url+"/_sim/faults", "application/json", strings.NewReader(`{"latency":`+quote(d)+`}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		ts.Reset()
		accepted := resp.StatusCode == http.StatusNoContent
		if want := re.MatchString(d); accepted != want && !(want && d == "99999999999h") {
			t.Errorf("latency %q: server accepted = %t; the served Duration pattern matches = %t", d, accepted, want)
		}
	}
}

// TestControlRefusesNull: the document declares no field nullable, so a null (a
// caller's unset variable serialised as null) is an invalid field: 400 with nothing
// applied, not a 204 that silently applies nothing.
func TestControlRefusesNull(t *testing.T) {
	ts := newTestServer(t, nil)
	for _, c := range []struct{ path, body string }{
		{"/_sim/faults", `{"fail":null}`},
		{"/_sim/faults", `{"fail":1,"latency":null}`},
		{"/_sim/faults", `{"formats":{"unauthorized":null}}`},
		{"/_sim/faults", `{"formats":null}`},
		{"/_sim/faults", `null`},
		{"/_sim/clock", `{"advance":null}`},
	} {
		resp, err := http.Post(ts.url+c.path, "application/json", strings.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("POST %s %s = %d %q; want 400", c.path, c.body, resp.StatusCode, msg)
		}
	}
	if r := ts.login(t, creds(testUser, testPass)); r.status != http.StatusOK {
		t.Errorf("after refused requests: login = %d; want 200 (nothing applied)", r.status)
	}
}

package api_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"gopkg.in/yaml.v3"
)

// documents are the contract's two documents and their bundled single-file forms
// (gen/openapi, what other teams' generators read).
var documents = []string{"../openapi.yaml", "../datecheck.yaml", "../gen/openapi/openapi.yaml", "../gen/openapi/datecheck.yaml"}

// rawFiles are every YAML file of the contract, shared components included.
var rawFiles = append([]string{"../errors.yaml"}, documents...)

// TestOneServerPerDocument: each document states its servers once, at the top, and
// no path or operation overrides them. Operation-level servers are ignored by most
// TypeScript generators (which then call the service under the authenticate host),
// and break AutoRest's Java output.
func TestOneServerPerDocument(t *testing.T) {
	wantPaths := map[string][]string{"openapi.yaml": {"/authenticate"}, "datecheck.yaml": {"/datecheck/company"}}
	wantHost := map[string]string{"openapi.yaml": "connect.", "datecheck.yaml": "se-webservice.apps.creditsafe.com"}
	for _, path := range documents {
		doc := loadDoc(t, path)
		base := path[strings.LastIndex(path, "/")+1:]
		if len(doc.Servers) == 0 {
			t.Errorf("%s: no servers", path)
		}
		for _, s := range doc.Servers {
			if !strings.Contains(s.URL, wantHost[base]) {
				t.Errorf("%s: server %s; want a %s host", path, s.URL, wantHost[base])
			}
		}
		var paths []string
		for p, item := range doc.Paths.Map() {
			paths = append(paths, p)
			if len(item.Servers) > 0 {
				t.Errorf("%s %s: path-level servers %v", path, p, item.Servers)
			}
			for m, op := range item.Operations() {
				if op.Servers != nil && len(*op.Servers) > 0 {
					t.Errorf("%s %s %s: operation-level servers", path, m, p)
				}
			}
		}
		slices.Sort(paths)
		if !slices.Equal(paths, wantPaths[base]) {
			t.Errorf("%s: paths %v; want %v", path, paths, wantPaths[base])
		}
	}
}

// walkYAML calls fn on every mapping node of the YAML file at path, with the key
// that leads to it.
func walkYAML(t *testing.T, path string, fn func(key string, m *yaml.Node)) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var walk func(key string, n *yaml.Node)
	walk = func(key string, n *yaml.Node) {
		switch n.Kind {
		case yaml.DocumentNode, yaml.SequenceNode:
			for _, c := range n.Content {
				walk(key, c)
			}
		case yaml.MappingNode:
			fn(key, n)
			for i := 0; i+1 < len(n.Content); i += 2 {
				walk(n.Content[i].Value, n.Content[i+1])
			}
		}
	}
	walk("", &root)
}

// TestMediaTypeOrder: wherever a response documents a JSON shape and an alternative,
// JSON comes first, in every response, so generators that keep one media type keep
// the same one everywhere; no body is declared as "*/*" or binary (generators turn
// that into Blob, File, string or void, each differently).
func TestMediaTypeOrder(t *testing.T) {
	for _, path := range rawFiles {
		walkYAML(t, path, func(key string, m *yaml.Node) {
			if key == "content" {
				var types []string
				for i := 0; i < len(m.Content); i += 2 {
					types = append(types, m.Content[i].Value)
				}
				if slices.Contains(types, "application/json") && types[0] != "application/json" {
					t.Errorf("%s line %d: media types %v; want application/json first", path, m.Line, types)
				}
				for _, mt := range types {
					if strings.Contains(mt, "*") {
						t.Errorf("%s line %d: media type %q; declare concrete types or no body", path, m.Line, mt)
					}
				}
			}
			for i := 0; i+1 < len(m.Content); i += 2 {
				k, v := m.Content[i].Value, m.Content[i+1].Value
				if k == "format" && (v == "binary" || v == "password") {
					t.Errorf("%s line %d: format: %s (AutoRest Java crashes on password; binary bodies differ per generator)", path, m.Content[i].Line, v)
				}
			}
		})
	}
}

// TestSchemasTyped: every schema of every document has a type, or is a oneOf/anyOf
// whose every branch has one (the `details` of a CorrelatedError), so AutoRest and
// IBM's validator find no untyped schema.
func TestSchemasTyped(t *testing.T) {
	for _, path := range documents {
		doc := loadDoc(t, path)
		seen := map[*openapi3.Schema]bool{}
		var check func(where string, s *openapi3.SchemaRef)
		check = func(where string, ref *openapi3.SchemaRef) {
			if ref == nil || ref.Value == nil || seen[ref.Value] {
				return
			}
			s := ref.Value
			seen[s] = true
			if s.Type == nil || len(*s.Type) == 0 {
				branches := append(append(openapi3.SchemaRefs{}, s.OneOf...), s.AnyOf...)
				if len(branches) == 0 && len(s.AllOf) == 0 && !isEmptyItems(where) {
					t.Errorf("%s: schema at %s has no type", path, where)
				}
				for i, b := range branches {
					if b.Value == nil || b.Value.Type == nil || len(*b.Value.Type) == 0 {
						t.Errorf("%s: branch %d of %s has no type", path, i, where)
					}
				}
			}
			for name, p := range s.Properties {
				check(where+"."+name, p)
			}
			for _, b := range append(append(append(openapi3.SchemaRefs{}, s.OneOf...), s.AnyOf...), s.AllOf...) {
				check(where+"|", b)
			}
			if s.Items != nil {
				check(where+"[]", s.Items)
			}
		}
		for name, s := range doc.Components.Schemas {
			check(name, s)
		}
		for p, item := range doc.Paths.Map() {
			for m, op := range item.Operations() {
				for code, r := range op.Responses.Map() {
					for mt, media := range r.Value.Content {
						check(m+" "+p+" "+code+" "+mt, media.Schema)
					}
					for h, hdr := range r.Value.Headers {
						check(m+" "+p+" "+code+" header "+h, hdr.Value.Schema)
					}
				}
			}
		}
	}
}

// isEmptyItems allows `items: {}` (an array of anything) inside the typed array
// branch of ErrorDetails.
func isEmptyItems(where string) bool { return strings.HasSuffix(where, "|[]") }

// TestRetryAfterOptional: Retry-After is declared inline with required: false, so
// that openapi-typescript and typed-openapi (which cannot see `required` through a
// $ref to components/headers, and then make the header required) generate it
// optional; writeOnly stays on the password.
func TestRetryAfterOptional(t *testing.T) {
	for _, path := range documents {
		doc := loadDoc(t, path)
		for p, item := range doc.Paths.Map() {
			for m, op := range item.Operations() {
				r := op.Responses.Status(429)
				if r == nil {
					t.Errorf("%s %s %s: no 429", path, m, p)
					continue
				}
				h := r.Value.Headers["Retry-After"]
				if h == nil || h.Ref != "" || h.Value.Required {
					t.Errorf("%s %s %s: Retry-After = %+v; want an inline optional header", path, m, p, h)
				}
			}
		}
	}
	doc := loadSpec(t)
	pw := doc.Components.Schemas["AuthenticateRequest"].Value.Properties["password"].Value
	if !pw.WriteOnly || pw.Format != "" {
		t.Errorf("password: writeOnly %v, format %q; want writeOnly and no format", pw.WriteOnly, pw.Format)
	}
}

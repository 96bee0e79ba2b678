package csconnect

import (
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// specBundle is the bundled authenticate document the generated client is made
// from. Only tests read it: the package takes what it needs from the spec as
// constants, which the tests below hold to it.
const specBundle = "../../gen/openapi/openapi.yaml"

var loadSpec = sync.OnceValues(func() (*openapi3.T, error) {
	return openapi3.NewLoader().LoadFromFile(specBundle)
})

// specSchema returns components.schemas[name] of the bundled spec.
func specSchema(t testing.TB, name string) *openapi3.Schema {
	t.Helper()
	doc, err := loadSpec()
	if err != nil {
		t.Fatalf("loading %s: %v", specBundle, err)
	}
	s := doc.Components.Schemas[name]
	if s == nil || s.Value == nil {
		t.Fatalf("%s has no components.schemas.%s", specBundle, name)
	}
	return s.Value
}

// specProperty returns the schema of property prop of components.schemas[schema].
func specProperty(t testing.TB, schema, prop string) *openapi3.Schema {
	t.Helper()
	p := specSchema(t, schema).Properties[prop]
	if p == nil || p.Value == nil {
		t.Fatalf("%s has no %s.%s", specBundle, schema, prop)
	}
	return p.Value
}

// TestCredentialLimitsMatchSpec holds usernameLimits and passwordLimits to
// AuthenticateRequest's minLength and maxLength in openapi.yaml.
func TestCredentialLimitsMatchSpec(t *testing.T) {
	t.Parallel()
	for field, ours := range map[string]lengthLimits{"username": usernameLimits, "password": passwordLimits} {
		p := specProperty(t, "AuthenticateRequest", field)
		if p.MaxLength == nil {
			t.Fatalf("openapi.yaml gives AuthenticateRequest.%s no maxLength", field)
		}
		if spec := (lengthLimits{min: int(p.MinLength), max: int(*p.MaxLength)}); spec != ours {
			t.Errorf("%s limits = %+v; openapi.yaml says %+v", field, ours, spec)
		}
	}
}

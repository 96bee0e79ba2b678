// Package api holds the oapi-codegen configuration that turns the contract into the
// packages under ../gen. Run `make generate` after editing the spec; never edit
// ../gen by hand.
//
// The contract is ../openapi.yaml (the authenticate API), ../datecheck.yaml (the
// protected service) and ../errors.yaml (the error components both $ref). Redocly
// (pinned in ../package-lock.json; `make generate` installs it) bundles each document
// into one self-contained file under ../gen/openapi, which is what other teams'
// generators read and what oapi-codegen generates and embeds from:
//
//	gen/client           authenticate client, models
//	gen/server           authenticate net/http server interface (the simulator's)
//	gen/datecheck        protected-service client, models
//	gen/datecheckserver  protected-service net/http server interface
//	gen/authspec         the bundled openapi.yaml, embedded (conformance's validator)
//	gen/datecheckspec    the bundled datecheck.yaml, embedded (conformance's validator)
//
// Only the last two import a spec parser (kin-openapi), so the client, the simulator
// and the CLI's token path link none.
package api

//go:generate ../node_modules/.bin/redocly bundle ../openapi.yaml --config ../redocly.yaml --output ../gen/openapi/openapi.yaml
//go:generate ../node_modules/.bin/redocly bundle ../datecheck.yaml --config ../redocly.yaml --output ../gen/openapi/datecheck.yaml
//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen -config client.yaml ../gen/openapi/openapi.yaml
//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen -config server.yaml ../gen/openapi/openapi.yaml
//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen -config datecheck.yaml ../gen/openapi/datecheck.yaml
//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen -config datecheckserver.yaml ../gen/openapi/datecheck.yaml
//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen -config authspec.yaml ../gen/openapi/openapi.yaml
//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen -config datecheckspec.yaml ../gen/openapi/datecheck.yaml

// Package api holds the oapi-codegen configuration that turns ../openapi.yaml into the
// packages under ../gen. Run `make generate` (or `go generate ./api`) after editing the
// spec; never edit ../gen by hand.
package api

//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen -config client.yaml ../openapi.yaml
//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen -config server.yaml ../openapi.yaml

//go:build tools

// Package oasdiff pins github.com/oasdiff/oasdiff, the spec breaking-change checker
// `make spec-breaking` runs, in a module of its own: its dependencies (viper, its
// own kin-openapi version) must not move the versions the client is built with.
package oasdiff

import _ "github.com/oasdiff/oasdiff"

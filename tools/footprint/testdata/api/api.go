// Package api is a fixture for apiCount: every kind of exported identifier, beside
// unexported ones that must not count.
package api

import "io"

// Exported: 2 consts (A, B), 1 var (V), 2 funcs (F, NewT), 3 types (T, I, E),
// 3 methods (T.M, I.Do, and I's embedded io.Reader by name), 3 fields (T.X, T.Y,
// the embedded *E).
const (
	A = 1
	B = 2
	c = 3
)

var V, v int

type T struct {
	X, Y int
	z    int
	*E
	e2 e
}

type E struct{}

type e struct{}

type I interface {
	io.Reader
	Do()
	do()
}

func F() {}

func f() {}

func NewT() *T { return &T{} }

func (*T) M() {}

func (*T) m() {}

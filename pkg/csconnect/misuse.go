package csconnect

import (
	"context"
	"fmt"
)

func invalidUse(what string) error { return fmt.Errorf("%w: %s", ErrInvalidUse, what) }

var (
	errNilContext = invalidUse("nil context (use context.Background or context.TODO)")
	errNilSource  = invalidUse("nil TokenSource")

	errZeroAuthenticator = invalidUse("zero Authenticator (build it with NewAuthenticator)")
	errZeroClient        = invalidUse("zero Client (build it with New)")
)

// tokenFrom asks src for a token and holds the answer to the TokenSource contract,
// so every caller in csconnect gets an error rather than a panic: a nil src or ctx is
// ErrInvalidUse, a panic in src is an error carrying the panic value (see
// recovered), and a nil or empty token without an error is ErrContract.
func tokenFrom(ctx context.Context, src TokenSource) (tok *Token, err error) {
	switch {
	case src == nil:
		return nil, errNilSource
	case ctx == nil:
		return nil, errNilContext
	}
	defer recovered(&err, "token source")
	tok, err = src.Token(ctx)
	return checkToken(tok, err)
}

// checkToken turns a source's (nil, nil), or a token without a value, into
// ErrContract, and drops a token returned beside an error.
func checkToken(tok *Token, err error) (*Token, error) {
	switch {
	case err != nil:
		return nil, err
	case tok == nil:
		return nil, fmt.Errorf("%w: token source returned neither a token nor an error", ErrContract)
	case tok.Value == "":
		return nil, fmt.Errorf("%w: token source returned a token without a value", ErrContract)
	}
	return tok, nil
}

// recovered, deferred, turns a panic in code csconnect calls (a TokenSource, a
// Store) into *err. In the Cache's shared fetch that code runs in singleflight's
// goroutine, where no caller's recover reaches and a panic kills the process. The
// error carries the panic value as the code gave it, not csconnect's state or a
// stack; an error value is wrapped, so errors.Is still sees it.
func recovered(err *error, what string) {
	v := recover()
	if v == nil {
		return
	}
	if e, ok := v.(error); ok {
		*err = fmt.Errorf("csconnect: %s panicked: %w", what, e)
		return
	}
	*err = fmt.Errorf("csconnect: %s panicked: %v", what, v)
}

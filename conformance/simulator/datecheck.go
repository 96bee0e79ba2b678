package simulator

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"

	"github.com/golang-jwt/jwt/v5"

	"github.com/csconnect/csconnect/gen/datecheckserver"
)

var _ datecheckserver.ServerInterface = handlers{}

// DateCheckCompany serves GET /datecheck/company: the protected call that answers
// 403 Token Expired once the token's lifetime is over.
func (h handlers) DateCheckCompany(w http.ResponseWriter, r *http.Request, params datecheckserver.DateCheckCompanyParams) {
	s := h.s
	s.stats.dateCheck.Add(1)
	if s.injectFault(DateCheck, w, r) {
		return
	}
	switch err := s.verify(r.Header.Get("Authorization")); {
	case errors.Is(err, jwt.ErrTokenExpired):
		s.stats.tokenExpired.Add(1)
		s.mu.Lock()
		format := s.pickFormat(s.expiredFmt, kindTokenExpired)
		s.mu.Unlock()
		switch format {
		case FormatJSON:
			writeJSON(w, http.StatusForbidden, envelope("403", msgTokenExpired, "The token has exceeded its 1-hour lifetime."))
		case FormatError:
			writeJSON(w, http.StatusForbidden, datecheckserver.TokenError{Error: msgTokenExpired})
		default:
			writeText(w, http.StatusForbidden, msgTokenExpired)
		}
		return
	case err != nil:
		s.stats.invalidToken.Add(1)
		writeJSON(w, http.StatusUnauthorized, datecheckserver.TokenError{Error: "Invalid token."})
		return
	}
	if params.Searchnumber == "" {
		h.paramError(w, r, errors.New("searchnumber must not be empty"))
		return
	}
	if params.Searchnumber == RejectedCompany {
		s.stats.forbidden.Add(1)
		writeJSON(w, http.StatusForbidden, envelope("403", "Forbidden", "The company was rejected."))
		return
	}
	s.stats.dateCheckOK.Add(1)
	result := map[string]any{"searchnumber": params.Searchnumber, "status": "active"}
	if params.Referencedate != nil {
		result["referencedate"] = params.Referencedate.String()
	}
	if params.Transactionid != nil {
		result["transactionid"] = *params.Transactionid
	}
	writeJSON(w, http.StatusOK, result)
}

// verify checks "Bearer <jwt>": signed by this simulator with RS256, and inside
// its lifetime on the simulator's clock.
func (s *Simulator) verify(authorization string) error {
	scheme, tok, ok := strings.Cut(authorization, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return errors.New("no bearer token")
	}
	_, err := jwt.Parse(tok, func(*jwt.Token) (any, error) { return &s.key.PublicKey, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg()}),
		jwt.WithTimeFunc(s.now),
		jwt.WithExpirationRequired(),
	)
	return err
}

// paramError answers a request whose query parameters break the spec with the
// Connect services' 400 body, {"correlationId", "message"}, as the spec's
// ServiceBadRequest allows (the generated default would answer text/plain).
func (h handlers) paramError(w http.ResponseWriter, _ *http.Request, err error) {
	var id [16]byte
	_, _ = rand.Read(id[:])
	cid := hex.EncodeToString(id[:])
	writeJSON(w, http.StatusBadRequest, datecheckserver.CorrelatedError{CorrelationId: &cid, Message: err.Error()})
}

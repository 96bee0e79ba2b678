package simulator

import (
	"net/http"
)

// serveStats answers GET /_sim/stats with Stats as JSON, so a test driving several
// processes can read the counters from outside.
func (s *Simulator) serveStats(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, s.Stats())
}

// serveReset answers POST /_sim/reset: Reset, then 204.
func (s *Simulator) serveReset(w http.ResponseWriter, _ *http.Request) {
	s.Reset()
	w.WriteHeader(http.StatusNoContent)
}

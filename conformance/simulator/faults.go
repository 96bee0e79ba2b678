package simulator

import (
	"net/http"
	"time"
)

// injectFault applies ep's faults to one request: latency first, then a dropped
// connection or a 500. It reports whether the request was fully handled.
func (s *Simulator) injectFault(ep Endpoint, w http.ResponseWriter, r *http.Request) bool {
	s.mu.Lock()
	f := &s.faults[ep]
	latency := f.latency
	drop, fail := f.drop > 0, false
	if drop {
		f.drop--
	} else if f.fail > 0 {
		f.fail--
		fail = true
	}
	s.mu.Unlock()

	if latency > 0 {
		t := time.NewTimer(latency)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return true
		}
	}
	switch {
	case drop:
		s.stats.dropped.Add(1)
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
			return true
		}
		panic(http.ErrAbortHandler) // no hijacking (HTTP/2): abort the stream instead
	case fail:
		s.stats.serverErrors.Add(1)
		writeServerError(w)
		return true
	}
	return false
}

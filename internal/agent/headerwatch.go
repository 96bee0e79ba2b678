package agent

import (
	"context"
	"sync"
	"time"
)

// headerWatch bounds the wait for Creditsafe's answer headers (Config.RequestTimeout)
// without a timer per request. http.Transport's ResponseHeaderTimeout starts a
// runtime timer for every request and stops it when the headers come; like the
// connection deadlines (deadline.go), each arming can wake a thread, and at one
// connection that cost the agent throughput against the bare ReverseProxy floor.
// Instead every forwarded request is entered here with the cancel function of its
// context, and a goroutine looks every tick, while requests wait, for those past
// their due time: it cancels them with errNoAnswer, which the agent answers 504
// timeout. A request is ended at most one tick late (1 s on a 60 s bound).
type headerWatch struct {
	timeout time.Duration
	tick    time.Duration

	mu    sync.Mutex
	waits map[*headerWait]struct{}
	stop  chan struct{} // closed by Close; nil: no goroutine
	quit  bool          // closed: start enters nothing more
}

type headerWait struct {
	due    time.Time
	cancel context.CancelCauseFunc
}

// errNoAnswer is the cause of a request whose answer headers did not come within
// the request timeout: a net.Error whose Timeout is true, as ResponseHeaderTimeout's.
var errNoAnswer error = noAnswerError{}

type noAnswerError struct{}

func (noAnswerError) Error() string {
	return "no answer headers from the service within the request timeout"
}
func (noAnswerError) Timeout() bool   { return true }
func (noAnswerError) Temporary() bool { return true }

func newHeaderWatch(timeout, tick time.Duration) *headerWatch {
	return &headerWatch{timeout: timeout, tick: tick, waits: map[*headerWait]struct{}{}}
}

// start enters a request whose context cancel ends; done takes it out.
func (h *headerWatch) start(cancel context.CancelCauseFunc) *headerWait {
	w := &headerWait{due: time.Now().Add(h.timeout), cancel: cancel}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.quit {
		return w
	}
	h.waits[w] = struct{}{}
	if h.stop == nil {
		h.stop = make(chan struct{})
		go h.run(h.stop)
	}
	return w
}

// The watch ends the request only before done returns.
func (h *headerWatch) done(w *headerWait) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.waits, w)
}

// run cancels, every tick, the requests past due; it returns at a tick that
// finds none waiting (start begins another), or when Close closes stop.
func (h *headerWatch) run(stop <-chan struct{}) {
	t := time.NewTicker(h.tick)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		h.mu.Lock()
		if len(h.waits) == 0 {
			if h.stop == stop {
				h.stop = nil
			}
			h.mu.Unlock()
			return
		}
		now := time.Now()
		for w := range h.waits {
			if !now.Before(w.due) {
				w.cancel(errNoAnswer)
				delete(h.waits, w)
			}
		}
		h.mu.Unlock()
	}
}

// close stops the goroutine; requests still waiting keep their other bounds.
func (h *headerWatch) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.quit = true
	if h.stop != nil {
		close(h.stop)
		h.stop = nil
	}
}

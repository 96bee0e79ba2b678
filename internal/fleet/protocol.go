package fleet

import (
	"encoding/json"
	"io"
	"sync"
)

// A worker reports to the driver with JSON lines on stdout; the driver stops it by
// closing its stdin.
const (
	eventReady      = "ready"      // the first protected call succeeded
	eventRefreshing = "refreshing" // a -hold worker is refreshing while holding the lease
	eventDone       = "done"       // final counts; the worker exits after it
)

// event is one line a worker writes.
type event struct {
	Event  string         `json:"event"`
	Worker int            `json:"worker"`
	OK     int64          `json:"ok,omitempty"`     // protected calls answered 200
	Failed int64          `json:"failed,omitempty"` // protected calls that ended in an error
	Errors map[string]int `json:"errors,omitempty"` // failure messages and their counts (never secrets)
}

// eventWriter serialises events from the worker's goroutines.
type eventWriter struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func newEventWriter(w io.Writer) *eventWriter { return &eventWriter{enc: json.NewEncoder(w)} }

func (w *eventWriter) send(e event) {
	w.mu.Lock()
	defer w.mu.Unlock()
	_ = w.enc.Encode(e)
}

// lockedWriter serialises writes from several goroutines (the workers' stderr copiers).
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

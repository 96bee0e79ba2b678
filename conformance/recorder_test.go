package conformance_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/csconnect/csconnect/conformance"
)

// exchange is the i-th test exchange; every third one breaks the contract.
func exchange(i int) conformance.Exchange {
	x := conformance.Exchange{Method: "POST", Path: fmt.Sprintf("/v1/authenticate/%d", i), Status: 200}
	if i%3 == 0 {
		x.Violations = []conformance.Violation{{Phase: conformance.PhaseResponse, Method: "POST", Path: x.Path, Status: 200, Message: "broken"}}
	}
	return x
}

// TestRecorderMaxKeepsTheLast checks that with Max set the Recorder keeps only the
// last Max exchanges, oldest first, and counts every one it was given.
func TestRecorderMaxKeepsTheLast(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 4, 10} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			rec := conformance.Recorder{Max: 3}
			for i := range n {
				rec.Record(exchange(i))
			}
			got := rec.Exchanges()
			kept := min(n, 3)
			if len(got) != kept {
				t.Fatalf("kept %d exchanges of %d; want %d", len(got), n, kept)
			}
			for j, x := range got {
				if want := exchange(n - kept + j).Path; x.Path != want {
					t.Errorf("Exchanges()[%d] = %s; want %s (the last ones, oldest first)", j, x.Path, want)
				}
			}
			wantBad := (n + 2) / 3 // i = 0, 3, 6, ... below n
			if st := rec.Stats(); st != (conformance.RecorderStats{Recorded: n, NonConforming: wantBad, Dropped: n - kept}) {
				t.Errorf("Stats() = %+v; want recorded %d, non-conforming %d, dropped %d", st, n, wantBad, n-kept)
			}
		})
	}
}

// TestRecorderUnboundedByDefault checks that the zero value keeps everything.
func TestRecorderUnboundedByDefault(t *testing.T) {
	var rec conformance.Recorder
	for i := range 1000 {
		rec.Record(exchange(i))
	}
	if got := len(rec.Exchanges()); got != 1000 {
		t.Errorf("zero Recorder kept %d of 1000 exchanges; want all", got)
	}
	if st := rec.Stats(); st.Dropped != 0 || st.Recorded != 1000 {
		t.Errorf("Stats() = %+v; want 1000 recorded, none dropped", st)
	}
}

// TestRecorderMaxConcurrent records from many goroutines: the bound holds and
// nothing is lost from the counters (run with -race).
func TestRecorderMaxConcurrent(t *testing.T) {
	rec := conformance.Recorder{Max: 5}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				rec.Record(exchange(g*100 + i))
				_ = rec.Exchanges()
			}
		}()
	}
	wg.Wait()
	if got := len(rec.Exchanges()); got != 5 {
		t.Errorf("kept %d exchanges; want 5", got)
	}
	if st := rec.Stats(); st.Recorded != 800 || st.Dropped != 795 {
		t.Errorf("Stats() = %+v; want 800 recorded, 795 dropped", st)
	}
}

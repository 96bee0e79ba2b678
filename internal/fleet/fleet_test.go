package fleet

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/csconnect/csconnect/internal/testlog"
)

// envTestWorker makes the test binary run as a worker: the driver's tests start real
// OS processes without building the command first.
const envTestWorker = "CSCONNECT_FLEET_TEST_WORKER"

func TestMain(m *testing.M) {
	if os.Getenv(envTestWorker) == "1" {
		os.Exit(WorkerMain(context.Background(), os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// testConfig is a small, fast fleet of test-binary workers; it skips the test when
// redis-server is absent or -short is set.
func testConfig(t *testing.T) Config {
	t.Helper()
	if testing.Short() {
		t.Skip("fleet tests start real processes for several seconds; skipped with -short")
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("no redis-server on PATH (install it with 'make deps' or 'apt-get install redis-server')")
	}
	log := &testlog.Buffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("workers' log:\n%s", log)
		}
	})
	return Config{
		Processes: 4,
		Lifetimes: 2,
		TokenTTL:  4 * time.Second,
		Worker: func(args ...string) *exec.Cmd {
			cmd := exec.Command(os.Args[0], args...)
			cmd.Env = append(os.Environ(), envTestWorker+"=1")
			return cmd
		},
		Log: log,
	}.withDefaults()
}

func TestFleetSharesOneToken(t *testing.T) {
	cfg := testConfig(t)
	r, err := cfg.fleetRun(t.Context(), run{store: "redis", lifetimes: cfg.Lifetimes})
	if err != nil {
		t.Fatal(err)
	}
	// Memory caches would make Processes calls at start-up and about Processes per
	// refresh; one shared token makes one of each (a lost race can add one).
	if r.startupCalls > 2 {
		t.Errorf("start-up authenticate calls = %d; want 1 (2 at worst) for %d processes", r.startupCalls, cfg.Processes)
	}
	if maxCalls := int64(2*cfg.Lifetimes + 1); r.calls > maxCalls {
		t.Errorf("authenticate calls over %d lifetimes = %d; want at most %d", cfg.Lifetimes, r.calls, maxCalls)
	}
	if err := healthy(r, cfg.Processes); err != nil {
		t.Error(err)
	}
	if r.ok == 0 {
		t.Errorf("protected calls ok = 0; want some")
	}
}

func TestFleetBadPasswordSendsOneRequest(t *testing.T) {
	cfg := testConfig(t)
	r, err := cfg.fleetRun(t.Context(), run{store: "redis", fault: faultBadPassword})
	if err != nil {
		t.Fatal(err)
	}
	if r.calls != 1 || r.unauthorized != 1 {
		t.Errorf("authenticate requests = %d (401s %d) from %d processes with a bad password; want exactly 1", r.calls, r.unauthorized, cfg.Processes)
	}
	if r.workersExited != cfg.Processes {
		t.Errorf("%d of %d workers reported", r.workersExited, cfg.Processes)
	}
}

func TestFleetLeaseHolderKilled(t *testing.T) {
	cfg := testConfig(t)
	r, err := cfg.fleetRun(t.Context(), run{store: "redis", lifetimes: 2, fault: faultHolderKilled})
	if err != nil {
		t.Fatal(err)
	}
	if err := holderReplaced(r); err != nil {
		t.Error(err)
	}
	if err := healthy(r, cfg.Processes-1); err != nil {
		t.Error(err)
	}
}

func TestFleetRedisKilled(t *testing.T) {
	cfg := testConfig(t)
	r, err := cfg.fleetRun(t.Context(), run{store: "redis", lifetimes: 3, fault: faultRedisKilled})
	if err != nil {
		t.Fatal(err)
	}
	if err := healthy(r, cfg.Processes); err != nil {
		t.Error(err)
	}
}

func TestFleetOfAgentsSharesOneToken(t *testing.T) {
	cfg := testConfig(t)
	cfg.Agent = true
	r, err := cfg.fleetRun(t.Context(), run{store: "redis", lifetimes: cfg.Lifetimes})
	if err != nil {
		t.Fatal(err)
	}
	if maxCalls := int64(2*cfg.Lifetimes + 1); r.startupCalls > 2 || r.calls > maxCalls {
		t.Errorf("agents: startup calls %d, calls over %d lifetimes %d; want ≤2 and ≤%d (one shared token)", r.startupCalls, cfg.Lifetimes, r.calls, maxCalls)
	}
	if r.ok == 0 {
		t.Errorf("protected calls ok = 0; want some")
	}
	if err := healthy(r, cfg.Processes); err != nil {
		t.Error(err)
	}
}

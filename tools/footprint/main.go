// Command footprint measures what pkg/csconnect costs a program beside
// golang.org/x/oauth2, for `make footprint` (issue 11, items 7 and 8): API surface,
// documentation, dependencies, binary size, package init, the first New, and
// `csconnect token` as a cold process against the simulator. It prints every figure,
// the ratio and its target (✓ or ✗) from one run, and exits 1 on a missed target
// only with -strict (FOOTPRINT_STRICT=1 in make).
//
// Run it from the module root: go run ./tools/footprint [-n 31] [-strict].
package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"flag"
	"fmt"
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	ourPkg    = "github.com/csconnect/csconnect/pkg/csconnect"
	oauth2Pkg = "golang.org/x/oauth2"
	progs     = "./tools/footprint/"

	// The simulator's credentials; its one accepted pair. Not a secret.
	simUser     = "footprint"
	simPassword = "footprint-pw"
)

var (
	goCmd  = cmp.Or(os.Getenv("GO"), "go")
	missed []string // the figures whose target was missed
)

func main() {
	runs := flag.Int("n", 31, "fresh processes (or pairs of them) per timed figure")
	strict := flag.Bool("strict", os.Getenv("FOOTPRINT_STRICT") == "1", "exit 1 when a target is missed")
	flag.Parse()
	if err := run(*runs); err != nil {
		fmt.Fprintln(os.Stderr, "footprint:", err)
		os.Exit(2)
	}
	if len(missed) > 0 {
		fmt.Printf("\n%d target(s) missed: %s\n", len(missed), strings.Join(missed, "; "))
		if *strict {
			os.Exit(1)
		}
		fmt.Println("(not failing: set FOOTPRINT_STRICT=1 to fail on a missed target)")
	}
}

func run(n int) error {
	dir, err := os.MkdirTemp("", "footprint-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := func(name string) string { return filepath.Join(dir, name) }

	fmt.Printf("%-40s %11s %11s %7s  %-12s %s\n", "figure", "csconnect", "x/oauth2", "ratio", "target", "")

	// API surface, documentation, dependencies: static, from the sources.
	var ours, theirs apiCount
	if err := ours.load(ourPkg); err != nil {
		return err
	}
	if err := theirs.load(oauth2Pkg); err != nil {
		return err
	}
	report("exported identifiers", ours.total(), theirs.total(), 0, 0, "const var func type method field: "+ours.String()+" vs "+theirs.String())
	for _, f := range []struct {
		label string
		args  []string
		count func(string) int
	}{
		{"go doc -all lines", []string{"doc", "-all"}, countLines},
		{"go list -deps packages", []string{"list", "-deps"}, countLines},
		{"go list -deps modules", []string{"list", "-deps", "-f", "{{with .Module}}{{.Path}}{{end}}"}, countUnique},
	} {
		a, err := goOutput(append(f.args, ourPkg)...)
		if err != nil {
			return err
		}
		b, err := goOutput(append(f.args, oauth2Pkg)...)
		if err != nil {
			return err
		}
		report(f.label, f.count(a), f.count(b), 0, 0, "")
	}

	// Binaries: stripped hello worlds, and the programs the timed figures run.
	for _, p := range []string{"hello", "hello-csconnect", "hello-oauth2", "first-new", "min-token"} {
		if _, err := goOutput("build", "-buildvcs=false", "-ldflags=-s -w", "-o", bin(p), progs+p); err != nil {
			return err
		}
	}
	if _, err := goOutput("build", "-buildvcs=false", "-ldflags=-s -w", "-o", bin("csconnect"), "./cmd/csconnect"); err != nil {
		return err
	}
	sa, sb := fileSize(bin("hello-csconnect")), fileSize(bin("hello-oauth2"))
	report("hello-world binary, stripped (MB)", mbOf(sa), mbOf(sb), 1.15, 0, "")

	// Package init: GODEBUG=inittrace=1, paired runs.
	if err := measureInit(n, bin("hello"), bin("hello-csconnect"), bin("hello-oauth2")); err != nil {
		return err
	}

	// First New in a fresh process.
	var nsNew, allocsNew []float64
	for range n {
		out, err := exec.Command(bin("first-new")).Output()
		if err != nil {
			return fmt.Errorf("first-new: %w", err)
		}
		var ns, allocs float64
		if _, err := fmt.Sscan(string(out), &ns, &allocs); err != nil {
			return fmt.Errorf("first-new printed %q: %w", out, err)
		}
		nsNew, allocsNew = append(nsNew, ns), append(allocsNew, allocs)
	}
	q := quartiles(nsNew)
	fmt.Printf("%-40s %11.0f %11s %7s  %-12s IQR %.0f–%.0f µs, %.0f allocs; median of %d fresh processes\n",
		"first New (µs)", q[1]/1e3, "", "", mark(q[1] <= 200e3, "first New")+" <= 200 µs", q[0]/1e3, q[2]/1e3, median(allocsNew), n)

	// `csconnect token` cold, against the simulator, paired with min-token.
	if err := measureToken(n, bin("csconnect"), bin("min-token")); err != nil {
		return err
	}
	return measureCLIInit(n, bin("csconnect"), bin("min-token"))
}

// measureInit runs the two hello worlds with GODEBUG=inittrace=1 in pairs (A B, then
// B A) and sums the init clock time and allocations of the packages each lists
// beyond those of a bare hello world (runtime, fmt and what they import). The ratio
// of times is the median of the per-pair ratios; allocations vary little, so theirs
// is the ratio of medians.
func measureInit(n int, bare, ours, theirs string) error {
	base, err := initTrace(bare)
	if err != nil {
		return err
	}
	skip := map[string]bool{}
	for p := range base {
		skip[p] = true
	}
	var ratios, msA, msB, allocA, allocB, totalMsA, totalMsB, totalAllocA, totalAllocB []float64
	for i := range n {
		order := []string{ours, theirs}
		if i%2 == 1 {
			order = []string{theirs, ours}
		}
		got := map[string]initSum{}
		for _, b := range order {
			tr, err := initTrace(b)
			if err != nil {
				return err
			}
			got[b] = tr.sum(skip)
			t := tr.sum(nil)
			if b == ours {
				totalMsA, totalAllocA = append(totalMsA, t.ms), append(totalAllocA, t.allocs)
			} else {
				totalMsB, totalAllocB = append(totalMsB, t.ms), append(totalAllocB, t.allocs)
			}
		}
		a, b := got[ours], got[theirs]
		msA, msB, allocA, allocB = append(msA, a.ms), append(msB, b.ms), append(allocA, a.allocs), append(allocB, b.allocs)
		ratios = append(ratios, a.ms/b.ms)
	}
	q := quartiles(ratios)
	report("package init (ms)", ms(median(msA)), ms(median(msB)), 1.5, q[1],
		fmt.Sprintf("beyond bare hello; median of %d paired ratios, IQR %.2f–%.2f", n, q[0], q[2]))
	report("package init (allocs)", median(allocA), median(allocB), 1.5, 0, "beyond bare hello; medians")
	tr, err := initTrace(ours)
	if err != nil {
		return err
	}
	fmt.Printf("%-40s %s\n", "  heaviest inits, csconnect hello", heaviest(tr, 3))
	report("package init, total (ms)", ms(median(totalMsA)), ms(median(totalMsB)), 0, 0, "bare hello's packages included; not judged")
	report("package init, total (allocs)", median(totalAllocA), median(totalAllocB), 0, 0, "not judged")
	return nil
}

// measureCLIInit reports the package init of the whole csconnect CLI (`csconnect
// help`) beside min-token's, and how much of it the kin-openapi packages and their
// non-standard dependencies take: `csconnect token` must not pay for them at start.
// Medians of n runs each; not judged (the cold-process figure is).
func measureCLIInit(n int, cli, floor string) error {
	out, err := goOutput("list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", "github.com/getkin/kin-openapi/openapi3")
	if err != nil {
		return err
	}
	kin := map[string]bool{}
	for _, p := range strings.Fields(out) {
		kin[p] = true
	}
	var ms0, allocs0, ms1, allocs1, kinMs, kinAllocs []float64
	for range n {
		a, err := initTrace(cli, "help")
		if err != nil {
			return err
		}
		b, err := initTrace(floor)
		if err != nil {
			return err
		}
		ta, tb := a.sum(nil), b.sum(nil)
		var k initSum
		for p, v := range a {
			if kin[p] {
				k.ms, k.allocs = k.ms+v.ms, k.allocs+v.allocs
			}
		}
		ms0, allocs0, ms1, allocs1 = append(ms0, ta.ms), append(allocs0, ta.allocs), append(ms1, tb.ms), append(allocs1, tb.allocs)
		kinMs, kinAllocs = append(kinMs, k.ms), append(kinAllocs, k.allocs)
	}
	report("CLI package init, total (ms)", ms(median(ms0)), ms(median(ms1)), 0, 0,
		fmt.Sprintf("x/oauth2 column: min-token; kin-openapi and its deps: %.2f ms; not judged", median(kinMs)))
	report("CLI package init, total (allocs)", median(allocs0), median(allocs1), 0, 0,
		fmt.Sprintf("kin-openapi and its deps: %.0f allocs; not judged", median(kinAllocs)))
	return nil
}

// heaviest lists the k packages of t with the most init allocations.
func heaviest(t trace, k int) string {
	pkgs := slices.SortedFunc(maps.Keys(t), func(a, b string) int { return cmp.Compare(t[b].allocs, t[a].allocs) })
	var parts []string
	for _, p := range pkgs[:min(k, len(pkgs))] {
		parts = append(parts, fmt.Sprintf("%s %.2f ms %.0f allocs", p, t[p].ms, t[p].allocs))
	}
	return strings.Join(parts, "; ")
}

// initLine is one line of GODEBUG=inittrace=1:
// "init net/http @1.2 ms, 0.31 ms clock, 12345 bytes, 67 allocs".
var initLine = regexp.MustCompile(`^init (\S+) @[0-9.]+ ms, ([0-9.]+) ms clock, [0-9]+ bytes, ([0-9]+) allocs`)

type initSum struct{ ms, allocs float64 }

type trace map[string]initSum

func (t trace) sum(skip map[string]bool) initSum {
	var s initSum
	for p, v := range t {
		if !skip[p] {
			s.ms += v.ms
			s.allocs += v.allocs
		}
	}
	return s
}

// initTrace runs bin with args under GODEBUG=inittrace=1 and sums its trace by
// package. The exit status is not checked (min-token without a server fails after
// its init); a run that prints no trace is an error.
func initTrace(bin string, args ...string) (trace, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	t := parseTrace(stderr.String())
	if len(t) == 0 {
		return nil, fmt.Errorf("%s: no init trace on stderr (%v): %s", filepath.Base(bin), err, stderr.Bytes())
	}
	return t, nil
}

// parseTrace sums the init trace lines in s by package.
func parseTrace(s string) trace {
	t := trace{}
	for _, line := range strings.Split(s, "\n") {
		m := initLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		ms, _ := strconv.ParseFloat(m[2], 64)
		allocs, _ := strconv.ParseFloat(m[3], 64)
		sum := t[m[1]]
		t[m[1]] = initSum{sum.ms + ms, sum.allocs + allocs}
	}
	return t
}

// measureToken starts the simulator, then runs `csconnect token` and min-token as
// cold processes in pairs (A B, then B A), timing each from start to exit.
func measureToken(n int, cli, floor string) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sim := exec.CommandContext(ctx, cli, "sim", "--addr", "127.0.0.1:0")
	sim.Env = append(os.Environ(), "CREDITSAFE_USERNAME="+simUser, "CREDITSAFE_PASSWORD="+simPassword)
	sim.Cancel = func() error { return sim.Process.Signal(syscall.SIGTERM) }
	sim.WaitDelay = 5 * time.Second
	var simErr bytes.Buffer
	sim.Stderr = &simErr
	stdout, err := sim.StdoutPipe()
	if err != nil {
		return err
	}
	if err := sim.Start(); err != nil {
		return err
	}
	defer func() { cancel(); _ = sim.Wait() }()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		return fmt.Errorf("simulator printed no address: %w: %s", err, simErr.Bytes())
	}
	baseURL := "http://" + strings.TrimSpace(line) + "/v1"

	env := append(os.Environ(), "CREDITSAFE_USERNAME="+simUser, "CREDITSAFE_PASSWORD="+simPassword, "CREDITSAFE_BASE_URL="+baseURL)
	timed := func(bin string, args ...string) (time.Duration, error) {
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		start := time.Now()
		err := cmd.Run()
		d := time.Since(start)
		if err != nil || out.Len() < 2 {
			return 0, fmt.Errorf("%s %s: %v (%d bytes out): %s", filepath.Base(bin), strings.Join(args, " "), err, out.Len(), errOut.Bytes())
		}
		return d, nil
	}
	sides := [2]struct {
		bin  string
		args []string
	}{{cli, []string{"token", "--no-cache"}}, {floor, nil}} // each run authenticates, as min-token does
	for range 3 { // page cache, the simulator's first connections
		for _, s := range sides {
			if _, err := timed(s.bin, s.args...); err != nil {
				return err
			}
		}
	}
	var ratios, msA, msB []float64
	for i := range n {
		var d [2]time.Duration
		for _, j := range []int{i % 2, 1 - i%2} {
			if d[j], err = timed(sides[j].bin, sides[j].args...); err != nil {
				return err
			}
		}
		msA, msB = append(msA, d[0].Seconds()*1e3), append(msB, d[1].Seconds()*1e3)
		ratios = append(ratios, float64(d[0])/float64(d[1]))
	}
	q := quartiles(ratios)
	report("csconnect token, cold (ms)", ms(median(msA)), ms(median(msB)), 1.5, q[1],
		fmt.Sprintf("x/oauth2 column: min-token, a bare net/http POST + decode; median of %d paired ratios, IQR %.2f–%.2f", n, q[0], q[2]))
	return nil
}

// apiCount counts a package's exported identifiers as go/doc shows them: consts,
// vars, funcs (constructors included), types, methods (of concrete types, and the
// exported methods of exported interfaces) and exported struct fields (embedded
// ones by their type's name).
type apiCount struct{ consts, vars, funcs, types, methods, fields int }

func (c *apiCount) total() int {
	return c.consts + c.vars + c.funcs + c.types + c.methods + c.fields
}

func (c *apiCount) String() string {
	return fmt.Sprintf("%d %d %d %d %d %d", c.consts, c.vars, c.funcs, c.types, c.methods, c.fields)
}

func (c *apiCount) load(pkg string) error {
	out, err := goOutput("list", "-f", "{{.Dir}}{{range .GoFiles}} {{.}}{{end}}", pkg)
	if err != nil {
		return err
	}
	f := strings.Fields(out)
	if len(f) < 2 {
		return fmt.Errorf("go list %s: no Go files", pkg)
	}
	var paths []string
	for _, name := range f[1:] {
		paths = append(paths, filepath.Join(f[0], name))
	}
	return c.count(pkg, paths)
}

// count counts the exported identifiers of the package made of the given files.
func (c *apiCount) count(pkg string, paths []string) error {
	fset := token.NewFileSet()
	var files []*ast.File
	for _, path := range paths {
		file, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		files = append(files, file)
	}
	p, err := doc.NewFromFiles(fset, files, pkg) // mode 0: exported only
	if err != nil {
		return err
	}
	values := func(vs []*doc.Value) (n int) {
		for _, v := range vs {
			for _, name := range v.Names {
				if token.IsExported(name) {
					n++
				}
			}
		}
		return n
	}
	c.consts, c.vars, c.funcs = values(p.Consts), values(p.Vars), len(p.Funcs)
	for _, t := range p.Types {
		c.types++
		c.consts += values(t.Consts)
		c.vars += values(t.Vars)
		c.funcs += len(t.Funcs)
		c.methods += len(t.Methods)
		switch typ := t.Decl.Specs[0].(*ast.TypeSpec).Type.(type) {
		case *ast.StructType:
			c.fields += exportedFields(typ.Fields)
		case *ast.InterfaceType:
			c.methods += exportedFields(typ.Methods)
		}
	}
	return nil
}

// exportedFields counts the exported names in a field list; an embedded field or
// interface counts under its type's name.
func exportedFields(fl *ast.FieldList) (n int) {
	for _, f := range fl.List {
		if len(f.Names) == 0 {
			x := f.Type
			if s, ok := x.(*ast.StarExpr); ok {
				x = s.X
			}
			if sel, ok := x.(*ast.SelectorExpr); ok {
				x = sel.Sel
			}
			if id, ok := x.(*ast.Ident); ok && token.IsExported(id.Name) {
				n++
			}
			continue
		}
		for _, name := range f.Names {
			if name.IsExported() {
				n++
			}
		}
	}
	return n
}

// ms and mb are figures printed with two decimals; plain numbers print as integers.
type (
	ms float64
	mb float64
)

func mbOf(n int64) mb { return mb(float64(n) / 1e6) }

// report prints one figure beside its counterpart and their ratio (a/b, or ratio
// when given, e.g. a median of paired ratios), judged against target (ratio ≤ target)
// when target is set.
func report[T ~float64 | ~int](label string, a, b T, target, ratio float64, note string) {
	f := func(v T) string {
		switch any(v).(type) {
		case ms, mb:
			return fmt.Sprintf("%.2f", float64(v))
		}
		return fmt.Sprintf("%.0f", float64(v))
	}
	if ratio == 0 {
		ratio = float64(a) / float64(b)
	}
	verdict := ""
	if target > 0 {
		verdict = fmt.Sprintf("%s <= %g", mark(ratio <= target, label), target)
	}
	fmt.Printf("%-40s %11s %11s %7.2f  %-12s %s\n", label, f(a), f(b), ratio, verdict, note)
}

// mark returns ✓ or ✗ and records a miss.
func mark(ok bool, name string) string {
	if ok {
		return "✓"
	}
	missed = append(missed, name)
	return "✗"
}

func goOutput(args ...string) (string, error) {
	cmd := exec.Command(goCmd, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s %s: %w: %s", goCmd, strings.Join(args, " "), err, stderr.Bytes())
	}
	return string(out), nil
}

func countLines(s string) int { return strings.Count(s, "\n") }

func countUnique(s string) int {
	seen := map[string]bool{}
	for _, l := range strings.Fields(s) {
		seen[l] = true
	}
	return len(seen)
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// quartiles returns the 25th, 50th and 75th percentiles of xs (linear
// interpolation between the closest ranks).
func quartiles(xs []float64) [3]float64 {
	s := slices.Sorted(slices.Values(xs))
	at := func(p float64) float64 {
		if len(s) == 0 {
			return 0
		}
		r := p * float64(len(s)-1)
		i := int(r)
		if i+1 >= len(s) {
			return s[i]
		}
		return s[i] + (r-float64(i))*(s[i+1]-s[i])
	}
	return [3]float64{at(0.25), at(0.5), at(0.75)}
}

func median(xs []float64) float64 { return quartiles(xs)[1] }

package main

import (
	"testing"
)

func TestAPICount(t *testing.T) {
	var c apiCount
	if err := c.count("example.com/api", []string{"testdata/api/api.go"}); err != nil {
		t.Fatal(err)
	}
	want := apiCount{consts: 2, vars: 1, funcs: 2, types: 3, methods: 3, fields: 3}
	if c != want {
		t.Errorf("count(testdata/api) = %v; want %v", c.String(), want.String())
	}
	if got := c.total(); got != 14 {
		t.Errorf("total() = %d; want 14", got)
	}
}

func TestParseTrace(t *testing.T) {
	got := parseTrace(`init internal/bytealg @0.008 ms, 0 ms clock, 0 bytes, 0 allocs
init runtime @0.031 ms, 0.041 ms clock, 0 bytes, 0 allocs
not a trace line
init net/http @1.2 ms, 0.31 ms clock, 12345 bytes, 67 allocs
init net/http @1.9 ms, 0.01 ms clock, 10 bytes, 3 allocs
`)
	if len(got) != 3 {
		t.Fatalf("parseTrace: %d packages; want 3: %v", len(got), got)
	}
	if s := got["net/http"]; s.allocs != 70 || s.ms < 0.319 || s.ms > 0.321 {
		t.Errorf("net/http = %+v; want 0.32 ms, 70 allocs (two lines summed)", s)
	}
	s := got.sum(map[string]bool{"runtime": true})
	if s.allocs != 70 || s.ms < 0.319 || s.ms > 0.321 {
		t.Errorf("sum without runtime = %+v; want 0.32 ms, 70 allocs", s)
	}
}

func TestQuartiles(t *testing.T) {
	for name, tc := range map[string]struct {
		in   []float64
		want [3]float64
	}{
		"odd":    {[]float64{5, 1, 3, 2, 4}, [3]float64{2, 3, 4}},
		"even":   {[]float64{4, 1, 3, 2}, [3]float64{1.75, 2.5, 3.25}},
		"single": {[]float64{7}, [3]float64{7, 7, 7}},
		"empty":  {nil, [3]float64{}},
	} {
		if got := quartiles(tc.in); got != tc.want {
			t.Errorf("%s: quartiles(%v) = %v; want %v", name, tc.in, got, tc.want)
		}
	}
}

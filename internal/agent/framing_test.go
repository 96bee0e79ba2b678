package agent

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// pipeline writes reqs on one connection at once and reads len(want) answers.
func (e *env) pipeline(t *testing.T, reqs string, n int) []int {
	t.Helper()
	c, err := net.Dial("tcp", hostOf(e.srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, reqs); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	var got []int
	for range n {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			break
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		got = append(got, resp.StatusCode)
	}
	return got
}

// TestContentLengthWithTransferEncodingRefused: a request head with both
// Content-Length and Transfer-Encoding (in any case, order, folding or count) is
// answered 400 framing and the connection closed, before anything is forwarded,
// on a fresh connection and behind pipelined requests alike.
func TestContentLengthWithTransferEncodingRefused(t *testing.T) {
	e := newEnv(t, envOptions{})
	host := hostOf(e.srv.URL)
	body := "5\r\nhello\r\n0\r\n\r\n"
	smuggled := "GET /up/smuggled HTTP/1.1\r\nHost: " + host + "\r\n\r\n"
	cases := map[string]string{
		"CL then TE":          "POST /up/x HTTP/1.1\r\nHost: " + host + "\r\nContent-Length: 40\r\nTransfer-Encoding: chunked\r\n\r\n" + body + smuggled,
		"TE then CL":          "POST /up/x HTTP/1.1\r\nHost: " + host + "\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n" + body + smuggled,
		"lower case":          "POST /up/x HTTP/1.1\r\nhost: " + host + "\r\ncontent-length: 40\r\ntransfer-encoding: Chunked\r\n\r\n" + body + smuggled,
		"padded values":       "POST /up/x HTTP/1.1\r\nHost: " + host + "\r\nContent-Length:\t40 \r\nTransfer-Encoding:  chunked\t\r\n\r\n" + body + smuggled,
		"bare LF":             "POST /up/x HTTP/1.1\nHost: " + host + "\nContent-Length: 40\nTransfer-Encoding: chunked\n\n" + body + smuggled,
		"folded TE":           "POST /up/x HTTP/1.1\r\nHost: " + host + "\r\nContent-Length: 40\r\nTransfer-Encoding:\r\n chunked\r\n\r\n" + body + smuggled,
		"two TE":              "POST /up/x HTTP/1.1\r\nHost: " + host + "\r\nContent-Length: 40\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n" + body + smuggled,
		"TE list":             "POST /up/x HTTP/1.1\r\nHost: " + host + "\r\nContent-Length: 40\r\nTransfer-Encoding: identity, chunked\r\n\r\n" + body + smuggled,
		"HTTP/1.0":            "POST /up/x HTTP/1.0\r\nHost: " + host + "\r\nContent-Length: 14\r\nTransfer-Encoding: chunked\r\n\r\n" + body,
		"zero CL":             "POST /up/x HTTP/1.1\r\nHost: " + host + "\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n" + body + smuggled,
		"own endpoint":        "POST /_agent/healthz HTTP/1.1\r\nHost: " + host + "\r\nContent-Length: 40\r\nTransfer-Encoding: chunked\r\n\r\n" + body + smuggled,
		"after a chunked one": "POST /up/a HTTP/1.1\r\nHost: " + host + "\r\nTransfer-Encoding: chunked\r\n\r\n" + "3;ext=1\r\nabc\r\n0\r\nX-Trailer: t\r\n\r\n" + "POST /up/x HTTP/1.1\r\nHost: " + host + "\r\nContent-Length: 40\r\nTransfer-Encoding: chunked\r\n\r\n" + body + smuggled,
	}
	for name, raw := range cases {
		t.Run(name, func(t *testing.T) {
			before := e.upstream.hits.Load()
			got := e.pipeline(t, raw, 3)
			want := 1
			if name == "after a chunked one" {
				want = 2
				if len(got) > 0 && got[0] != http.StatusOK {
					t.Errorf("the honest chunked request before: %d; want 200", got[0])
				}
				before++
			}
			last := 0
			if len(got) > 0 {
				last = got[len(got)-1]
			}
			// net/http itself answers 501 to a Transfer-Encoding other than one
			// chunked, and closes the connection, before the handler runs.
			goRefuses := strings.HasPrefix(name, "two TE") || strings.HasPrefix(name, "TE list")
			if len(got) != want || !(last >= 400 && last < 500 || goRefuses && last == http.StatusNotImplemented) {
				t.Fatalf("answers %v; want %d answers, the last a 4xx, then the connection closed", got, want)
			}
			if n := e.upstream.hits.Load() - before; n != 0 {
				t.Errorf("upstream reached %d times; want 0", n)
			}
		})
	}
}

// TestHonestFramingStillForwarded: chunked bodies (with extensions and trailers),
// Content-Length bodies and bodiless requests, pipelined on one connection, each
// reach the upstream with their bodies; the framing check loses none of them.
func TestHonestFramingStillForwarded(t *testing.T) {
	bodies := make(chan string, 8)
	e := newEnv(t, envOptions{upstream: func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies <- string(b)
	}})
	host := hostOf(e.srv.URL)
	big := strings.Repeat("z", 70<<10) // over replayableBody: streamed
	reqs := "POST /up/a HTTP/1.1\r\nHost: " + host + "\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2 \r\nde\r\n0\r\nX-T: 1\r\n\r\n" +
		"POST /up/b HTTP/1.1\r\nHost: " + host + "\r\nContent-Length: 18\r\n\r\nContent-Length: 40" +
		"GET /up/c HTTP/1.1\r\nHost: " + host + "\r\n\r\n" +
		"OPTIONS * HTTP/1.1\r\nHost: " + host + "\r\n\r\n" +
		"POST /up/d HTTP/1.1\r\nHost: " + host + "\r\nTransfer-Encoding: chunked\r\n\r\n11800\r\n" + big + "\r\n0\r\n\r\n" +
		"POST /up/e HTTP/1.1\r\nHost: " + host + "\r\nContent-Length: 3\r\n\r\nxyz"
	got := e.pipeline(t, reqs, 6)
	want := []int{200, 200, 200, 200, 200, 200}
	if len(got) != len(want) {
		t.Fatalf("answers %v; want %v", got, want)
	}
	for i, s := range got {
		if s != want[i] {
			t.Errorf("answer %d: %d; want %d", i, s, want[i])
		}
	}
	for _, w := range []string{"abcde", "Content-Length: 40", "", big, "xyz"} {
		if b := <-bodies; b != w {
			t.Errorf("upstream body %.40q (%d bytes); want %.40q (%d bytes)", b, len(b), w, len(w))
		}
	}
}

// FuzzFramingFollowsNetHTTP: on any bytes, the heads framedConn records are the
// request lines net/http reads, in order, up to the first request net/http
// refuses or the point where the tracker gives up (then it records nothing more,
// and ServeHTTP only refuses chunked requests it cannot verify).
func FuzzFramingFollowsNetHTTP(f *testing.F) {
	f.Add([]byte("POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3;x\r\nabc\r\n0\r\nT: 1\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n"))
	f.Add([]byte("POST /a HTTP/1.1\nHost: h\nContent-Length: 3\n\nabcGET /b HTTP/1.0\r\nHost: h\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\nxyOPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n"))
	f.Add([]byte("POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\r\n chunked\r\nContent-Length: 9\r\n\r\n0\r\n\r\nGET /c HTTP/1.1\r\nHost: h\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var lines []string
		br := bufio.NewReader(bytes.NewReader(data))
		for {
			r, err := http.ReadRequest(br)
			if err != nil {
				break
			}
			if _, err := io.Copy(io.Discard, r.Body); err != nil {
				break
			}
			if r.Method == "OPTIONS" && r.RequestURI == "*" {
				continue
			}
			lines = append(lines, r.Method+" "+r.RequestURI+" "+r.Proto)
		}
		c := &framedConn{}
		for len(data) > 0 { // in small reads, as a slow client sends
			k := min(len(data), 7)
			c.feed(data[:k])
			data = data[k:]
		}
		for i, h := range c.queue {
			if i >= len(lines) {
				break // net/http refused this one: it would close the connection
			}
			if h.line != lines[i] {
				t.Fatalf("record %d is %q; net/http read %q", i, h.line, lines[i])
			}
		}
		if c.state != stLost && len(c.queue) < len(lines) {
			t.Fatalf("recorded %d heads, net/http read %d (%q), and the tracker did not give up", len(c.queue), len(lines), lines)
		}
	})
}

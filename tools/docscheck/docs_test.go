// Package docscheck opens the HTML API reference that `make docs` writes in headless
// Chromium, from file:// and with the network off, the way a reader would open a file
// they were sent, and checks what it shows and that it asked for nothing over the
// network. It is a module of its own so that chromedp is no dependency of the client.
//
// Run it with `make docs-check`; DOCS_HTML names the file (default ../../docs/index.html)
// and CHROMIUM the browser (default: chromium on PATH). Without a browser it skips.
package docscheck

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// browserTimeout bounds one browser session: start, load, render, checks.
const browserTimeout = 90 * time.Second

func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("docscheck: no chromium found (make deps installs Debian's chromium); the offline docs check did not run")
	return ""
}

// recorder is the browser's only proxy: every request the browser tries to send to
// any host, loopback included, reaches it as a CONNECT or an absolute-URI request
// line. It records that line and closes the connection, so nothing is forwarded.
type recorder struct {
	ln    net.Listener
	mu    sync.Mutex
	lines []string
	wg    sync.WaitGroup
}

func newRecorder(t *testing.T) *recorder {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &recorder{ln: ln}
	r.wg.Add(1)
	go r.serve()
	t.Cleanup(func() { ln.Close(); r.wg.Wait() })
	return r
}

func (r *recorder) serve() {
	defer r.wg.Done()
	for {
		c, err := r.ln.Accept()
		if err != nil {
			return
		}
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			line, err := bufio.NewReader(io.LimitReader(c, 4096)).ReadString('\n')
			if line == "" && err != nil {
				line = "(connection with no request line: " + err.Error() + ")"
			}
			r.mu.Lock()
			r.lines = append(r.lines, strings.TrimSpace(line))
			r.mu.Unlock()
		}()
	}
}

func (r *recorder) requests() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.lines...)
}

// session is one headless Chromium with the network off, and what it saw.
type session struct {
	ctx   context.Context
	proxy *recorder

	mu      sync.Mutex
	fetched []string // request URLs the page made that are not file:, data:, blob: or about:
	logged  []string // console errors, exceptions and browser-log errors (CSP refusals among them)
}

func newSession(t *testing.T) *session {
	t.Helper()
	bin := chromiumPath(t)
	s := &session{proxy: newRecorder(t)}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 1000),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		// Network off for the browser itself: its own services (component updates,
		// sign-in, optimization hints...) call home whatever the flags above say, so
		// the browser's proxy is a closed loopback port that refuses them.
		chromedp.ProxyServer("http://127.0.0.1:9"),
		chromedp.Flag("proxy-bypass-list", "<-loopback>"),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	tctx, cancelTimeout := context.WithTimeout(actx, browserTimeout)
	// The page opens in a browser context of its own whose proxy is the recorder, so
	// every request of the page, its workers and its frames, to any host, loopback
	// included, is recorded, and none of the browser's own.
	bctx, cancelBrowser := chromedp.NewContext(tctx)
	t.Cleanup(func() { cancelBrowser(); cancelTimeout(); cancelAlloc() })
	if err := chromedp.Do(bctx); err != nil { // starts the browser
		t.Fatalf("start %s: %v", bin, err)
	}
	ctx, cancelCtx := chromedp.NewContext(bctx, chromedp.WithListener(s.listen),
		chromedp.WithNewBrowserContext(func(p *target.CreateBrowserContextParams) {
			p.ProxyServer = "http://" + s.proxy.ln.Addr().String()
			p.ProxyBypassList = "<-loopback>"
		}))
	t.Cleanup(cancelCtx)
	s.ctx = ctx
	return s
}

func (s *session) listen(ev any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		u := ev.Request.URL
		switch {
		case strings.HasPrefix(u, "file:"), strings.HasPrefix(u, "data:"),
			strings.HasPrefix(u, "blob:"), strings.HasPrefix(u, "about:"):
		default:
			s.fetched = append(s.fetched, u)
		}
	case *log.EventEntryAdded:
		// A Content-Security-Policy refusal is an error entry of source "security".
		if ev.Entry.Level == log.EntryLevelError {
			s.logged = append(s.logged, fmt.Sprintf("%s: %s", ev.Entry.Source, ev.Entry.Text))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			text += " " + d.Exception.Description
		}
		s.logged = append(s.logged, "exception: "+text)
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			var parts []string
			for _, a := range ev.Args {
				if a.Description != "" {
					parts = append(parts, a.Description)
				} else {
					parts = append(parts, string(a.Value))
				}
			}
			s.logged = append(s.logged, "console."+string(ev.Type)+": "+strings.Join(parts, " "))
		}
	}
}

// open loads url and waits until the predicate (a JavaScript expression) is true.
func (s *session) open(t *testing.T, url, ready string) {
	t.Helper()
	if err := chromedp.Do(s.ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("navigate %s: %v", url, err)
	}
	if ready != "" {
		if _, err := chromedp.Run(s.ctx, chromedp.Poll[bool](ready, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
			s.checkTraffic(t)
			t.Fatalf("the page at %s did not render in 30 s (%s): %v", url, ready, err)
		}
	}
}

func (s *session) eval(t *testing.T, js string) string {
	t.Helper()
	v, err := chromedp.Run(s.ctx, chromedp.Evaluate[string](js))
	if err != nil {
		t.Fatalf("evaluate %.80s: %v", js, err)
	}
	return v
}

// traffic returns every request the browser or the page tried to send, and every
// error the page logged. The listener runs in the loop that reads the tab's messages,
// in order, so after the reply to one more command it has seen every event sent
// before it.
func (s *session) traffic(t *testing.T) (proxied, fetched, logged []string) {
	t.Helper()
	s.eval(t, `"settled"`)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.proxy.requests(), append([]string(nil), s.fetched...), append([]string(nil), s.logged...)
}

// checkTraffic fails the test for every request tried and every error logged.
func (s *session) checkTraffic(t *testing.T) (proxied, fetched, logged []string) {
	t.Helper()
	proxied, fetched, logged = s.traffic(t)
	for _, r := range proxied {
		t.Errorf("the page tried to send a request: %s", r)
	}
	for _, u := range fetched {
		t.Errorf("the page tried to fetch %s", u)
	}
	for _, l := range logged {
		t.Errorf("the page logged an error: %s", l)
	}
	return proxied, fetched, logged
}

// --- What the spec documents say the page must show ---

type operation struct {
	doc    string // document title
	id     string // operationId
	method string
	path   string
	urls   []string // server URL + path, one per server
	hosts  []string
	descr  string
	errors []errorResponse
}

type errorResponse struct {
	status   string
	descr    string
	media    string   // the first media type, whose body Redoc shows
	mediaAll []string // every media type of the body
	fields   []string // its schema's top-level property names, or its variants' names
}

// expectations reads the spec documents (the JSON bundles `make docs` renders, written
// by `redocly bundle`, not by the page's builder) and lists every operation with what
// the reader must see of it.
func expectations(t *testing.T, files []string) []operation {
	t.Helper()
	if len(files) == 0 {
		t.Fatal("no spec document to check against: run `make docs` (or set DOCS_JSON_DIR)")
	}
	var ops []operation
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		v, err := decodeOrdered(json.NewDecoder(strings.NewReader(string(raw))))
		doc, _ := v.(map[string]any)
		if err != nil || doc == nil {
			t.Fatalf("spec document %s: not a JSON object: %v", f, err)
		}
		title := str(get(doc, "info", "title"))
		paths, _ := doc["paths"].(map[string]any)
		for _, path := range sortedKeys(paths) {
			item := resolve(doc, paths[path])
			for _, method := range []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"} {
				opv, ok := item[method].(map[string]any)
				if !ok {
					continue
				}
				op := operation{doc: title, id: str(opv["operationId"]), method: method, path: path, descr: str(opv["description"])}
				servers := firstList(opv["servers"], item["servers"], doc["servers"])
				for _, sv := range servers {
					su := str(resolve(doc, sv)["url"])
					op.urls = append(op.urls, strings.TrimSuffix(su, "/")+path)
					if u, err := url.Parse(su); err == nil && u.Host != "" {
						op.hosts = append(op.hosts, u.Host)
					}
				}
				responses, _ := opv["responses"].(map[string]any)
				for _, status := range sortedKeys(responses) {
					if !(strings.HasPrefix(status, "4") || strings.HasPrefix(status, "5") || status == "default") {
						continue
					}
					r := resolve(doc, responses[status])
					er := errorResponse{status: status, descr: str(r["description"])}
					if content, ok := r["content"].(map[string]any); ok && len(content) > 0 {
						first := firstMediaType(content)
						er.media = first
						er.mediaAll, _ = content[orderKey].([]string)
						schema := resolve(doc, get(content, first, "schema"))
						er.fields = fieldsOf(doc, get(content, first, "schema"), schema)
					}
					op.errors = append(op.errors, er)
				}
				ops = append(ops, op)
			}
		}
	}
	return ops
}

// orderKey holds, in each decoded object, its keys in document order: Redoc shows a
// response's media types in that order and the first one's body by default.
const orderKey = "\x00order"

// decodeOrdered decodes JSON like encoding/json into any, and records each object's
// key order under orderKey.
func decodeOrdered(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		m := map[string]any{}
		var order []string
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			k, _ := kt.(string)
			v, err := decodeOrdered(dec)
			if err != nil {
				return nil, err
			}
			m[k] = v
			order = append(order, k)
		}
		if _, err := dec.Token(); err != nil {
			return nil, err
		}
		m[orderKey] = order
		return m, nil
	case json.Delim('['):
		l := []any{}
		for dec.More() {
			v, err := decodeOrdered(dec)
			if err != nil {
				return nil, err
			}
			l = append(l, v)
		}
		if _, err := dec.Token(); err != nil {
			return nil, err
		}
		return l, nil
	default:
		return tok, nil
	}
}

// firstMediaType returns the media type Redoc shows first: the first in document order.
func firstMediaType(content map[string]any) string {
	if order, ok := content[orderKey].([]string); ok && len(order) > 0 {
		return order[0]
	}
	return ""
}

// fieldsOf names what the expanded body shows: an object's property names, or the
// names of the variants of an anyOf/oneOf.
func fieldsOf(doc map[string]any, ref any, schema map[string]any) []string {
	if props, ok := schema["properties"].(map[string]any); ok {
		return sortedKeys(props)
	}
	for _, k := range []string{"anyOf", "oneOf"} {
		if vs, ok := schema[k].([]any); ok {
			var names []string
			for _, v := range vs {
				if m, ok := v.(map[string]any); ok {
					if r := str(m["$ref"]); r != "" {
						names = append(names, r[strings.LastIndex(r, "/")+1:])
					} else if tt := str(resolve(doc, v)["title"]); tt != "" {
						names = append(names, tt)
					}
				}
			}
			return names
		}
	}
	return nil
}

func resolve(doc map[string]any, v any) map[string]any {
	for range 32 {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		ref, ok := m["$ref"].(string)
		if !ok || !strings.HasPrefix(ref, "#/") {
			return m
		}
		var cur any = doc
		for _, part := range strings.Split(ref[2:], "/") {
			part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
			cur = get(cur, part)
		}
		v = cur
	}
	return nil
}

func get(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func str(v any) string { s, _ := v.(string); return s }

func firstList(vs ...any) []any {
	for _, v := range vs {
		if l, ok := v.([]any); ok && len(l) > 0 {
			return l
		}
	}
	return nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		if k != orderKey {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

var (
	mdLink  = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
	mdList  = regexp.MustCompile(`^\s*(?:[-*+]|\d+\.)\s+`)
	spaces  = regexp.MustCompile(`\s+`)
	mdMarks = strings.NewReplacer("`", "", "**", "", "__", "")
)

// chunks turns a Markdown description into the plain-text pieces a reader sees: one
// per paragraph or list item, inline marks and link targets removed, spaces collapsed.
func chunks(md string) []string {
	var out []string
	var cur []string
	flush := func() {
		if len(cur) > 0 {
			out = append(out, norm(mdMarks.Replace(mdLink.ReplaceAllString(strings.Join(cur, " "), "$1"))))
			cur = nil
		}
	}
	for _, line := range strings.Split(md, "\n") {
		switch {
		case strings.TrimSpace(line) == "":
			flush()
		case mdList.MatchString(line):
			flush()
			cur = append(cur, mdList.ReplaceAllString(line, ""))
		default:
			cur = append(cur, line)
		}
	}
	flush()
	return out
}

func norm(s string) string { return strings.TrimSpace(spaces.ReplaceAllString(s, " ")) }

func docsHTML(t *testing.T) string {
	t.Helper()
	p := os.Getenv("DOCS_HTML")
	if p == "" {
		p = filepath.Join("..", "..", "docs", "index.html")
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(abs); err != nil {
		t.Fatalf("%v: run `make docs` first (or set DOCS_HTML)", err)
	}
	return abs
}

func specJSON(t *testing.T) []string {
	t.Helper()
	dir := os.Getenv("DOCS_JSON_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "build", "docs")
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestDocsOpenOffline is the check of issue 12: the reference opens from file:// with
// the network off, renders every operation of every document with its hosts, its
// description (the rate-limit rules among them) and every error response with its
// body, and neither the page nor the browser tries to send a single request.
func TestDocsOpenOffline(t *testing.T) {
	path := docsHTML(t)
	ops := expectations(t, specJSON(t))
	s := newSession(t)

	opSel := func(op operation) string {
		return fmt.Sprintf(`document.querySelector('[id="operation/' + %q + '"]')`, op.id)
	}
	var ready []string
	for _, op := range ops {
		ready = append(ready, opSel(op)+` !== null`)
	}
	s.open(t, "file://"+filepath.ToSlash(path), strings.Join(ready, " && "))
	for _, op := range ops {
		if n := s.eval(t, fmt.Sprintf(`String(document.querySelectorAll('[id="operation/' + %q + '"]').length)`, op.id)); n != "1" {
			t.Errorf("operation %s is rendered %s times; operationIds must be unique across the documents", op.id, n)
		}
	}

	body := norm(s.eval(t, `document.body.innerText`))
	if !regexp.MustCompile(`(?i)rate limit`).MatchString(body) {
		t.Errorf("the page shows no rate-limit rules (no %q in its text)", "rate limit")
	}
	hostsText := norm(s.eval(t, `Array.from(document.querySelectorAll('table.hosts')).map(e => e.innerText).join('\n')`))

	for _, op := range ops {
		t.Run(op.id, func(t *testing.T) {
			text := norm(s.eval(t, opSel(op)+`.innerText`))
			if op.id == "" {
				t.Errorf("%s %s has no operationId", op.method, op.path)
			}
			if !strings.Contains(text, op.path) {
				t.Errorf("%s: the operation does not show its path %s", op.id, op.path)
			}
			for _, c := range chunks(op.descr) {
				if !strings.Contains(text, c) {
					t.Errorf("%s: its description is not shown: %q", op.id, c)
				}
			}
			if len(op.hosts) == 0 {
				t.Errorf("%s: the document gives it no server host", op.id)
			}
			for _, u := range op.urls {
				if !strings.Contains(hostsText, op.id) || !strings.Contains(hostsText, u) {
					t.Errorf("%s: the hosts table does not show %s", op.id, u)
				}
			}
			// Redoc's own endpoint panel, opened as a reader would, shows each host.
			s.eval(t, fmt.Sprintf(`(() => { const b = Array.from(%s.querySelectorAll('button')).find(b => b.innerText.includes(%q)); if (b) b.click(); return String(!!b); })()`, opSel(op), op.path))
			for _, h := range op.hosts {
				if _, err := chromedp.Run(s.ctx, chromedp.Poll[bool](fmt.Sprintf(`%s.innerText.includes(%q)`, opSel(op), h), chromedp.WithPollingTimeout(10*time.Second))); err != nil {
					t.Errorf("%s: Redoc's endpoint panel does not show the host %s: %v", op.id, h, err)
				}
			}
			if len(op.errors) == 0 {
				t.Errorf("%s: no error response documented", op.id)
			}
			// Each response is a button with its status and description, followed by
			// its expanded body: the check reads that part of the page only.
			var shown map[string]struct {
				Text  string   `json:"text"`
				Names []string `json:"names"`
			}
			js := fmt.Sprintf(`JSON.stringify(Object.fromEntries(Array.from(%s.querySelectorAll('button[aria-expanded]'))
				.filter(b => b.querySelector('strong'))
				.map(b => [b.querySelector('strong').innerText.trim(), {
					text: b.parentElement.innerText,
					names: Array.from(b.parentElement.querySelectorAll('.property-name, button')).map(e => e.innerText.trim()),
				}])))`, opSel(op))
			if err := json.Unmarshal([]byte(s.eval(t, js)), &shown); err != nil {
				t.Fatalf("%s: reading its responses: %v", op.id, err)
			}
			for _, er := range op.errors {
				r, ok := shown[er.status]
				if !ok {
					t.Errorf("%s: error status %s is not shown", op.id, er.status)
					continue
				}
				rtext := norm(r.Text)
				for _, c := range chunks(er.descr) {
					if !strings.Contains(rtext, c) {
						t.Errorf("%s %s: its description is not shown: %q", op.id, er.status, c)
					}
				}
				// "Response Schema: <first media type>", then the others in its menu
				// (the heading is upper case by CSS, which innerText applies).
				lower := strings.ToLower(rtext)
				if er.media != "" && !strings.Contains(lower, strings.ToLower("Response Schema: "+er.media)) {
					t.Errorf("%s %s: the body's media type %s is not shown first", op.id, er.status, er.media)
				}
				for _, mt := range er.mediaAll {
					if !strings.Contains(lower, strings.ToLower(mt)) {
						t.Errorf("%s %s: the body's media type %s is not offered", op.id, er.status, mt)
					}
				}
				for _, f := range er.fields {
					if !slices.Contains(r.Names, f) {
						t.Errorf("%s %s: the error body's %q is not shown (shown: %q)", op.id, er.status, f, r.Names)
					}
				}
			}
		})
	}

	if out := os.Getenv("DOCS_SCREENSHOT"); out != "" {
		png, err := chromedp.Run(s.ctx, chromedp.FullScreenshot(90))
		if err == nil {
			err = os.WriteFile(out, png, 0o644)
		}
		if err != nil {
			t.Logf("screenshot: %v", err)
		}
	}

	proxied, fetched, logged := s.checkTraffic(t)
	t.Logf("%d operations checked in %s; requests tried: %d proxied, %d by the page; errors logged: %d",
		len(ops), path, len(proxied), len(fetched), len(logged))
}

// TestCheckerSeesRequests shows that the session above would notice a request: a
// page that loads an image from a host is seen both by the proxy recorder and in the
// page's network events, and one whose Content-Security-Policy refuses it is seen in
// the page's log.
func TestCheckerSeesRequests(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return "file://" + filepath.ToSlash(p)
	}
	t.Run("plain", func(t *testing.T) {
		s := newSession(t)
		page := write("plain.html", `<!DOCTYPE html><title>t</title><img id="i" src="https://cdn.example.com/logo.svg">`)
		s.open(t, page, `document.getElementById("i") !== null`)
		// The image fails (nothing answers); wait until the browser says so.
		if _, err := chromedp.Run(s.ctx, chromedp.Poll[bool](`document.getElementById("i").complete`, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
			t.Fatal(err)
		}
		proxied, fetched, _ := s.traffic(t)
		t.Logf("proxy recorder: %q; page requests: %q", proxied, fetched)
		if !contains(proxied, "cdn.example.com") {
			t.Errorf("the proxy recorder missed the image request; it saw %q", proxied)
		}
		if !contains(fetched, "https://cdn.example.com/logo.svg") {
			t.Errorf("the network events missed the image request; they saw %q", fetched)
		}
	})
	t.Run("refused by CSP", func(t *testing.T) {
		s := newSession(t)
		page := write("csp.html", `<!DOCTYPE html><meta http-equiv="Content-Security-Policy" content="default-src 'none'"><title>t</title><img id="i" src="https://cdn.example.com/logo.svg">`)
		s.open(t, page, `document.getElementById("i") !== null`)
		_, _, logged := s.traffic(t)
		if !contains(logged, "cdn.example.com") {
			t.Errorf("the page log missed the refused image; it has %q", logged)
		}
	})
}

func contains(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

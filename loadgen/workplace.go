package loadgen

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
)

// The workplace beside the calls (docs/benchmark.md, session 15): logged-in users of the web
// workplace on the daemon a fixed run drives, to see what their pages cost the calls and what the
// calls cost their pages. PrepareWorkplaceJournal makes the journal (the loadgen's own seed, then
// a synthetic history and passwords); Workplace is the users.

// WorkplacePassword is every account's password in a journal PrepareWorkplaceJournal made.
const WorkplacePassword = "workplace-load-15"

// PrepareWorkplaceJournal creates path as the loadgen seeds its journal for operators extensions
// 1001… (the same ids, so that the loadgen's logins name them), adds a synthetic history of cases
// (journal.GenerateSynthetic, o) for the heavy pages to read, and gives every account
// WorkplacePassword. A daemon's --hotline-bin wrapper copies it over the loadgen's fresh journal.
func PrepareWorkplaceJournal(ctx context.Context, path string, operators int, o journal.SyntheticOptions) error {
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("%s exists: the journal goes into a new file", path)
	}
	exts := make([]string, operators)
	for i := range exts {
		exts[i] = fmt.Sprintf("%d", 1001+i) // as Run names them
	}
	ids, err := seed(ctx, path, exts)
	if err != nil {
		return err
	}
	s, err := journal.Open(ctx, path, journal.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	defer s.Close()
	if _, err := s.GenerateSynthetic(ctx, o); err != nil {
		return err
	}
	admin := hotline.Actor{Login: "loadgen-admin", OperatorID: 1, Role: hotline.RoleAdministrator}
	for _, id := range append([]int64{1}, ids...) {
		if err := s.SetPassword(ctx, admin, id, WorkplacePassword); err != nil {
			return fmt.Errorf("password of operator %d: %w", id, err)
		}
	}
	return nil
}

// WorkplaceOptions are the users Workplace plays.
type WorkplaceOptions struct {
	URL       string        // the workplace, http://127.0.0.1:port (loopback only)
	Operators int           // level-1 operators op1001…: /work and its event stream, a page every Think
	Think     time.Duration // an operator's pause between two pages (randomised ±50 %)
	// Supervisor: loadgen-admin on /live with its event stream and the board's report, a page every Think.
	Supervisor bool
	// Heavy: the heavy requests, one every HeavyEvery, in turn (WorkplaceHeavyKinds); none: no loop.
	Heavy      []string
	HeavyEvery time.Duration
	For        time.Duration // how long; at most 30 min
	Log        *slog.Logger
}

// WorkplaceHeavyKinds are the heaviest requests a user can make, found in the route table:
// "search" the journal's full-text search that finds nothing (it reads MaxTextScan cases),
// "report" the board's report over a year (every call and case of the period), "login" a login
// (argon2id's 19 MiB, 2 passes).
var WorkplaceHeavyKinds = []string{"search", "report", "login"}

// WorkplaceRequest is one request a user made.
type WorkplaceRequest struct {
	Kind   string    `json:"kind"`
	Start  time.Time `json:"start"`
	Ms     float64   `json:"ms"`
	Status int       `json:"status"`
	Err    string    `json:"err,omitempty"`
}

// WorkplaceResult is what Workplace measured: every request, and their latency by kind.
type WorkplaceResult struct {
	Requests []WorkplaceRequest     `json:"requests"`
	ByKind   map[string]Percentiles `json:"by_kind_ms"`
	N        map[string]int         `json:"n_by_kind"`
	Errors   int                    `json:"errors"`
	Events   int                    `json:"stream_events"` // the event streams' events
	Bytes    int64                  `json:"stream_bytes"`  // and their bytes
	// StreamBytes: the bytes by stream (its path), all users together.
	StreamBytes map[string]int64 `json:"stream_bytes_by_path"`
}

type workplaceRun struct {
	o    WorkplaceOptions
	mu   sync.Mutex
	reqs []WorkplaceRequest
	evs  int
	b    int64
	bp   map[string]int64
	gone context.CancelFunc // the daemon went away: the run is over
}

// Workplace logs the users in and plays them for o.For, then reports what their requests took.
func Workplace(ctx context.Context, o WorkplaceOptions) (*WorkplaceResult, error) {
	u, err := url.Parse(o.URL)
	if err != nil || u.Scheme != "http" || (u.Hostname() != "127.0.0.1" && u.Hostname() != "localhost") {
		return nil, fmt.Errorf("workplace %q: want http://127.0.0.1:port (loopback only)", o.URL)
	}
	if o.For <= 0 || o.For > 30*time.Minute {
		return nil, errors.New("workplace: a duration of 1 s to 30 min")
	}
	for _, k := range o.Heavy {
		if !slices.Contains(WorkplaceHeavyKinds, k) {
			return nil, fmt.Errorf("workplace: heavy request %q: one of %v", k, WorkplaceHeavyKinds)
		}
	}
	if o.Think <= 0 {
		o.Think = 5 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithTimeout(ctx, o.For)
	defer cancel()
	r := &workplaceRun{o: o, gone: cancel, bp: map[string]int64{}}
	var wg sync.WaitGroup
	for i := range o.Operators {
		wg.Go(func() {
			r.user(ctx, fmt.Sprintf("op%d", 1001+i), "/work/events", []string{"/work", "/cases", "/directory"})
		})
	}
	if o.Supervisor {
		wg.Go(func() {
			r.user(ctx, "loadgen-admin", "/live/events", []string{"/live", "/admin/report", "/admin/review"})
		})
	}
	if len(o.Heavy) > 0 {
		wg.Go(func() { r.heavy(ctx) })
	}
	wg.Wait()
	return r.result(), nil
}

func (r *workplaceRun) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// do makes one request and records it under kind.
func (r *workplaceRun) do(ctx context.Context, c *http.Client, kind, method, path string, form url.Values) int {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, r.o.URL+path, body)
	if err != nil {
		return 0
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	start := time.Now()
	res, err := c.Do(req)
	rec := WorkplaceRequest{Kind: kind, Start: start}
	if err == nil {
		_, err = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		rec.Status = res.StatusCode
	}
	rec.Ms = float64(time.Since(start)) / float64(time.Millisecond)
	if err != nil && errors.Is(err, syscall.ECONNREFUSED) {
		r.gone() // the daemon stopped: the loadgen's run is over
	}
	if ctx.Err() != nil {
		return rec.Status // cut by the run's end: not a measurement
	}
	if err != nil {
		rec.Err = err.Error()
	} else if rec.Status >= 400 {
		rec.Err = res.Status
	}
	r.mu.Lock()
	r.reqs = append(r.reqs, rec)
	r.mu.Unlock()
	return rec.Status
}

func (r *workplaceRun) login(ctx context.Context, c *http.Client, login string) bool {
	st := r.do(ctx, c, "login", http.MethodPost, "/login", url.Values{"login": {login}, "password": {WorkplacePassword}})
	if st != http.StatusSeeOther {
		r.o.Log.Warn("workplace: login failed", "login", login, "status", st)
		return false
	}
	return true
}

// user logs in, keeps the event stream open and opens the pages in turn, a random pause apart.
func (r *workplaceRun) user(ctx context.Context, login, stream string, pages []string) {
	c := r.client()
	// The logins spread over the first second, as people do not log in at one instant.
	select {
	case <-time.After(rand.N(time.Second)):
	case <-ctx.Done():
		return
	}
	if !r.login(ctx, c, login) {
		return
	}
	var streaming sync.WaitGroup
	defer streaming.Wait() // its counts are in the result
	streaming.Go(func() { r.stream(ctx, c, stream) })
	for i := 0; ; i++ {
		p := pages[i%len(pages)]
		r.do(ctx, c, strings.TrimPrefix(p, "/"), http.MethodGet, p, nil)
		select {
		case <-time.After(r.o.Think/2 + rand.N(r.o.Think)):
		case <-ctx.Done():
			return
		}
	}
}

// stream reads an event stream until the run ends, counting its events.
func (r *workplaceRun) stream(ctx context.Context, c *http.Client, path string) {
	sc := *c
	sc.Timeout = 0 // the stream lasts the run
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.o.URL+path, nil)
	if err != nil {
		return
	}
	res, err := sc.Do(req)
	if err != nil {
		return
	}
	defer res.Body.Close()
	b := bufio.NewScanner(res.Body)
	b.Buffer(make([]byte, 64<<10), 1<<20)
	data := false
	for b.Scan() {
		line := b.Text()
		r.mu.Lock()
		r.b += int64(len(line)) + 1
		r.bp[path] += int64(len(line)) + 1
		if line == "" && data { // an event ends with an empty line
			r.evs++
		}
		r.mu.Unlock()
		data = strings.HasPrefix(line, "data:") || (data && line != "")
	}
}

// heavy makes the heavy requests in turn, one every HeavyEvery, each as its own user would.
func (r *workplaceRun) heavy(ctx context.Context) {
	c := r.client()
	if !r.login(ctx, c, "loadgen-admin") {
		return
	}
	now := time.Now()
	year := now.AddDate(-1, 0, 1).Format(time.DateOnly) + "&to=" + now.Format(time.DateOnly)
	t := time.NewTicker(r.o.HeavyEvery)
	defer t.Stop()
	for i := 0; ; i++ {
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
		switch k := r.o.Heavy[i%len(r.o.Heavy)]; k {
		case "search":
			r.do(ctx, c, "heavy-search", http.MethodGet, "/cases?status=all&text="+url.QueryEscape("нет такого текста"), nil)
		case "report":
			r.do(ctx, c, "heavy-report", http.MethodGet, "/admin/report?from="+year, nil)
		case "login":
			st := r.do(ctx, r.client(), "heavy-login", http.MethodPost, "/login",
				url.Values{"login": {"loadgen-admin"}, "password": {WorkplacePassword}})
			if st != http.StatusSeeOther && ctx.Err() == nil {
				r.o.Log.Warn("workplace: heavy login failed", "status", st)
			}
		}
	}
}

func (r *workplaceRun) result() *WorkplaceResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	res := &WorkplaceResult{Requests: r.reqs, ByKind: map[string]Percentiles{}, N: map[string]int{}, Events: r.evs, Bytes: r.b, StreamBytes: r.bp}
	by := map[string][]time.Duration{}
	for _, q := range r.reqs {
		if q.Err != "" {
			res.Errors++
			continue
		}
		by[q.Kind] = append(by[q.Kind], time.Duration(q.Ms*float64(time.Millisecond)))
	}
	for k, ds := range by {
		res.ByKind[k], res.N[k] = percentiles(ds), len(ds)
	}
	return res
}

package loadgen

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestWorkplaceRefusesWhatItShouldNot(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    WorkplaceOptions
	}{
		{"not loopback", WorkplaceOptions{URL: "http://10.0.0.1:8080", For: time.Second}},
		{"not http", WorkplaceOptions{URL: "https://127.0.0.1:8080", For: time.Second}},
		{"no duration", WorkplaceOptions{URL: "http://127.0.0.1:8080"}},
		{"too long", WorkplaceOptions{URL: "http://127.0.0.1:8080", For: time.Hour}},
		{"unknown heavy request", WorkplaceOptions{URL: "http://127.0.0.1:8080", For: time.Second, Heavy: []string{"export"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Workplace(context.Background(), tc.o); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

// TestWorkplaceCountsByKind: the users log in, read their streams, open their pages and make the
// heavy requests in turn; a request the server refuses is an error, not a latency.
func TestWorkplaceCountsByKind(t *testing.T) {
	var logins atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		if r.PostFormValue("password") != WorkplacePassword {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		logins.Add(1)
		http.SetCookie(w, &http.Cookie{Name: "s", Value: r.PostFormValue("login")})
		http.Redirect(w, r, "/work", http.StatusSeeOther)
	})
	page := func(w http.ResponseWriter, r *http.Request) {
		if _, err := r.Cookie("s"); err != nil {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		fmt.Fprint(w, "<html></html>")
	}
	for _, p := range []string{"/work", "/cases", "/directory", "/live", "/admin/report"} {
		mux.HandleFunc("GET "+p, page)
	}
	mux.HandleFunc("GET /admin/review", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "gone", http.StatusGone) })
	stream := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "retry: 1000\n\nevent: board\ndata: <p>\ndata: </p>\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}
	mux.HandleFunc("GET /work/events", stream)
	mux.HandleFunc("GET /live/events", stream)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	res, err := Workplace(context.Background(), WorkplaceOptions{URL: srv.URL, Operators: 2, Supervisor: true,
		Think: 20 * time.Millisecond, Heavy: []string{"search", "login"}, HeavyEvery: 30 * time.Millisecond, For: 1500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"login", "work", "cases", "live", "heavy-search", "heavy-login"} {
		if res.N[k] == 0 {
			t.Errorf("no %s requests: %v", k, res.N)
		}
	}
	if res.N["admin/review"] != 0 || res.Errors == 0 {
		t.Errorf("the refused page counted as a latency (n %d) or not as an error (%d)", res.N["admin/review"], res.Errors)
	}
	if res.Events != 3 { // one event a stream, the retry line is none
		t.Errorf("stream events %d, want 3", res.Events)
	}
	if got := int(logins.Load()); got < 4+res.N["heavy-login"] {
		t.Errorf("%d logins, want the 4 users' (the heavy loop's own) and %d heavy ones", got, res.N["heavy-login"])
	}
}

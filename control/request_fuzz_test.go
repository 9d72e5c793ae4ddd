package control

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hotline-dev/hotline"
)

// A pause body must be one JSON object: what follows it is not silently dropped.
func TestPauseBodyTrailingData(t *testing.T) {
	for _, body := range []string{`{"reason":"2"}{"reason":"3"}`, `{"reason":"2"} x`, `{"reason":"2"}]`} {
		fb := &fakeBoard{}
		rec := httptest.NewRecorder()
		asRoot(Handler(fb, everyoneAuthority(), nil)).ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/operators/7/pause", strings.NewReader(body)))
		if rec.Code != http.StatusBadRequest || len(fb.calls) != 0 {
			t.Errorf("body %s: status %d, switchboard asked %v; want 400 and nothing asked", body, rec.Code, fb.calls)
		}
	}
	for _, body := range []string{`{"reason":"2"}`, " {\"reason\":\"2\"}\n", ""} {
		fb := &fakeBoard{}
		rec := httptest.NewRecorder()
		asRoot(Handler(fb, everyoneAuthority(), nil)).ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/operators/7/pause", strings.NewReader(body)))
		if rec.Code != http.StatusOK || len(fb.calls) != 1 {
			t.Errorf("body %q: status %d %s, switchboard asked %v; want 200", body, rec.Code, rec.Body, fb.calls)
		}
	}
}

// FuzzOperatorRequest: whatever id, action and body a client of the socket sends, the API either
// asks the switchboard exactly what the request says (the action, the positive id, the body's
// reason) and answers 200, or asks nothing and answers an error of a known code with its status,
// as JSON the client decodes.
func FuzzOperatorRequest(f *testing.F) {
	for _, s := range []struct {
		id, action, body string
		chunked          bool
	}{
		{"7", "pause", `{"reason":"2"}`, false},
		{"7", "pause", `{"reason":"2"}`, true},
		{"7", "pause", "", false},
		{"7", "pause", `{"reason":"2","x":1}`, false},
		{"7", "pause", `{"reason":"2"}{"reason":"3"}`, false},
		{"7", "pause", `{"reason":2}`, false},
		{"7", "pause", `null`, false},
		{"7", "pause", `[]`, false},
		{"7", "pause", `{"reason":"` + strings.Repeat("x", 5000) + `"}`, false},
		{"7", "resume", `garbage`, false},
		{"8", "login", "", false},
		{"8", "logout", "", true},
		{"0", "pause", "", false},
		{"-1", "resume", "", false},
		{"+7", "login", "", false},
		{"9223372036854775808", "login", "", false},
		{"abc", "pause", "", false},
		{"7", "dance", "", false},
		{"7", "", "", false},
		{"", "pause", "", false},
		{"7/8", "pause", "", false},
		{"..", "pause", "", false},
	} {
		f.Add(s.id, s.action, []byte(s.body), s.chunked)
	}
	f.Fuzz(func(t *testing.T, id, action string, body []byte, chunked bool) {
		fb := &fakeBoard{}
		req := httptest.NewRequest(http.MethodPost, "/v1/operators/reload", bytes.NewReader(body))
		req.URL = &url.URL{Path: "/v1/operators/" + id + "/" + action, RawPath: "/v1/operators/" + url.PathEscape(id) + "/" + url.PathEscape(action)}
		req.RequestURI = req.URL.RequestURI()
		if chunked {
			req.ContentLength = -1
		}
		rec := httptest.NewRecorder()
		asRoot(Handler(fb, everyoneAuthority(), nil)).ServeHTTP(rec, req)

		var e apiError
		isJSON := strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") && json.Unmarshal(rec.Body.Bytes(), &e) == nil
		if !isJSON {
			// Only the router's own answers (no such route, a path it cleans) are not the API's.
			switch rec.Code {
			case http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusMovedPermanently,
				http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
			default:
				t.Fatalf("%s: status %d with a body that is not the API's JSON: %q", req.URL, rec.Code, rec.Body)
			}
			if len(fb.calls) != 0 {
				t.Fatalf("%s: switchboard asked %v though the request was not routed", req.URL, fb.calls)
			}
			return
		}
		want, valid := operatorRequest(id, action, body)
		switch {
		case rec.Code == http.StatusOK:
			if !valid && len(body) <= maxBody {
				t.Fatalf("%s %q accepted", req.URL, body)
			}
			if len(fb.calls) != 1 || fb.calls[0] != want {
				t.Fatalf("%s %q: switchboard asked %v, want [%s]", req.URL, body, fb.calls, want)
			}
		default:
			if valid && len(body) <= maxBody {
				t.Fatalf("%s %q refused: %+v", req.URL, body, e)
			}
			if status, ok := statusOf[e.Code]; !ok || status != rec.Code || e.Message == "" {
				t.Fatalf("%s: status %d with error %+v: unknown code, wrong status or no message", req.URL, rec.Code, e)
			}
			if len(fb.calls) != 0 {
				t.Fatalf("%s: refused (%+v) yet the switchboard was asked %v", req.URL, e, fb.calls)
			}
			if e.Code == hotline.EINTERNAL {
				t.Fatalf("%s %q: internal error for bad input: %s", req.URL, body, e.Message)
			}
		}
	})
}

// operatorRequest is what the API documents (doc.go): a positive operator id, one of four
// actions, and for pause an optional body that is one JSON object {"reason": "..."} and nothing
// else. It returns what the switchboard should be asked, as fakeBoard records it.
func operatorRequest(id, action string, body []byte) (string, bool) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return "", false
	}
	want := action + " " + strconv.FormatInt(n, 10)
	switch action {
	case "resume", "login", "logout":
		return want + " by root", true
	case "pause":
	default:
		return "", false
	}
	var p struct {
		Reason string `json:"reason"`
	}
	// JSON's whitespace, not Unicode's: a body of "\v" is not an empty body but a malformed one.
	if len(bytes.Trim(body, " \t\r\n")) > 0 {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			return "", false
		}
		if _, err := dec.Token(); err != io.EOF {
			return "", false
		}
	}
	if hotline.ValidPauseReason(p.Reason) != nil {
		return "", false // kept for good in the presence history: only a reason code gets in
	}
	return want + " " + p.Reason + " by root", true
}

// handlerTransport serves a Client's requests from the handler directly, without a socket.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

// FuzzPauseReason: the reason an administrator gives `hotline operator pause` reaches the
// switchboard unchanged through the client and the API (text is carried as JSON carries it:
// valid UTF-8).
func FuzzPauseReason(f *testing.F) {
	for _, r := range []string{"2", "", "обед", `"quoted" \ back`, "\x00\x1b[2J", strings.Repeat("9", 3000)} {
		f.Add(int64(7), r)
	}
	f.Fuzz(func(t *testing.T, id int64, reason string) {
		if !utf8.ValidString(reason) {
			reason = strings.ToValidUTF8(reason, "\uFFFD")
		}
		fb := &fakeBoard{}
		c := &Client{Socket: "test", http: &http.Client{Transport: handlerTransport{asRoot(Handler(fb, everyoneAuthority(), nil))}}}
		err := c.Pause(context.Background(), id, reason)
		body, _ := json.Marshal(pauseRequest{Reason: reason})
		switch {
		case id <= 0:
			if hotline.ErrorCode(err) != hotline.EINVALID || len(fb.calls) != 0 {
				t.Fatalf("pause of operator %d: %v, switchboard asked %v", id, err, fb.calls)
			}
		case len(body) > maxBody:
			if hotline.ErrorCode(err) != hotline.EINVALID || len(fb.calls) != 0 {
				t.Fatalf("a %d-byte request: %v, switchboard asked %v; want invalid, nothing asked", len(body), err, fb.calls)
			}
		case hotline.ValidPauseReason(reason) != nil:
			// Kept for good in the presence history: only a reason code gets in.
			if hotline.ErrorCode(err) != hotline.EINVALID || len(fb.calls) != 0 {
				t.Fatalf("pause %d %q: %v, switchboard asked %q; want invalid, nothing asked", id, reason, err, fb.calls)
			}
		default:
			want := "pause " + strconv.FormatInt(id, 10) + " " + reason + " by root"
			if err != nil || len(fb.calls) != 1 || fb.calls[0] != want {
				t.Fatalf("pause %d %q: %v, switchboard asked %q", id, reason, err, fb.calls)
			}
		}
	})
}

// asRoot serves h as if every request came over the socket from root (an administrator): these
// tests are about the request bodies, not who asks.
func asRoot(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(withPeer(r.Context(), Peer{UID: 0, PID: 1})))
	})
}

// everyoneAuthority is authority() with an operator for every positive id: these tests are about
// the requests, and a fuzzed id must reach the switchboard when it is well formed.
func everyoneAuthority() Authority {
	a := authority()
	a.Operators = anyOperator{}
	return a
}

// anyOperator knows an active operator for every positive id.
type anyOperator struct{}

func (anyOperator) Operator(_ context.Context, id int64) (hotline.Operator, error) {
	return hotline.Operator{ID: id, Name: "Оператор", Role: hotline.RoleOperator, Active: true}, nil
}

func (anyOperator) OperatorByLogin(_ context.Context, login string) (hotline.Operator, error) {
	return hotline.Operator{}, hotline.Errorf(hotline.ENOTFOUND, "no operator with login %q", login)
}

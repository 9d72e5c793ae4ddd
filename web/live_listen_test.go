package web

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/switchboard"
)

// listenSnapshot: operator 2 (Петров) talks with caller c1, whom an administrator listens to.
func listenSnapshot() switchboard.Snapshot {
	snap := testSnapshot()
	snap.Operators[1].CallID = "c1"
	snap.Calls = []switchboard.CallView{{ID: "c1", CallerNumber: "+79001112233", Phase: switchboard.PhaseTalking,
		ArrivedAt: snap.At, OperatorID: 2, Listened: switchboard.ListenWhisper, ListenerID: 1}}
	return snap
}

// The board offers the listen buttons to administrators only, on a talking operator's row, and
// says how the call is listened to.
func TestBoardListenButtonsForAdministrators(t *testing.T) {
	for _, tc := range []struct {
		u       User
		buttons bool
	}{{admin, true}, {level1, false}, {level2, false}} {
		s, ss, _, _ := opServer(t, listenSnapshot())
		body := do(t, s.Handler(), ss, tc.u, "GET", "/live", nil, nil).Body.String()
		has := strings.Contains(body, `action="/live/listen"`)
		if has != tc.buttons {
			t.Errorf("%s: listen buttons shown = %v, want %v", tc.u.Login, has, tc.buttons)
		}
		if !strings.Contains(body, "подсказка оператору") {
			t.Errorf("%s: the board does not say the call is whispered to", tc.u.Login)
		}
		if tc.buttons {
			for _, want := range []string{`value="c1"`, "Слушать", "Подсказывать", "Вмешаться", "Завершить прослушивание"} {
				if !strings.Contains(body, want) {
					t.Errorf("the administrator's board lacks %q", want)
				}
			}
			if n := strings.Count(body, `action="/live/listen"`); n != 1 {
				t.Errorf("%d listen forms, want one: only the talking operator", n)
			}
		}
	}
}

// POST /live/listen: an administrator's request reaches the switchboard as theirs; anyone else is
// refused before it (the route and the domain's rule), and bad input never reaches it.
func TestLiveListen(t *testing.T) {
	tests := []struct {
		name   string
		u      User
		form   url.Values
		fail   error
		status int
		ask    string // "": the switchboard is not asked
		says   string
	}{
		{"listen", admin, url.Values{"call": {"c1"}, "mode": {"listen"}}, nil, 303, "admin: listen c1 listen", ""},
		{"whisper", admin, url.Values{"call": {"c1"}, "mode": {"whisper"}}, nil, 303, "admin: listen c1 whisper", ""},
		{"barge", admin, url.Values{"call": {"c1"}, "mode": {"barge"}}, nil, 303, "admin: listen c1 barge", ""},
		{"stop", admin, url.Values{"call": {"c1"}, "mode": {"stop"}}, nil, 303, "admin: listen c1 stop", ""},
		{"a level-1 operator", level1, url.Values{"call": {"c1"}, "mode": {"listen"}}, nil, 403, "", "Недостаточно прав"},
		{"a specialist", level2, url.Values{"call": {"c1"}, "mode": {"barge"}}, nil, 403, "", "Недостаточно прав"},
		{"an unknown mode", admin, url.Values{"call": {"c1"}, "mode": {"shout"}}, nil, 422, "", "Неизвестный режим"},
		{"no call", admin, url.Values{"mode": {"listen"}}, nil, 422, "", "Нет разговора"},
		{"markup for a call", admin, url.Values{"call": {`<script>alert(1)</script>`}, "mode": {"listen"}}, nil, 422, "", "Нет разговора"},
		{"refused by the switchboard", admin, url.Values{"call": {"c1"}, "mode": {"listen"}},
			hotline.Errorf(hotline.EUNAVAILABLE, "admin has no device hotline can ring"), 503, "", "has no device"},
	}
	for _, tt := range tests {
		s, ss, _, calls := opServer(t, listenSnapshot())
		calls.fail = tt.fail
		rec := do(t, s.Handler(), ss, tt.u, "POST", "/live/listen", tt.form, nil)
		body := rec.Body.String()
		if rec.Code != tt.status || !strings.Contains(body, tt.says) {
			t.Errorf("%s: %d, want %d saying %q: %s", tt.name, rec.Code, tt.status, tt.says, body)
		}
		var want []string
		if tt.ask != "" {
			want = []string{tt.ask}
		}
		if got := calls.Asked(); !slices.Equal(got, want) {
			t.Errorf("%s: asked %q, want %q", tt.name, got, want)
		}
		if tt.status == 303 && !strings.HasPrefix(rec.Header().Get("Location"), "/live") {
			t.Errorf("%s: redirected to %q", tt.name, rec.Header().Get("Location"))
		}
		if tt.status != 303 && !strings.Contains(body, `role="alert"`) {
			t.Errorf("%s: the refusal is not an alert", tt.name)
		}
		if strings.Contains(body, "<script>alert") {
			t.Errorf("%s: input echoed unescaped", tt.name)
		}
	}
}

package web

import (
	"cmp"
	"context"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
	"github.com/hotline-dev/hotline/switchboard"
)

// The operator's screen (the manual's «Личный кабинет оператора», §4–§5.1): presence, the
// softphone block with the caller's card, the registration card, scripts and specialists.
func (s *Server) operatorRoutes() []Route {
	return []Route{
		{Pattern: "GET /work", Allow: AnyUser, Title: "Личный кабинет оператора", handle: s.workPage},
		{Pattern: "POST /work/presence", Allow: AnyUser, Title: "Начало работы, перерыв, завершение", handle: s.workPresence},
		{Pattern: "GET /work/events", Allow: AnyUser, Title: "Личный кабинет: программный телефон (SSE)", handle: s.workEvents},
		{Pattern: "POST /work/transfer", Allow: AnyUser, Title: "Перевести вызов", handle: s.workTransfer},
		{Pattern: "GET /work/scripts", Allow: AnyUser, Title: "Сценарии ответа и специалисты по тематике", handle: s.workScripts},
	}
}

// Limits of the operator screen's inputs (the domain's where it has one).
const (
	maxCallID  = hotline.MaxShortLen * 2 // a switchboard call id is an Asterisk channel id
	maxTopic   = hotline.MaxShortLen     // a topic code
	maxSearch  = 100                     // a keyword searched in the scripts
	historyMax = 20                      // the caller's earlier cases shown on the card
	callsMax   = 5                       // the caller's earlier calls shown on the card
)

// workView is the page /work (pageData.Data).
type workView struct {
	Live       bool // the live state exists: the page follows /work/events
	Presence   presenceView
	Softphone  softphoneView
	Colleagues colleaguesView
	// Webphone: the browser softphone's controls (#webphone) and scripts are on the page; the
	// operator's device decides whether it registers (/work/softphone says so for a handset).
	Webphone bool
}

// presenceView is the block #presence: the user's status and the buttons that change it.
type presenceView struct {
	Known    bool // the live state was read; false: every button is offered, the switchboard decides
	NoDevice bool // no extension: the user cannot take calls
	Listed   bool // the switchboard knows the user as an operator
	Presence hotline.Presence
	State    string // «Активен», «Не активен», or the finer state in the live board's words
	Reason   string
	Since    time.Time
	LoggedIn bool
	Paused   bool
	Reasons  []pauseReason
}

type pauseReason struct{ Code, Label string }

// pauseReasons are the reasons a pause may give: a digit keyed with *23N, or none
// (hotline.ValidPauseReason). Neither the configuration nor the switchboard names them, so the page
// offers the codes themselves.
func pauseReasons() []pauseReason {
	rs := []pauseReason{{"", "без указания причины"}}
	for _, d := range "1234567890" {
		rs = append(rs, pauseReason{string(d), "причина " + string(d)})
	}
	return rs
}

// softphoneView is the block #softphone.
type softphoneView struct {
	Known    bool
	NoDevice bool
	State    string // «Вызовов нет», «Входящий вызов», «Разговор»...
	Transfer string // a transfer under way: to whom, or from whom
	Card     *callerCard
	// CanTransfer: the user talks with the caller and no transfer is under way (§5.1.8).
	CanTransfer bool
}

// callerCard is the caller's card (#caller-card): who calls and what they asked before.
type callerCard struct {
	CallID      string
	Number      string // as the switchboard gave it
	NumberKnown bool   // a phone number: the history was looked up
	Line        string // the topic of the dialled line, when the line has one
	Joined      time.Time
	Waited      string // how long the caller waited until offered to the user, or answered; "" unknown
	callerHistory
}

// callerHistory is what the journal knows of a number: read once per call (it does not change
// while the call lasts).
type callerHistory struct {
	Cases []historyCase
	Calls []historyCall
	Error string // the journal could not be read
	line  string
}

type historyCase struct {
	ID      int64
	Number  string
	Created time.Time
	Type    string
	Topic   string
	Status  string
	Open    bool
}

type historyCall struct {
	Arrived time.Time
	Outcome string
}

// colleaguesView is the block #colleagues: who else is at the hotline and whether they are free.
type colleaguesView struct {
	Known bool
	Rows  []template.HTML // each rendered by "work-colleague-row" (escaped there), the user's own left out
}

type colleagueRow struct {
	ID        int64
	Name      string
	Extension string
	Level     string
	Presence  string // the machine name, for a CSS class and tests
	State     string
}

// stateText is a presence in the live board's words.
func stateText(p hotline.Presence) string {
	if t, ok := presenceText[p]; ok {
		return t
	}
	return string(p)
}

// ownStateText is the user's own status. The manual names two (§3: after «Начало работы» the
// status is «Активен»; §5.4.1: «Не активен» after «Завершить»); the finer states keep the live
// board's words (presenceText).
func ownStateText(p hotline.Presence) string {
	switch p {
	case hotline.PresenceAvailable:
		return "Активен"
	case hotline.PresenceLoggedOut, "":
		return "Не активен"
	}
	return "Активен: " + strings.ToLower(stateText(p))
}

func levelText(l hotline.Level) string {
	switch l {
	case hotline.Level1:
		return "1-й уровень"
	case hotline.Level2:
		return "2-й уровень"
	}
	return "—"
}

// operatorOf is the operator id in snap, or nil.
func operatorOf(snap *switchboard.Snapshot, id int64) *switchboard.OperatorView {
	if snap == nil {
		return nil
	}
	for i := range snap.Operators {
		if snap.Operators[i].ID == id {
			return &snap.Operators[i]
		}
	}
	return nil
}

func nameOf(snap *switchboard.Snapshot, id int64) string {
	if o := operatorOf(snap, id); o != nil {
		return o.Name
	}
	return fmt.Sprintf("оператор %d", id)
}

// liveCall is the call the operator is on in snap (rung for, talking on, or rung to take over),
// or nil.
func liveCall(snap *switchboard.Snapshot, me *switchboard.OperatorView) *switchboard.CallView {
	if snap == nil || me == nil {
		return nil
	}
	if me.CallID != "" {
		for i := range snap.Calls {
			if snap.Calls[i].ID == me.CallID {
				return &snap.Calls[i]
			}
		}
	}
	for i := range snap.Calls {
		if c := &snap.Calls[i]; c.OperatorID == me.ID || c.TransferTo == me.ID {
			return c
		}
	}
	return nil
}

// history looks up a caller's history; the stream caches what it returns per call.
type history func(ctx context.Context, c switchboard.CallView) callerHistory

// workView builds the page's blocks from snap (nil: the live state could not be read).
func (s *Server) workView(ctx context.Context, u User, snap *switchboard.Snapshot, levels map[int64]hotline.Level, hist history) workView {
	v := workView{Live: s.Live != nil}
	v.Presence, v.Softphone = s.ownBlocks(ctx, u, snap, hist)
	cv := colleaguesView{Known: snap != nil}
	if snap != nil {
		for _, row := range s.colleagueBlock(*snap, levels).rows {
			if row.id != u.OperatorID {
				cv.Rows = append(cv.Rows, row.html)
			}
		}
	}
	v.Colleagues = cv
	return v
}

// ownBlocks are the blocks #presence and #softphone of user u (they are the user's own).
func (s *Server) ownBlocks(ctx context.Context, u User, snap *switchboard.Snapshot, hist history) (presenceView, softphoneView) {
	noDevice := u.Extension == ""
	me := operatorOf(snap, u.OperatorID)

	p := presenceView{Known: snap != nil, NoDevice: noDevice, Listed: me != nil, Reasons: pauseReasons(), State: "нет сведений"}
	if me != nil {
		p.Presence, p.Reason, p.Since = me.Presence, me.Reason, me.Since
		p.LoggedIn, p.Paused = me.Presence.LoggedIn(), me.Presence == hotline.PresencePaused
	}
	if snap != nil {
		p.State = ownStateText(p.Presence)
	}

	sp := softphoneView{Known: snap != nil, NoDevice: noDevice, State: "Вызовов нет"}
	if c := liveCall(snap, me); c != nil {
		switch {
		case c.TransferTo == me.ID && c.OperatorID != me.ID:
			sp.State = "Входящий вызов"
			sp.Transfer = "Перевод от: " + nameOf(snap, c.OperatorID)
		case c.Phase == switchboard.PhaseOffered:
			sp.State = "Входящий вызов"
		case c.Phase == switchboard.PhaseTalking:
			sp.State = "Разговор"
			if c.TransferTo != 0 {
				sp.Transfer = "Вызов переводится: вызывается " + nameOf(snap, c.TransferTo)
			}
			sp.CanTransfer = c.OperatorID == me.ID && c.TransferTo == 0
		default:
			sp.State = "Вызов"
		}
		card := &callerCard{CallID: c.ID, Number: c.CallerNumber, Joined: cmp.Or(c.JoinedAt, c.ArrivedAt)}
		// The wait up to the offer (ringing) or the answer (talking): the operator's presence
		// changed then. Not up to now, which would change the block at every step of the feed.
		if (me.Presence == hotline.PresenceRinging || me.Presence == hotline.PresenceTalking) && me.Since.After(card.Joined) {
			card.Waited = durationText(me.Since.Sub(card.Joined))
		}
		card.callerHistory = hist(ctx, *c)
		card.Line = card.line
		_, card.NumberKnown = s.region().Normalize(c.CallerNumber)
		sp.Card = card
	} else if me != nil && (me.Presence == hotline.PresenceRinging || me.Presence == hotline.PresenceTalking) {
		sp.State = stateText(me.Presence) // a callback dialled: no caller in the switchboard yet
	}
	return p, sp
}

// presenceKey is what block #presence shows: the same key, the same HTML.
type presenceKey struct {
	Known, NoDevice, Listed, LoggedIn, Paused bool
	Presence                                  hotline.Presence
	State, Reason                             string
	Since                                     time.Time
}

func (p presenceView) key() presenceKey {
	return presenceKey{Known: p.Known, NoDevice: p.NoDevice, Listed: p.Listed, LoggedIn: p.LoggedIn, Paused: p.Paused,
		Presence: p.Presence, State: p.State, Reason: p.Reason, Since: p.Since} // Reasons are always the same
}

// softphoneKey is what block #softphone shows: the same key, the same HTML. The caller's history
// is read once per call (workEvents), so the call's id stands for it.
type softphoneKey struct {
	Known, NoDevice, CanTransfer bool
	State, Transfer              string
	Card                         bool
	CallID, Number, Line, Waited string
	NumberKnown                  bool
	Joined                       time.Time
}

func (sp softphoneView) key() softphoneKey {
	k := softphoneKey{Known: sp.Known, NoDevice: sp.NoDevice, CanTransfer: sp.CanTransfer, State: sp.State, Transfer: sp.Transfer}
	if c := sp.Card; c != nil {
		k.Card, k.CallID, k.Number, k.Line, k.Waited, k.NumberKnown, k.Joined = true, c.CallID, c.Number, c.Line, c.Waited, c.NumberKnown, c.Joined
	}
	return k
}

func (s *Server) region() hotline.PhoneRegion {
	if s.Journal == nil {
		return hotline.PhoneRegion(hotline.DefaultPhoneRegion)
	}
	return s.Journal.PhoneRegion()
}

// callerHistory reads the journal's earlier cases and calls of c's caller: open cases first, then
// the others, each newest first. A number that is not a phone number (anonymous, an extension)
// is not looked up.
func (s *Server) callerHistory(ctx context.Context, c switchboard.CallView) callerHistory {
	var h callerHistory
	if s.Journal == nil {
		h.Error = "Электронный журнал недоступен: история обращений не показана."
		return h
	}
	topics := map[string]hotline.Topic{}
	if ts, err := s.Journal.Topics(ctx, "", ""); err == nil {
		for _, t := range ts {
			topics[t.Code] = t
		}
	} else {
		s.log().Warn("web: topics for the caller's card", "err", err)
	}
	h.line = topics[c.Topic].Title
	if h.line == "" {
		h.line = c.Topic
	}
	n, ok := s.region().Normalize(c.CallerNumber)
	if !ok {
		return h
	}
	cases, err := s.Journal.CallerHistory(ctx, journal.CallerQuery{Number: n}, historyMax)
	if err != nil {
		s.log().Error("web: caller history", "call", c.ID, "err", err)
		h.Error = "История обращений сейчас недоступна."
		return h
	}
	for _, k := range cases {
		hc := historyCase{ID: k.ID, Number: k.Number, Created: k.CreatedAt, Type: caseTypeText(k.Type),
			Topic: k.Topic, Status: caseStatusText(k.Status), Open: k.Status != hotline.StatusApproved}
		if t, ok := topics[k.Topic]; ok {
			hc.Topic = t.Title
		}
		h.Cases = append(h.Cases, hc)
	}
	slices.SortStableFunc(h.Cases, func(a, b historyCase) int {
		switch {
		case a.Open == b.Open:
			return 0
		case a.Open:
			return -1
		}
		return 1
	})
	calls, err := s.Journal.Calls(ctx, journal.CallFilter{Caller: n, Limit: callsMax + 1})
	if err != nil {
		s.log().Error("web: caller's calls", "call", c.ID, "err", err)
		h.Error = "Прежние звонки сейчас недоступны."
		return h
	}
	for _, k := range calls {
		if k.Channel == c.ID || len(h.Calls) == callsMax {
			continue // this very call
		}
		out := "идёт"
		if k.Outcome != "" {
			out = outcomeText(k.Outcome)
		}
		h.Calls = append(h.Calls, historyCall{Arrived: k.ArrivedAt, Outcome: out})
	}
	return h
}

// levels are the operators' levels by id (the snapshot does not carry them).
func (s *Server) levels(ctx context.Context) map[int64]hotline.Level {
	m := map[int64]hotline.Level{}
	if s.Journal == nil {
		return m
	}
	ops, err := s.Journal.Operators(ctx, journal.OperatorFilter{})
	if err != nil {
		s.log().Warn("web: operators' levels", "err", err)
		return m
	}
	for _, o := range ops {
		m[o.ID] = o.Level
	}
	return m
}

// snapshot is the live state now, or nil when there is none.
func (s *Server) snapshot(ctx context.Context) *switchboard.Snapshot {
	if s.Live == nil {
		return nil
	}
	snap, err := s.Live.Snapshot(ctx)
	if err != nil {
		s.log().Error("web: live snapshot", "err", err)
		return nil
	}
	return &snap
}

// workNotices are what /work?done=... says: fixed sentences, so nothing a link carries is echoed.
var workNotices = map[string]string{
	"login":    "Программный телефон активирован: статус «Активен».",
	"pause":    "Перерыв.",
	"resume":   "Работа продолжена.",
	"logout":   "Работа завершена: статус «Не активен».",
	"transfer": "Вызов переводится.",
}

func (s *Server) workPage(w http.ResponseWriter, r *http.Request, u User) {
	s.renderWork(w, r, u, http.StatusOK, workNotices[r.URL.Query().Get("done")], "")
}

func (s *Server) renderWork(w http.ResponseWriter, r *http.Request, u User, status int, notice, errMsg string) {
	snap := s.snapshot(r.Context())
	switch {
	case errMsg != "" || snap != nil:
	case s.Live == nil:
		errMsg = "Сведения о звонках недоступны."
	default:
		errMsg = "Сведения о звонках сейчас недоступны; страница обновится сама."
	}
	v := s.workView(r.Context(), u, snap, s.levels(r.Context()), s.callerHistory)
	v.Webphone = s.Softphones != nil && u.Extension != ""
	s.render(w, r, status, "work", pageData{Title: "Рабочее место", User: &u, Notice: notice, Error: errMsg, Data: v})
}

// workEvents is /work's event stream: "presence", "softphone" and "colleagues". The caller's
// history is read once per call (it does not change while the call lasts), the levels once per
// stream, so a busy switchboard does not query the journal at every step. A change of the user's
// own operator or call is urgent (concerns): the handset rings and the page must show the
// caller's card while it rings, not a quarter of a second later; the colleagues can wait
// (streamEvery). Each block is rendered only when what it shows changed, and the colleagues block
// once for every page (colleagueBlock).
func (s *Server) workEvents(w http.ResponseWriter, r *http.Request, u User) {
	var (
		levels   map[int64]hotline.Level
		cachedID string
		cached   callerHistory
		shown    bool // the blocks below were rendered once
		presence presenceKey
		phone    softphoneKey
		block    *colleagueBlock
	)
	hist := func(ctx context.Context, c switchboard.CallView) callerHistory {
		if c.ID != cachedID {
			cachedID, cached = c.ID, s.callerHistory(ctx, c)
		}
		return cached
	}
	urgent := func(c switchboard.Change) bool { return concerns(c, u.OperatorID) }
	s.stream(w, r, u, 0, urgent, func(ctx context.Context, snap switchboard.Snapshot) ([]Event, error) {
		if levels == nil {
			levels = s.levels(ctx)
		}
		p, sp := s.ownBlocks(ctx, u, &snap, hist)
		var evs []Event
		if k := p.key(); !shown || k != presence {
			html, err := s.part("work-presence", p)
			if err != nil {
				return nil, err
			}
			evs, presence = append(evs, Event{Name: "presence", Data: html}), k
		}
		if k := sp.key(); !shown || k != phone {
			html, err := s.part("work-softphone", sp)
			if err != nil {
				return nil, err
			}
			evs, phone = append(evs, Event{Name: "softphone", Data: html}), k
		}
		if b := s.colleagueBlock(snap, levels); b != block {
			html, err := b.without(s, u.OperatorID)
			if err != nil {
				return nil, err
			}
			evs, block = append(evs, Event{Name: "colleagues", Data: html}), b
		}
		shown = true
		return evs, nil
	})
}

// concerns says whether change c is about operator op or a call offered to, taken or being
// transferred to op: what op's own page must show at once.
func concerns(c switchboard.Change, op int64) bool {
	if op == 0 {
		return false
	}
	if c.Operator != nil && c.Operator.ID == op {
		return true
	}
	return c.Call != nil && (c.Call.OperatorID == op || c.Call.TransferTo == op)
}

// readForm parses a small form, or says why not.
func readForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	return r.ParseForm()
}

// workPresence is the presence buttons: always the user's own presence, by their own account
// (there is no operator field: a posted one is ignored).
func (s *Server) workPresence(w http.ResponseWriter, r *http.Request, u User) {
	if err := readForm(w, r); err != nil {
		s.renderWork(w, r, u, http.StatusBadRequest, "", "Форма не прочитана: слишком длинная или повреждённая.")
		return
	}
	action := r.PostForm.Get("action")
	if _, ok := workNotices[action]; !ok || action == "transfer" {
		s.renderWork(w, r, u, http.StatusUnprocessableEntity, "", "Неизвестное действие.")
		return
	}
	if u.Extension == "" {
		s.renderWork(w, r, u, http.StatusConflict, "", "Вам не назначен внутренний номер: принимать звонки вы не можете. Обратитесь к администратору.")
		return
	}
	if s.Calls == nil {
		s.renderWork(w, r, u, http.StatusServiceUnavailable, "", "Управление вызовами сейчас недоступно.")
		return
	}
	ctx, by := r.Context(), u.Actor()
	var err error
	switch action {
	case "login":
		err = s.Calls.Login(ctx, by, u.OperatorID)
	case "pause":
		reason := r.PostForm.Get("reason")
		if err = hotline.ValidPauseReason(reason); err != nil {
			s.renderWork(w, r, u, http.StatusUnprocessableEntity, "", "Причина перерыва — одна цифра от 0 до 9 или без указания причины.")
			return
		}
		err = s.Calls.Pause(ctx, by, u.OperatorID, reason)
	case "resume":
		err = s.Calls.Resume(ctx, by, u.OperatorID)
	case "logout":
		err = s.Calls.Logout(ctx, by, u.OperatorID)
	}
	if err != nil {
		status, msg := s.failure(r, "presence "+action, err)
		s.renderWork(w, r, u, status, "", msg)
		return
	}
	s.log().Info("web: presence", "login", u.Login, "action", action)
	http.Redirect(w, r, Home+"?done="+action, http.StatusSeeOther)
}

// validCallID reports whether id can be a switchboard call id (an Asterisk channel id).
func validCallID(id string) bool {
	if id == "" || len(id) > maxCallID {
		return false
	}
	for _, c := range []byte(id) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '-', c == '_', c == ':':
		default:
			return false
		}
	}
	return true
}

// transferResult is the fragment an htmx transfer answers with.
type transferResult struct{ Notice, Error string }

// workTransfer transfers the user's caller to another operator, given by id (the specialists'
// buttons) or by extension (the manual §5.1.8: «указания внутреннего номера оператора и нажатием
// кнопки «Перевести»»). The switchboard decides whether the call is the user's to transfer.
func (s *Server) workTransfer(w http.ResponseWriter, r *http.Request, u User) {
	answer := func(status int, notice, errMsg string) {
		if r.Header.Get("HX-Request") == "true" {
			// htmx swaps only 2xx answers: the fragment carries the refusal itself.
			html, err := s.part("work-transfer", transferResult{Notice: notice, Error: errMsg})
			if err != nil {
				s.log().Error("web: transfer result", "err", err)
				http.Error(w, "внутренняя ошибка", http.StatusInternalServerError)
				return
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write([]byte(html))
			return
		}
		if errMsg == "" {
			http.Redirect(w, r, Home+"?done=transfer", http.StatusSeeOther)
			return
		}
		s.renderWork(w, r, u, status, "", errMsg)
	}
	if err := readForm(w, r); err != nil {
		answer(http.StatusBadRequest, "", "Форма не прочитана: слишком длинная или повреждённая.")
		return
	}
	call := r.PostForm.Get("call")
	if !validCallID(call) {
		answer(http.StatusUnprocessableEntity, "", "Нет вызова для перевода: обновите страницу.")
		return
	}
	var to int64
	switch toText, ext := strings.TrimSpace(r.PostForm.Get("to")), strings.TrimSpace(r.PostForm.Get("extension")); {
	case toText != "":
		n, err := strconv.ParseInt(toText, 10, 64)
		if err != nil || n <= 0 {
			answer(http.StatusUnprocessableEntity, "", "Неверный оператор для перевода.")
			return
		}
		to = n
	case ext != "":
		if !hotline.ValidPhoneNumber(ext) || strings.HasPrefix(ext, "+") {
			answer(http.StatusUnprocessableEntity, "", "Внутренний номер — от 2 до 20 цифр.")
			return
		}
		if s.Journal == nil {
			answer(http.StatusServiceUnavailable, "", "Электронный журнал недоступен: внутренний номер не найти.")
			return
		}
		op, err := s.Journal.OperatorByExtension(r.Context(), ext)
		if err != nil {
			if hotline.ErrorCode(err) == hotline.ENOTFOUND {
				answer(http.StatusNotFound, "", "Оператора с внутренним номером "+ext+" нет.")
				return
			}
			status, msg := s.failure(r, "transfer: find extension", err)
			answer(status, "", msg)
			return
		}
		to = op.ID
	default:
		answer(http.StatusUnprocessableEntity, "", "Укажите внутренний номер оператора, которому перевести вызов.")
		return
	}
	if to == u.OperatorID {
		answer(http.StatusUnprocessableEntity, "", "Нельзя перевести вызов самому себе.")
		return
	}
	if s.Calls == nil {
		answer(http.StatusServiceUnavailable, "", "Управление вызовами сейчас недоступно.")
		return
	}
	if err := s.Calls.Transfer(r.Context(), u.Actor(), u.OperatorID, call, to); err != nil {
		status, msg := s.failure(r, "transfer", err)
		answer(status, "", msg)
		return
	}
	s.log().Info("web: transfer", "login", u.Login, "call", call, "to", to)
	answer(http.StatusOK, workNotices["transfer"], "")
}

// scriptsView is the fragment "scripts": the approved answers of a topic with the specialists
// they recommend, and a keyword search of the others (§5.1.5).
type scriptsView struct {
	Topic      string
	TopicTitle string
	Call       string
	Query      string
	Scripts    []scriptView
	Found      []scriptView
	Searched   bool
	Error      string
}

type scriptView struct {
	ID          int64
	Title       string
	Text        string
	Topic       string
	Specialists []specialistView
}

type specialistView struct {
	ID          int64
	Name        string
	Extension   string
	Presence    string
	State       string
	CanTransfer bool
}

// plainText reports whether s is text a person could type into a short field.
func plainText(s string, max int) bool {
	return utf8.ValidString(s) && utf8.RuneCountInString(s) <= max && strings.IndexFunc(s, unicode.IsControl) < 0
}

func (s *Server) workScripts(w http.ResponseWriter, r *http.Request, u User) {
	q := r.URL.Query()
	v := scriptsView{Topic: strings.TrimSpace(q.Get("topic")), Call: q.Get("call"), Query: strings.TrimSpace(q.Get("q"))}
	write := func(status int) {
		html, err := s.part("scripts", v)
		if err != nil {
			s.log().Error("web: scripts", "err", err)
			http.Error(w, "внутренняя ошибка", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(html))
	}
	switch {
	case !plainText(v.Topic, maxTopic):
		v.Topic, v.Query, v.Call = "", "", ""
		v.Error = "Неверный код тематики."
		write(http.StatusUnprocessableEntity)
		return
	case v.Call != "" && !validCallID(v.Call):
		v.Call, v.Query = "", ""
		v.Error = "Неверный идентификатор вызова."
		write(http.StatusUnprocessableEntity)
		return
	case !plainText(v.Query, maxSearch):
		v.Query = ""
		v.Error = fmt.Sprintf("Строка поиска — не длиннее %d символов.", maxSearch)
		write(http.StatusUnprocessableEntity)
		return
	case s.Journal == nil:
		v.Error = "Электронный журнал недоступен: сценарии не показаны."
		write(http.StatusServiceUnavailable)
		return
	}
	ctx := r.Context()
	topics := map[string]string{}
	if ts, err := s.Journal.Topics(ctx, "", ""); err == nil {
		for _, t := range ts {
			topics[t.Code] = t.Title
		}
	} else {
		_, v.Error = s.failure(r, "scripts: topics", err)
		write(http.StatusOK)
		return
	}
	if v.Topic != "" {
		title, ok := topics[v.Topic]
		if !ok {
			// An answer, not a malformed request: the card's topic list may be older than the catalogue.
			v.Error = "Тематика «" + v.Topic + "» не найдена в каталоге."
		} else if err := s.topicScripts(r, u, &v, title); err != nil {
			_, v.Error = s.failure(r, "scripts", err)
		}
	}
	if v.Query != "" {
		v.Searched = true
		found, err := s.Journal.SearchScripts(ctx, v.Query)
		if err != nil {
			_, v.Error = s.failure(r, "scripts: search", err)
		}
		for _, sc := range found {
			if sc.Topic == v.Topic {
				continue // shown above
			}
			v.Found = append(v.Found, scriptView{ID: sc.ID, Title: sc.Title, Text: sc.Text, Topic: cmp.Or(topics[sc.Topic], sc.Topic)})
		}
	}
	write(http.StatusOK)
}

// topicScripts fills v with the topic's scripts and, under each, the specialists it recommends
// with their presence now; a transfer button for a free one when v.Call is the user's call.
func (s *Server) topicScripts(r *http.Request, u User, v *scriptsView, title string) error {
	ctx := r.Context()
	v.TopicTitle = title
	scripts, err := s.Journal.Scripts(ctx, v.Topic)
	if err != nil {
		return err
	}
	specs, err := s.Journal.RecommendedSpecialists(ctx, v.Topic) // the active level-2 ones
	if err != nil {
		return err
	}
	byID := make(map[int64]hotline.Operator, len(specs))
	for _, o := range specs {
		byID[o.ID] = o
	}
	snap := s.snapshot(ctx)
	inCall := false
	if c := liveCall(snap, operatorOf(snap, u.OperatorID)); c != nil {
		if v.Call == "" {
			// A card opened apart from the call (the case's edit page after «Сохранить»): the
			// transfer is of the user's own call, the only one they may transfer.
			v.Call = c.ID
		}
		inCall = c.ID == v.Call && c.OperatorID == u.OperatorID && c.Phase == switchboard.PhaseTalking && c.TransferTo == 0
	}
	for _, sc := range scripts {
		sv := scriptView{ID: sc.ID, Title: sc.Title, Text: sc.Text, Topic: title}
		for _, id := range sc.Recommended {
			o, ok := byID[id]
			if !ok || id == u.OperatorID {
				continue
			}
			sp := specialistView{ID: o.ID, Name: o.Name, Extension: o.Extension, State: "нет сведений"}
			if live := operatorOf(snap, id); live != nil {
				sp.Presence, sp.State = string(live.Presence), stateText(live.Presence)
				sp.CanTransfer = inCall && live.Presence == hotline.PresenceAvailable
			} else if snap != nil {
				sp.Presence, sp.State = string(hotline.PresenceLoggedOut), stateText(hotline.PresenceLoggedOut)
			}
			sv.Specialists = append(sv.Specialists, sp)
		}
		v.Scripts = append(v.Scripts, sv)
	}
	return nil
}

// colleagueBlock is «Доступность операторов» at snapshot snap, rendered once for every open /work
// page: with twenty operators each following the feed, rendering the rows, or the whole block,
// per page per change was most of the streams' cost (docs/benchmark.md, "Session 15, the
// workplace's event streams"). The block is looked up by what it shows, not by the snapshot's
// Seq: most steps change a call or the queue, not an operator, and return the same block, so a
// stream can tell by the pointer that it has sent it already. Each page leaves out its own row
// (colleagueBlock.without).
func (s *Server) colleagueBlock(snap switchboard.Snapshot, levels map[int64]hotline.Level) *colleagueBlock {
	in := make([]colleagueRow, len(snap.Operators))
	for i, o := range snap.Operators {
		in[i] = colleagueRow{ID: o.ID, Name: o.Name, Extension: o.Extension,
			Level: levelText(levels[o.ID]), Presence: string(o.Presence), State: stateText(o.Presence)}
	}
	c := &s.colleagues
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.recent {
		if e != nil && slices.Equal(e.in, in) {
			return e
		}
	}
	b := &colleagueBlock{in: in, rows: make([]renderedRow, 0, len(in))}
	all := colleaguesView{Known: true}
	for _, row := range in {
		html, err := s.part("work-colleague-row", row)
		if err != nil {
			s.log().Error("web: colleagues", "err", err)
			continue
		}
		b.rows = append(b.rows, renderedRow{id: row.ID, html: template.HTML(html)}) // our template's own output
		all.Rows = append(all.Rows, template.HTML(html))
	}
	var err error
	if b.html, err = s.part("work-colleagues", all); err != nil {
		b.err = err
	}
	c.recent[c.next] = b
	c.next = (c.next + 1) % len(c.recent)
	return b
}

// colleagueCache holds the last few colleague blocks rendered (colleagueBlock): the pages render
// at the same instants (nextRender), but an urgent change renders one page in between.
type colleagueCache struct {
	mu     sync.Mutex
	recent [8]*colleagueBlock
	next   int
}

// colleagueBlock is the block #colleagues at one state, with every operator's row.
type colleagueBlock struct {
	in   []colleagueRow // what it shows
	rows []renderedRow
	html string // "work-colleagues" with every row
	err  error  // html could not be rendered
}

type renderedRow struct {
	id   int64
	html template.HTML
}

// without is the block as operator op sees it: without their own row. The template writes each
// row followed by a newline, so cutting that out is what rendering it without the row would give
// (TestColleagueBlockWithoutIsTheTemplatesOwn), except for a page left with no row at all.
func (b *colleagueBlock) without(s *Server, op int64) (string, error) {
	if b.err != nil {
		return "", b.err
	}
	for _, r := range b.rows {
		if r.id != op {
			continue
		}
		if len(b.rows) == 1 {
			return s.part("work-colleagues", colleaguesView{Known: true})
		}
		cut := string(r.html) + "\n"
		i := strings.Index(b.html, cut)
		if i < 0 {
			return "", fmt.Errorf("web: colleagues: the row of operator %d is not in the block", op)
		}
		return b.html[:i] + b.html[i+len(cut):], nil
	}
	return b.html, nil
}

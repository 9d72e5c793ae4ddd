package web

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
	"github.com/hotline-dev/hotline/switchboard"
)

// The administrator's «На рассмотрении» queue (§6): the cases operators closed, waiting for the
// administrator to check and approve the result (or the extension of the deadline), or to return
// them to their owner with a reason.
func (s *Server) reviewRoutes() []Route {
	return []Route{
		{Pattern: "GET /admin/review", Allow: Administrator, Title: "На рассмотрении", handle: s.reviewPage},
		{Pattern: "GET /admin/review/events", Allow: Administrator, Title: "На рассмотрении: счётчик (SSE)", handle: s.reviewEvents},
		{Pattern: "POST /admin/review/approve", Allow: Administrator, Title: "На рассмотрении: утвердить", handle: s.reviewApprove},
		{Pattern: "POST /admin/review/return", Allow: Administrator, Title: "На рассмотрении: вернуть с причиной", handle: s.reviewReturn},
	}
}

// reviewAlertAfter is how long a case may wait for the administrator before the page raises the
// alert. The manual sets no deadline for the check; half a working day means a case closed in the
// morning is approved the same day, and its owner, who may not touch it while it waits, is not
// kept from it overnight.
const reviewAlertAfter = 4 * time.Hour

// reviewBatch bounds one approve or return: the selection of one page of the queue (the page
// shows at most this many), and a request that stays short (each case is its own transaction).
const reviewBatch = 500

// reviewPoll is how often the review page's stream reads the queue's count from the journal: the
// counter on another open page falls within it after an approval.
const reviewPoll = time.Second

// maxReviewForm bounds the approve/return form: reviewBatch ids and a reason.
const maxReviewForm = 64 << 10

// reviewView is the page /admin/review.
type reviewView struct {
	Queue  reviewCount
	Rows   []reviewRow
	Reason string // the reason typed, kept after a refusal
	Batch  int    // reviewBatch, for the page's note
	// MaxReason bounds the reason field (hotline.MaxCommentLen, the rule's own limit).
	MaxReason int
}

// reviewCount is the live part of the page: the counter and the alert (templates "review-count"
// and "review-alert", also sent by the event stream).
type reviewCount struct {
	N       int
	Waiting int           // cases waiting longer than After
	After   string        // reviewAlertAfter in words
	Oldest  time.Time     // the longest-waiting case went under review then
	Longest time.Duration // how long it has waited
}

// Late reports whether any case waited longer than the threshold.
func (c reviewCount) Late() bool { return c.Waiting > 0 }

// LongestText is how long the longest-waiting case has waited, in hours and minutes.
func (c reviewCount) LongestText() string { return hoursText(c.Longest) }

type reviewRow struct {
	ID         int64
	Version    int64 // as shown: the approve or return of a case written since is refused
	Number     string
	Registered time.Time
	Since      time.Time // under review since (its closing)
	Waited     string
	Late       bool
	Owner      string
	ClosedBy   string // who closed it: the name of the login in its history
	Type       hotline.CaseType
	Topic      string
	Caller     string
	Person     string
	Result     string
	Comment    string
	ExtendTo   time.Time // an extension asked: the new review date
	Due        time.Time
}

// hoursText is a duration as the page says it: «5 ч 07 мин», «12 мин».
func hoursText(d time.Duration) string {
	d = max(d, 0).Round(time.Minute)
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	if h == 0 {
		return fmt.Sprintf("%d мин", m)
	}
	return fmt.Sprintf("%d ч %02d мин", h, m)
}

// reviewCounts reads the queue's size and its waiting from the journal, as of the journal's clock.
func (s *Server) reviewCounts(ctx context.Context) (reviewCount, error) {
	now := s.Journal.Now()
	q, err := s.Journal.ReviewWaiting(ctx, now.Add(-reviewAlertAfter))
	if err != nil {
		return reviewCount{}, fmt.Errorf("count the cases under review: %w", err)
	}
	c := reviewCount{N: q.N, Waiting: q.Waiting, After: hoursText(reviewAlertAfter), Oldest: q.Oldest}
	if !q.Oldest.IsZero() {
		c.Longest = now.Sub(q.Oldest)
	}
	return c, nil
}

func (s *Server) reviewPage(w http.ResponseWriter, r *http.Request, u User) {
	s.renderReview(w, r, u, http.StatusOK, "", "", "")
}

// renderReview renders the queue as it is now, with what was just done (notice) or refused (errMsg).
func (s *Server) renderReview(w http.ResponseWriter, r *http.Request, u User, status int, notice, errMsg, reason string) {
	data := pageData{Title: "На рассмотрении", User: &u, Notice: notice, Error: errMsg}
	if s.Journal == nil {
		data.Error = "Электронный журнал недоступен."
		s.render(w, r, http.StatusServiceUnavailable, "review", data)
		return
	}
	v, err := s.reviewList(r.Context())
	if err != nil {
		st, msg := s.failure(r, "review queue", err)
		data.Error = strings.TrimSpace(errMsg + " " + msg)
		s.render(w, r, st, "review", data)
		return
	}
	v.Reason = reason
	data.Data = v
	s.render(w, r, status, "review", data)
}

func (s *Server) reviewList(ctx context.Context) (*reviewView, error) {
	counts, err := s.reviewCounts(ctx)
	if err != nil {
		return nil, err
	}
	cases, err := s.Journal.UnderReview(ctx, reviewBatch)
	if err != nil {
		return nil, fmt.Errorf("list the cases under review: %w", err)
	}
	topics, err := s.topicTitles(ctx)
	if err != nil {
		return nil, err
	}
	names, byLogin, err := s.operatorNames(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(cases))
	for i, c := range cases {
		ids[i] = c.ID
	}
	closers, err := s.Journal.ClosedBy(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("read who closed the cases: %w", err)
	}
	now := s.Journal.Now()
	v := &reviewView{Queue: counts, Batch: reviewBatch, MaxReason: hotline.MaxCommentLen}
	for _, c := range cases {
		row := reviewRow{ID: c.ID, Version: c.Version, Number: c.Number, Registered: c.CreatedAt, Since: c.UpdatedAt,
			Waited: hoursText(now.Sub(c.UpdatedAt)), Late: now.Sub(c.UpdatedAt) > reviewAlertAfter,
			Type: c.Type, Topic: c.Topic, Caller: c.CallerNumber, Person: c.Person.FullName,
			Result: resultText(c.Result), Comment: c.Comment, ExtendTo: c.ExtendTo, Due: c.DueAt}
		if t, ok := topics[c.Topic]; ok {
			row.Topic = t
		}
		row.Owner = names[c.OwnerID]
		if row.Owner == "" && c.OwnerID != 0 {
			row.Owner = fmt.Sprintf("оператор %d", c.OwnerID)
		}
		// Its owner, or an administrator acting for them.
		if login := closers[c.ID]; login != "" {
			row.ClosedBy = cmp.Or(byLogin[login], login)
		}
		v.Rows = append(v.Rows, row)
	}
	return v, nil
}

// operatorNames maps every operator's id, and login, removed ones too, to their name.
func (s *Server) operatorNames(ctx context.Context) (byID map[int64]string, byLogin map[string]string, err error) {
	ops, err := s.Journal.Operators(ctx, journal.OperatorFilter{IncludeRemoved: true})
	if err != nil {
		return nil, nil, fmt.Errorf("read the operators: %w", err)
	}
	byID, byLogin = make(map[int64]string, len(ops)), make(map[string]string, len(ops))
	for _, o := range ops {
		byID[o.ID] = o.Name
		if o.Login != "" {
			byLogin[o.Login] = o.Name
		}
	}
	return byID, byLogin, nil
}

// reviewEvents is the review page's stream: the counter and the alert, read from the journal
// every reviewPoll; the stream sends each only when it changed.
func (s *Server) reviewEvents(w http.ResponseWriter, r *http.Request, u User) {
	if !s.journalOr503(w, r) {
		return
	}
	// The stream renders after every change of the live state too (many a second when calls are
	// busy); the count lives in the journal, so it is read at most about once per poll.
	var (
		readAt time.Time
		last   []Event
	)
	s.stream(w, r, u, reviewPoll, nil, func(ctx context.Context, _ switchboard.Snapshot) ([]Event, error) {
		if last != nil && time.Since(readAt) < reviewPoll/2 {
			return last, nil
		}
		readAt = time.Now()
		c, err := s.reviewCounts(ctx)
		if err != nil {
			return nil, err
		}
		count, err := s.part("review-count", c)
		if err != nil {
			return nil, err
		}
		alert, err := s.part("review-alert", c)
		if err != nil {
			return nil, err
		}
		last = []Event{{Name: "count", Data: count}, {Name: "alert", Data: alert}}
		return last, nil
	})
}

// reviewSelection reads the form's selected cases (case=<id>, at most reviewBatch) and, when
// withReason, the reason. A refusal is a message for the page, nothing having been done.
func (s *Server) reviewSelection(w http.ResponseWriter, r *http.Request, withReason bool) (ids []int64, versions map[int64]int64, reason, refusal string) {
	r.Body = http.MaxBytesReader(w, r.Body, maxReviewForm)
	if err := r.ParseForm(); err != nil {
		return nil, nil, "", "Форма не прочитана: слишком длинная или повреждённая. Ничего не изменено."
	}
	reason = strings.TrimSpace(r.PostForm.Get("reason"))
	vals := r.PostForm["case"]
	if len(vals) == 0 {
		return nil, nil, reason, "Отметьте обращения. Ничего не изменено."
	}
	if len(vals) > reviewBatch {
		return nil, nil, reason, fmt.Sprintf("Отмечено %d обращений; за один раз — не больше %d. Ничего не изменено.", len(vals), reviewBatch)
	}
	seen := map[int64]bool{}
	for _, v := range vals {
		id, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || id <= 0 {
			return nil, nil, reason, "Неверный выбор обращений. Ничего не изменено."
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	// The version of each case as the page showed it (version-<id>): a case written since is
	// refused, not approved or returned unseen.
	versions = make(map[int64]int64, len(ids))
	for _, id := range ids {
		v, err := strconv.ParseInt(r.PostForm.Get("version-"+strconv.FormatInt(id, 10)), 10, 64)
		if err != nil || v <= 0 {
			return nil, nil, reason, "Страница устарела: обновите список и отметьте обращения снова. Ничего не изменено."
		}
		versions[id] = v
	}
	if withReason {
		switch {
		case reason == "":
			return nil, nil, reason, "Укажите причину возврата. Ничего не изменено."
		case !utf8.ValidString(reason) || utf8.RuneCountInString(reason) > hotline.MaxCommentLen:
			return nil, nil, "", fmt.Sprintf("Причина возврата слишком длинная: не больше %d знаков. Ничего не изменено.", hotline.MaxCommentLen)
		}
	}
	return ids, versions, reason, ""
}

func (s *Server) reviewApprove(w http.ResponseWriter, r *http.Request, u User) {
	s.reviewAct(w, r, u, false)
}

func (s *Server) reviewReturn(w http.ResponseWriter, r *http.Request, u User) {
	s.reviewAct(w, r, u, true)
}

// reviewAct approves or returns (with the reason) each selected case, each its own change with its
// own history entry, and reports each: those done, and those refused with why (another
// administrator approved it meanwhile, it was never under review...). Only the selected cases
// change.
func (s *Server) reviewAct(w http.ResponseWriter, r *http.Request, u User, returning bool) {
	if !s.journalOr503(w, r) {
		return
	}
	ids, versions, reason, refusal := s.reviewSelection(w, r, returning)
	if refusal != "" {
		s.renderReview(w, r, u, http.StatusUnprocessableEntity, "", refusal, reason)
		return
	}
	ctx := r.Context()
	var done []string
	var refused []string
	status := http.StatusOK
	for _, id := range ids {
		var (
			c   hotline.Case
			err error
		)
		if returning {
			c, err = s.Journal.ReturnCaseAt(ctx, u.Actor(), id, reason, versions[id])
		} else {
			c, err = s.Journal.ApproveCaseAt(ctx, u.Actor(), id, versions[id])
		}
		if err != nil {
			st, msg := s.failure(r, "review", err)
			if errors.Is(err, journal.ErrStaleVersion) {
				msg = "Данные уже изменились: обращение изменено после того, как список был показан; обновите список и проверьте его снова."
			}
			if len(done) == 0 && len(refused) == 0 {
				status = st
			}
			refused = append(refused, s.caseLabel(ctx, id)+": "+msg)
			continue
		}
		done = append(done, c.Number)
	}
	if len(done) > 0 {
		status = http.StatusOK
	}
	what := "Утверждено"
	if returning {
		what = "Возвращено на доработку"
	}
	var notice, errMsg string
	if len(done) > 0 {
		notice = fmt.Sprintf("%s: %d (%s).", what, len(done), strings.Join(done, ", "))
	}
	if len(refused) > 0 {
		errMsg = fmt.Sprintf("Не выполнено: %d. %s", len(refused), strings.Join(refused, "; "))
	}
	s.log().Info("web: review", "login", u.Login, "return", returning, "done", len(done), "refused", len(refused))
	keep := ""
	if len(refused) > 0 && returning {
		keep = reason
	}
	s.renderReview(w, r, u, status, notice, errMsg, keep)
}

// caseLabel is how a report names case id: its number, or #id when it cannot be read.
func (s *Server) caseLabel(ctx context.Context, id int64) string {
	if c, err := s.Journal.Case(ctx, id); err == nil {
		return c.Number
	}
	return "#" + strconv.FormatInt(id, 10)
}

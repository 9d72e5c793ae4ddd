package web

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
)

// The registration card (§5.1.2–§5.1.7, §5.2.1) and its edit and close in the electronic journal
// (§6.1, §6.2): one form for a new case (from a call or a letter) and for an edit, with the
// caller's earlier cases to link, a document to attach, a draft kept on the server as the
// operator types, and a version that refuses a save based on a card someone else changed since.
func (s *Server) cardRoutes() []Route {
	return []Route{
		{Pattern: "GET /cards/new", Allow: AnyUser, Title: "Регистрационная карта: новое обращение", handle: s.newCardPage},
		{Pattern: "POST /cards", Allow: AnyUser, Title: "Регистрационная карта: сохранить новое обращение", handle: s.createCard},
		{Pattern: "GET /cards/topics", Allow: AnyUser, Title: "Регистрационная карта: тематики типа (фрагмент)", handle: s.cardTopics},
		{Pattern: "POST /cards/draft", Allow: AnyUser, Title: "Регистрационная карта: черновик", handle: s.saveCardDraft},
		{Pattern: "GET /cases/{id}/edit", Allow: AnyUser, Title: "Редактирование обращения", handle: s.editCardPage},
		{Pattern: "POST /cases/{id}", Allow: AnyUser, Title: "Редактирование обращения: сохранить", handle: s.updateCard},
		{Pattern: "POST /cases/{id}/close", Allow: AnyUser, Title: "Закрыть обращение", handle: s.closeCard},
		{Pattern: "POST /cases/{id}/in-progress", Allow: AnyUser, Title: "Отсроченный ответ: установить статус «В работе»", handle: s.setCardInProgress},
		{Pattern: "GET /cases/{id}/files/{att}", Allow: AnyUser, Title: "Документ обращения", handle: s.caseFile},
	}
}

// Limits of the card's forms.
const (
	// MaxAttachmentBytes is the largest document a card accepts (a scanned letter of a few pages).
	MaxAttachmentBytes = 10 << 20
	// maxCardFields bounds the text of a card's form: every field at its domain limit fits.
	maxCardFields = 64 << 10
	maxCardParts  = 200 // form fields and files in one card post (links included)
)

// attachmentTypes are the documents a card accepts, by the type sniffed from their first bytes
// (never the name or the type the browser claims): PDF, JPEG, PNG, UTF-8 plain text, and Word
// (DOCX) and OpenDocument (ODT) texts, which are ZIP files recognised by their entries.
var attachmentTypes = map[string]string{
	"application/pdf":           ".pdf",
	"image/jpeg":                ".jpg",
	"image/png":                 ".png",
	"text/plain; charset=utf-8": ".txt",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
	"application/vnd.oasis.opendocument.text":                                 ".odt",
}

// contentTypeOf is the type a stored document is served with, by its extension (which the server
// chose from the sniffed type).
func contentTypeOf(name string) string {
	ext := filepath.Ext(name)
	for t, e := range attachmentTypes {
		if e == ext {
			return t
		}
	}
	return "application/octet-stream"
}

// channelNames are the channels a card without a call is registered for (§5.2.1).
var channelNames = []option{
	{Value: string(hotline.ChannelWritten), Text: "Письменное обращение"},
	{Value: string(hotline.ChannelEmail), Text: "Электронная почта"},
	{Value: string(hotline.ChannelInPerson), Text: "Личный приём"},
}

// cardForm is what the card's form holds, as typed: it goes back to the page on a refusal, so
// nothing typed is lost, and into the draft.
type cardForm struct {
	Channel, Type, Topic, CallerNumber, FullName, BirthDate, PolicyNumber, Address, Description string
	DocumentNumber, RegisteredOn                                                                string
	Links                                                                                       []int64
	Version                                                                                     int64
	// The close block («Принятые меры»).
	Result, Comment, ForwardTo, ExtendTo string
}

// cardView is the card page's Data.
type cardView struct {
	New      bool
	Action   string // where the form posts
	CallID   string // the switchboard's call id (the caller's channel id); "" without a call
	Call     *hotline.Call
	Case     hotline.Case // an edit: the case as stored
	Status   string
	Form     cardForm
	Errors   map[string]string // by field name: shown beside it, role=alert, aria-describedby
	Types    []option
	Topics   []option
	Channels []option
	History  []earlierCase // the caller's earlier cases (§5.1.7)
	// Conflict is the case as someone else saved it since this card was opened.
	Conflict    *hotline.Case
	ConflictTxt conflictText
	Attachments []hotline.Attachment
	Editable    bool // the user may save the card (hotline.Case.Editable)
	Closable    bool // in progress: the «Принятые меры» block
	Delayed     bool // a delayed answer: «Установить статус „В работе“»
	Results     []option
	Specialists []option // level-2 operators a case may be forwarded to
	MaxFileMiB  int
	Today       string
	Insured     *insuredSearchView // a new card's search of the register (§5.1.3, web/insured.go)
	// The domain's limits, for maxlength.
	MaxName, MaxShort, MaxAddress, MaxDescription, MaxComment int
}

type earlierCase struct {
	ID      int64
	Number  string
	Created time.Time
	Type    string
	Status  string
	Linked  bool
}

type conflictText struct {
	Type, Topic, CallerNumber, FullName, BirthDate, PolicyNumber, Address, Description, Status string
}

func (s *Server) journalOr503(w http.ResponseWriter, r *http.Request) bool {
	if s.Journal == nil {
		s.errorPage(w, r, http.StatusServiceUnavailable, "Электронный журнал недоступен.")
		return false
	}
	return true
}

// filesDir is where attached documents are kept: Server.Files, or beside the journal.
func (s *Server) filesDir() (string, error) {
	dir := s.Files
	if dir == "" {
		dir = s.Journal.Path() + ".files"
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("web: documents directory: %w", err)
	}
	return dir, nil
}

// newView is a card view with the lists every card shows.
func (s *Server) newView(ctx context.Context, f cardForm) (*cardView, error) {
	v := &cardView{Form: f, Errors: map[string]string{}, MaxFileMiB: MaxAttachmentBytes >> 20,
		Today: time.Now().Format(hotline.DateLayout), MaxName: hotline.MaxNameLen, MaxShort: hotline.MaxShortLen,
		MaxAddress: hotline.MaxAddressLen, MaxDescription: hotline.MaxDescriptionLen, MaxComment: hotline.MaxCommentLen}
	v.Types = caseTypeOptions(f.Type)
	var err error
	if v.Topics, err = s.topicOptions(ctx, hotline.CaseType(f.Type), "", f.Topic); err != nil {
		return nil, err
	}
	for _, c := range channelNames {
		c.Selected = c.Value == f.Channel
		v.Channels = append(v.Channels, c)
	}
	return v, nil
}

// topicOptions are the topics of type typ (none before a type is chosen) matching keyword.
func (s *Server) topicOptions(ctx context.Context, typ hotline.CaseType, keyword, selected string) ([]option, error) {
	if !typ.Valid() {
		return nil, nil
	}
	ts, err := s.Journal.Topics(ctx, typ, keyword)
	if err != nil {
		return nil, err
	}
	out := make([]option, 0, len(ts))
	for _, t := range ts {
		out = append(out, option{Value: t.Code, Text: t.Title, Selected: t.Code == selected})
	}
	return out, nil
}

// --- a new card ---

func (s *Server) newCardPage(w http.ResponseWriter, r *http.Request, u User) {
	if !s.journalOr503(w, r) {
		return
	}
	ctx := r.Context()
	callID := strings.TrimSpace(r.URL.Query().Get("call"))
	f := cardForm{Channel: string(hotline.ChannelWritten)}
	notice := ""
	if d, err := s.Journal.Draft(ctx, u.Actor(), newDraftKey(callID)); err == nil {
		f = formFromDraft(d)
		notice = "Восстановлен черновик от " + d.UpdatedAt.Local().Format("02.01.2006 15:04:05") + "."
	} else if hotline.ErrorCode(err) != hotline.ENOTFOUND {
		s.fail(w, r, u, "read draft", err)
		return
	}
	v, call, err := s.newCardView(ctx, u, f, callID)
	if err != nil {
		s.fail(w, r, u, "new card", err)
		return
	}
	if call != nil && f.CallerNumber == "" {
		if call.CallerValid {
			v.Form.CallerNumber = call.CallerNumber
		} else {
			// "anonymous", a short or foreign number: not a number to call back.
			notice = strings.TrimSpace(notice + " Номер звонящего не определён: уточните его у обратившегося.")
		}
	}
	s.render(w, r, http.StatusOK, "card", pageData{Title: "Регистрационная карта", User: &u, Notice: notice, Data: v})
}

func newDraftKey(callID string) string {
	if callID == "" {
		return journal.DraftKeyNew
	}
	return journal.DraftKeyCall(callID)
}

// newCardView is the view of a new card, for call callID ("" for none).
func (s *Server) newCardView(ctx context.Context, u User, f cardForm, callID string) (*cardView, *hotline.Call, error) {
	v, err := s.newView(ctx, f)
	if err != nil {
		return nil, nil, err
	}
	v.New, v.Action, v.CallID = true, "/cards", callID
	v.Insured = newInsuredSearch()
	if callID == "" {
		return v, nil, nil
	}
	// Only the switchboard's call id (the caller's channel id), and only a call the user is or was
	// on: the card shows the caller's number and earlier cases.
	call, err := s.Journal.CallOf(ctx, u.Actor(), callID)
	if err != nil {
		return nil, nil, err
	}
	v.Call = &call
	if call.CallerValid {
		earlier, err := s.Journal.CallerHistory(ctx, journal.CallerQuery{Number: call.CallerNumber}, 50)
		if err != nil {
			return nil, nil, err
		}
		for _, c := range earlier {
			v.History = append(v.History, earlierCase{ID: c.ID, Number: c.Number, Created: c.CreatedAt, Type: caseTypeText(c.Type),
				Status: caseStatusText(c.Status), Linked: slices.Contains(f.Links, c.ID)})
		}
	}
	return v, &call, nil
}

func (s *Server) createCard(w http.ResponseWriter, r *http.Request, u User) {
	if !s.journalOr503(w, r) {
		return
	}
	ctx := r.Context()
	in, err := s.readCard(w, r)
	if err != nil {
		s.errorPage(w, r, http.StatusBadRequest, "Форма не прочитана: слишком большая или повреждённая.")
		return
	}
	defer in.discard()
	callID := strings.TrimSpace(in.values.Get("call"))
	f := formOf(in.values)
	v, call, err := s.newCardView(ctx, u, f, callID)
	if err != nil {
		s.fail(w, r, u, "new card", err)
		return
	}
	c := hotline.Case{Channel: hotline.Channel(f.Channel)}
	if call != nil {
		c.Channel = hotline.ChannelPhone
	} else if !slices.ContainsFunc(channelNames, func(o option) bool { return o.Value == f.Channel }) {
		v.Errors["channel"] = "Выберите, как поступило обращение."
	}
	if err := s.checkCard(ctx, f, v.Errors); err != nil {
		s.cardFailure(w, r, u, "Регистрационная карта", "Обращение не сохранено.", v, err)
		return
	}
	att := s.checkAttachment(in, f, v.Errors)
	if len(v.Errors) > 0 {
		s.render(w, r, http.StatusUnprocessableEntity, "card", pageData{Title: "Регистрационная карта", User: &u,
			Error: "Обращение не сохранено: исправьте отмеченные поля.", Data: v})
		return
	}
	c.Type, c.Topic, c.CallerNumber = hotline.CaseType(f.Type), f.Topic, f.CallerNumber
	c.Person = hotline.Person{FullName: f.FullName, BirthDate: f.BirthDate, PolicyNumber: f.PolicyNumber, Address: f.Address}
	c.Description = f.Description
	card := journal.Card{Case: &c, Links: f.Links, Attachment: att}
	if call != nil {
		card.CallID = call.ID
	}
	stored, err := s.keepFile(in, att)
	if err == nil {
		err = s.Journal.OpenCard(ctx, u.Actor(), card)
		if err != nil {
			stored.remove(s)
		}
	}
	if err != nil {
		status, msg := s.failure(r, "register a card", err)
		s.render(w, r, status, "card", pageData{Title: "Регистрационная карта", User: &u, Error: "Обращение не сохранено. " + msg, Data: v})
		return
	}
	if err := s.Journal.DropDraft(ctx, u.Actor(), newDraftKey(callID)); err != nil {
		s.log().Warn("web: dropping a saved card's draft", "login", u.Login, "err", err)
	}
	s.log().Info("web: case registered", "login", u.Login, "case", c.Number, "call", callID)
	http.Redirect(w, r, fmt.Sprintf("/cases/%d/edit?saved=1", c.ID), http.StatusSeeOther)
}

// --- the form ---

// cardInput is a card's post: its fields and the uploaded file, kept in a temporary file in the
// documents directory until the journal has it.
type cardInput struct {
	values  url.Values
	tmp     string // the uploaded file, "" when none
	size    int64
	tooBig  bool
	badPart bool // a text field over the form's limit
	// twoFiles: the post held a second file (the card takes one). It is not kept, the fields
	// around it are, and the page says so.
	twoFiles bool
	head     []byte
}

func (in *cardInput) discard() {
	if in.tmp != "" {
		os.Remove(in.tmp)
	}
}

// readCard reads a card's post: urlencoded, or multipart with a file. The file's part is copied
// to a temporary file up to MaxAttachmentBytes; a larger one is noted (tooBig) and the fields
// around it are still read, so that the page can say what was wrong and keep what was typed (the
// form puts the file last).
func (s *Server) readCard(w http.ResponseWriter, r *http.Request) (*cardInput, error) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxAttachmentBytes+maxCardFields+(64<<10))
	in := &cardInput{values: url.Values{}}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "multipart/form-data" {
		r.Body = http.MaxBytesReader(w, r.Body, maxCardFields)
		if err := r.ParseForm(); err != nil {
			return nil, err
		}
		in.values = r.PostForm
		return in, nil
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, err
	}
	text := 0
	for n := 0; ; n++ {
		p, err := mr.NextPart()
		if err == io.EOF {
			return in, nil
		}
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) && (in.tooBig || in.twoFiles) {
			return in, nil // the rest of an oversized or second file: what came before it is read
		}
		if err != nil {
			in.discard()
			return nil, err
		}
		if n >= maxCardParts {
			in.discard()
			return nil, errors.New("web: too many parts in a card")
		}
		name := p.FormName()
		if name == "file" && p.FileName() != "" {
			if in.tmp != "" || in.tooBig {
				in.twoFiles = true
				if _, err := io.Copy(io.Discard, p); err != nil {
					if errors.As(err, &mbe) {
						return in, nil
					}
					in.discard()
					return nil, err
				}
				continue
			}
			if err := s.spool(in, p); err != nil {
				var mbe *http.MaxBytesError
				if errors.As(err, &mbe) && in.tooBig {
					return in, nil
				}
				in.discard()
				return nil, err
			}
			continue
		}
		if name == "file" {
			continue // no file chosen
		}
		b, err := io.ReadAll(io.LimitReader(p, int64(maxCardFields-text)+1))
		if err != nil {
			in.discard()
			return nil, err
		}
		text += len(b)
		if text > maxCardFields {
			in.discard()
			return nil, errors.New("web: a card's fields are too long")
		}
		in.values.Add(name, string(b))
	}
}

// spool copies an uploaded file to a temporary file in the documents directory.
func (s *Server) spool(in *cardInput, p io.Reader) error {
	dir, err := s.filesDir()
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".upload-*")
	if err != nil {
		return err
	}
	in.tmp = f.Name()
	n, err := io.Copy(f, io.LimitReader(p, MaxAttachmentBytes+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	in.size = n
	if err != nil {
		return err
	}
	if n > MaxAttachmentBytes {
		in.tooBig = true
		os.Remove(in.tmp)
		in.tmp = ""
		_, err := io.Copy(io.Discard, p)
		return err
	}
	return nil
}

// formOf reads the card's fields as typed (trimmed of surrounding spaces; otherwise as typed).
func formOf(v url.Values) cardForm {
	g := func(k string) string { return strings.TrimSpace(v.Get(k)) }
	f := cardForm{Channel: g("channel"), Type: g("type"), Topic: g("topic"), CallerNumber: g("caller_number"),
		FullName: g("full_name"), BirthDate: g("birth_date"), PolicyNumber: g("policy_number"), Address: g("address"),
		Description: g("description"), DocumentNumber: g("document_number"), RegisteredOn: g("registered_on"),
		Result: g("result"), Comment: g("comment"), ForwardTo: g("forward_to"), ExtendTo: g("extend_to")}
	seen := map[int64]bool{}
	for _, l := range v["link"] {
		for _, p := range strings.Split(l, ",") {
			if id, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64); err == nil && id > 0 && !seen[id] {
				seen[id] = true
				f.Links = append(f.Links, id)
			}
		}
	}
	f.Version, _ = strconv.ParseInt(g("version"), 10, 64)
	return f
}

func (f cardForm) draftFields() map[string]string {
	m := map[string]string{"channel": f.Channel, "type": f.Type, "topic": f.Topic, "caller_number": f.CallerNumber,
		"full_name": f.FullName, "birth_date": f.BirthDate, "policy_number": f.PolicyNumber, "address": f.Address,
		"description": f.Description, "document_number": f.DocumentNumber, "registered_on": f.RegisteredOn,
		"result": f.Result, "comment": f.Comment, "forward_to": f.ForwardTo, "extend_to": f.ExtendTo}
	ids := make([]string, len(f.Links))
	for i, id := range f.Links {
		ids[i] = strconv.FormatInt(id, 10)
	}
	m["link"] = strings.Join(ids, ",")
	for k, v := range m {
		if v == "" {
			delete(m, k)
		}
	}
	return m
}

func formFromDraft(d journal.Draft) cardForm {
	v := url.Values{}
	for k, x := range d.Fields {
		v.Set(k, x)
	}
	f := formOf(v)
	f.Version = d.Version
	return f
}

// cardFailure shows card v again, with what was typed, after the journal failed (not refused the
// input): lead says what was not done, s.failure the why.
func (s *Server) cardFailure(w http.ResponseWriter, r *http.Request, u User, title, lead string, v *cardView, err error) {
	status, msg := s.failure(r, "check a card", err)
	s.render(w, r, status, "card", pageData{Title: title, User: &u, Error: lead + " " + msg, Data: v})
}

// tooLong is the message for a field over its limit.
func tooLong(max int, s string) string {
	return fmt.Sprintf("Не более %d символов (введено %d).", max, utf8.RuneCountInString(s))
}

// checkCard checks the card's fields and notes what is wrong with each, in Russian, by field.
// The card needs a type and a topic to be saved: the manual's card is saved after both are chosen
// (§5.1.4, §5.1.6), a case cannot be closed without them, and what is typed before that is kept
// by the draft — so nothing is lost by refusing an unfinished card. (The journal alone accepts a
// phone case without a type: the handset registers one before anyone knows what it is about.)
//
// It returns the journal's error when it could not look the topic up (a failure, not bad input).
func (s *Server) checkCard(ctx context.Context, f cardForm, errs map[string]string) error {
	for _, x := range []struct {
		name, v string
		max     int
	}{
		{"type", f.Type, hotline.MaxShortLen}, {"topic", f.Topic, hotline.MaxShortLen},
		{"caller_number", f.CallerNumber, hotline.MaxShortLen}, {"full_name", f.FullName, hotline.MaxNameLen},
		{"birth_date", f.BirthDate, hotline.MaxShortLen}, {"policy_number", f.PolicyNumber, hotline.MaxShortLen},
		{"address", f.Address, hotline.MaxAddressLen}, {"description", f.Description, hotline.MaxDescriptionLen},
		{"document_number", f.DocumentNumber, hotline.MaxShortLen}, {"registered_on", f.RegisteredOn, hotline.MaxShortLen},
	} {
		switch {
		case !utf8.ValidString(x.v):
			errs[x.name] = "Текст повреждён: введите его заново."
		case utf8.RuneCountInString(x.v) > x.max:
			errs[x.name] = tooLong(x.max, x.v)
		}
	}
	if errs["type"] == "" {
		switch t := hotline.CaseType(f.Type); {
		case t == "":
			errs["type"] = "Выберите тип обращения."
		case !t.Valid():
			errs["type"] = "Неизвестный тип обращения: выберите из списка."
		}
	}
	if errs["topic"] == "" {
		if f.Topic == "" {
			errs["topic"] = "Выберите тематику обращения."
		} else if tp, err := s.Journal.Topic(ctx, f.Topic); hotline.ErrorCode(err) == hotline.ENOTFOUND {
			errs["topic"] = "Неизвестная тематика: выберите из списка."
		} else if err != nil {
			return fmt.Errorf("web: check the card's topic: %w", err)
		} else if errs["type"] == "" && tp.Type != hotline.CaseType(f.Type) {
			errs["topic"] = "Эта тематика не относится к выбранному типу обращения."
		}
	}
	if f.CallerNumber != "" && errs["caller_number"] == "" {
		if _, ok := s.Journal.PhoneRegion().Normalize(f.CallerNumber); !ok {
			errs["caller_number"] = "Неверный номер телефона: например, +79121234567 или 8 912 123-45-67."
		}
	}
	if f.BirthDate != "" && errs["birth_date"] == "" {
		d, err := time.Parse(hotline.DateLayout, f.BirthDate)
		switch {
		case err != nil:
			errs["birth_date"] = "Неверная дата рождения: укажите дату в виде ГГГГ-ММ-ДД."
		case d.After(time.Now()):
			errs["birth_date"] = "Дата рождения не может быть в будущем."
		case d.Year() < 1900:
			errs["birth_date"] = "Дата рождения не может быть раньше 1900 года."
		}
	}
	return nil
}

// checkAttachment checks the document of a card (§5.2.1: a file goes with its document number and
// registration date) and returns it, or nil when the card has none.
func (s *Server) checkAttachment(in *cardInput, f cardForm, errs map[string]string) *hotline.Attachment {
	hasFile := in.tmp != "" || in.tooBig
	if !hasFile && f.DocumentNumber == "" && f.RegisteredOn == "" {
		return nil
	}
	if in.twoFiles {
		errs["file"] = "Приложите один файл: карта принимает один документ за раз. Выберите файл заново."
	} else if in.tooBig {
		errs["file"] = fmt.Sprintf("Файл слишком большой: не более %d МБ.", MaxAttachmentBytes>>20)
	} else if in.tmp != "" {
		if _, err := sniff(in); err != nil {
			errs["file"] = "Такой файл не принимается: приложите PDF, JPEG, PNG, текст (UTF-8), DOCX или ODT."
		}
	}
	if f.DocumentNumber == "" && errs["document_number"] == "" {
		errs["document_number"] = "Укажите номер документа."
	}
	if errs["registered_on"] == "" {
		d, err := time.Parse(hotline.DateLayout, f.RegisteredOn)
		switch {
		case f.RegisteredOn == "":
			errs["registered_on"] = "Укажите дату регистрации документа."
		case err != nil:
			errs["registered_on"] = "Неверная дата регистрации: укажите дату в виде ГГГГ-ММ-ДД."
		case d.After(time.Now()):
			errs["registered_on"] = "Дата регистрации документа не может быть в будущем."
		}
	}
	return &hotline.Attachment{DocumentNumber: f.DocumentNumber, RegisteredOn: f.RegisteredOn}
}

// sniff is the extension of an uploaded document by its content, or an error for a type the card
// does not accept.
func sniff(in *cardInput) (string, error) {
	f, err := os.Open(in.tmp)
	if err != nil {
		return "", err
	}
	defer f.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	t := http.DetectContentType(head)
	if t == "application/zip" {
		t = officeType(f, in.size)
	}
	if t == "text/plain; charset=utf-8" {
		// DetectContentType looks at 512 bytes; the whole file must be text.
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return "", err
		}
		b, err := io.ReadAll(f)
		if err != nil || !utf8.Valid(b) || bytes.IndexByte(b, 0) >= 0 {
			return "", errors.New("web: not UTF-8 text")
		}
	}
	ext, ok := attachmentTypes[t]
	if !ok {
		return "", fmt.Errorf("web: document type %s not accepted", t)
	}
	return ext, nil
}

// officeType tells a DOCX or an ODT from another ZIP file by its entries.
func officeType(f *os.File, size int64) string {
	z, err := zip.NewReader(f, size)
	if err != nil {
		return "application/zip"
	}
	names := map[string]bool{}
	for _, e := range z.File {
		names[e.Name] = true
	}
	switch {
	case names["[Content_Types].xml"] && names["word/document.xml"]:
		return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	case names["mimetype"] && names["content.xml"]:
		for _, e := range z.File {
			if e.Name == "mimetype" {
				r, err := e.Open()
				if err != nil {
					break
				}
				b, _ := io.ReadAll(io.LimitReader(r, 100))
				r.Close()
				if string(b) == "application/vnd.oasis.opendocument.text" {
					return string(b)
				}
			}
		}
	}
	return "application/zip"
}

// storedFile is a document moved to its place in the documents directory, before the journal has
// it; remove takes it away again when the journal refused the card.
type storedFile struct{ path string }

func (f storedFile) remove(s *Server) {
	if f.path == "" {
		return
	}
	if err := os.Remove(f.path); err != nil {
		s.log().Error("web: removing a document the journal refused", "path", f.path, "err", err)
	}
}

// keepFile moves the uploaded file to its place under a name the server makes (never the user's)
// and sets att.FilePath to it, relative to the documents directory.
func (s *Server) keepFile(in *cardInput, att *hotline.Attachment) (storedFile, error) {
	if att == nil || in.tmp == "" {
		return storedFile{}, nil
	}
	ext, err := sniff(in)
	if err != nil {
		return storedFile{}, err
	}
	dir, err := s.filesDir()
	if err != nil {
		return storedFile{}, err
	}
	b := make([]byte, 16)
	rand.Read(b)
	name := hex.EncodeToString(b) + ext
	if err := os.Rename(in.tmp, filepath.Join(dir, name)); err != nil {
		return storedFile{}, fmt.Errorf("web: storing a document: %w", err)
	}
	in.tmp = ""
	att.FilePath = name
	return storedFile{path: filepath.Join(dir, name)}, nil
}

// --- an edit ---

func (s *Server) caseOf(w http.ResponseWriter, r *http.Request, u User) (hotline.Case, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.errorPage(w, r, http.StatusNotFound, "Обращение не найдено.")
		return hotline.Case{}, false
	}
	c, err := s.Journal.Case(r.Context(), id)
	if err != nil {
		s.fail(w, r, u, "find case", err)
		return hotline.Case{}, false
	}
	return c, true
}

// fail answers a refusal or failure with the error page.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, _ User, what string, err error) {
	status, msg := s.failure(r, what, err)
	s.errorPage(w, r, status, msg)
}

func formOfCase(c hotline.Case) cardForm {
	return cardForm{Channel: string(c.Channel), Type: string(c.Type), Topic: c.Topic, CallerNumber: c.CallerNumber,
		FullName: c.Person.FullName, BirthDate: c.Person.BirthDate, PolicyNumber: c.Person.PolicyNumber,
		Address: c.Person.Address, Description: c.Description, Version: c.Version}
}

// editView is the view of case c's card with form f.
func (s *Server) editView(ctx context.Context, u User, c hotline.Case, f cardForm) (*cardView, error) {
	v, err := s.newView(ctx, f)
	if err != nil {
		return nil, err
	}
	v.Action, v.Case, v.Status = fmt.Sprintf("/cases/%d", c.ID), c, caseStatusText(c.Status)
	v.Editable = c.Editable(u.Actor()) == nil
	v.Closable = v.Editable && c.Status == hotline.StatusInProgress
	v.Delayed = v.Editable && c.Status == hotline.StatusDelayedAnswer
	if v.Attachments, err = s.Journal.Attachments(ctx, c.ID); err != nil {
		return nil, err
	}
	for _, res := range hotline.Results {
		v.Results = append(v.Results, option{Value: string(res), Text: resultWords[res], Selected: string(res) == f.Result})
	}
	ops, err := s.Journal.Operators(ctx, journal.OperatorFilter{Level: hotline.Level2})
	if err != nil {
		return nil, err
	}
	for _, o := range ops {
		if o.ID == c.OwnerID {
			continue
		}
		id := strconv.FormatInt(o.ID, 10)
		text := o.Name
		if o.Organisation != "" {
			text += " (" + o.Organisation + ")"
		}
		v.Specialists = append(v.Specialists, option{Value: id, Text: text, Selected: id == f.ForwardTo})
	}
	return v, nil
}

func (s *Server) editCardPage(w http.ResponseWriter, r *http.Request, u User) {
	if !s.journalOr503(w, r) {
		return
	}
	ctx := r.Context()
	c, ok := s.caseOf(w, r, u)
	if !ok {
		return
	}
	if err := c.Editable(u.Actor()); err != nil {
		s.fail(w, r, u, "edit case", err)
		return
	}
	f, notice := formOfCase(c), ""
	if r.URL.Query().Get("saved") == "1" {
		notice = "Обращение сохранено."
	}
	if d, err := s.Journal.Draft(ctx, u.Actor(), journal.DraftKeyCase(c.ID)); err == nil {
		f = formFromDraft(d) // with the version it was based on: a save after a change elsewhere is a conflict
		notice = strings.TrimSpace(notice + " Восстановлен черновик от " + d.UpdatedAt.Local().Format("02.01.2006 15:04:05") + ".")
		if d.Version != c.Version {
			notice += " После него обращение уже изменяли: при сохранении будут показаны сохранённые данные."
		}
	} else if hotline.ErrorCode(err) != hotline.ENOTFOUND {
		s.fail(w, r, u, "read draft", err)
		return
	}
	v, err := s.editView(ctx, u, c, f)
	if err != nil {
		s.fail(w, r, u, "edit case", err)
		return
	}
	s.render(w, r, http.StatusOK, "card", pageData{Title: "Редактирование обращения " + c.Number, User: &u, Notice: notice, Data: v})
}

// updateCard is «Сохранить» on a case's card.
func (s *Server) updateCard(w http.ResponseWriter, r *http.Request, u User) {
	s.saveCard(w, r, u, false)
}

// closeCard is «Закрыть обращение». The button submits the whole card (the close block's fields
// belong to form#case-card), so what was typed into the card and not yet saved is saved with the
// close, in one transaction (journal.Store.CloseCard) checked against the version the card was
// opened at: nothing typed is lost, and nothing is half written.
func (s *Server) closeCard(w http.ResponseWriter, r *http.Request, u User) {
	s.saveCard(w, r, u, true)
}

// saveCard saves a case's card as posted, and with close also closes the case (§6.1): the two
// buttons of one form, checked alike.
func (s *Server) saveCard(w http.ResponseWriter, r *http.Request, u User, close bool) {
	if !s.journalOr503(w, r) {
		return
	}
	ctx := r.Context()
	c, ok := s.caseOf(w, r, u)
	if !ok {
		return
	}
	what, lead := "edit case", "Изменения не сохранены."
	if close {
		what, lead = "close case", "Обращение не закрыто."
		if err := c.CanWork(u.Actor()); err != nil {
			s.fail(w, r, u, what, err)
			return
		}
	}
	in, err := s.readCard(w, r)
	if err != nil {
		s.errorPage(w, r, http.StatusBadRequest, "Форма не прочитана: слишком большая или повреждённая.")
		return
	}
	defer in.discard()
	f := formOf(in.values)
	v, err := s.editView(ctx, u, c, f)
	if err != nil {
		s.fail(w, r, u, what, err)
		return
	}
	title := "Редактирование обращения " + c.Number
	if f.Version <= 0 {
		v.Errors["version"] = "Форма устарела: откройте карту обращения заново."
	}
	if err := s.checkCard(ctx, f, v.Errors); err != nil {
		s.cardFailure(w, r, u, title, lead, v, err)
		return
	}
	att := s.checkAttachment(in, f, v.Errors)
	var cl hotline.Closing
	if close {
		cl = checkClosing(f, v)
	}
	if len(v.Errors) > 0 {
		v.Form.Version = c.Version
		if f.Version > 0 {
			v.Form.Version = f.Version
		}
		s.render(w, r, http.StatusUnprocessableEntity, "card", pageData{Title: title, User: &u,
			Error: strings.TrimSuffix(lead, ".") + ": исправьте отмеченные поля.", Data: v})
		return
	}
	stored, err := s.keepFile(in, att)
	var saved hotline.Case
	if err == nil {
		if close {
			saved, err = s.Journal.CloseCard(ctx, u.Actor(), c.ID, cardUpdate(f, att), cl)
		} else {
			saved, err = s.Journal.UpdateCase(ctx, u.Actor(), c.ID, cardUpdate(f, att))
		}
		if err != nil {
			stored.remove(s)
		}
	}
	if err != nil {
		s.refusedCard(w, r, u, c.ID, f, err, lead)
		return
	}
	if close {
		if err := s.Journal.DropDraft(ctx, u.Actor(), journal.DraftKeyCase(c.ID)); err != nil {
			s.log().Warn("web: dropping a closed card's draft", "login", u.Login, "err", err)
		}
		s.log().Info("web: case closed", "login", u.Login, "case", saved.Number, "result", saved.Result)
		http.Redirect(w, r, fmt.Sprintf("/cases/%d", c.ID), http.StatusSeeOther)
		return
	}
	s.keepCloseDraft(ctx, u, saved, f)
	s.log().Info("web: case updated", "login", u.Login, "case", saved.Number, "version", saved.Version)
	http.Redirect(w, r, fmt.Sprintf("/cases/%d/edit?saved=1", c.ID), http.StatusSeeOther)
}

// keepCloseDraft follows a saved card's draft: a close block typed but not sent
// («Принятые меры») stays in the draft, based on the version just saved (so it is no conflict);
// with nothing typed there, the draft goes.
func (s *Server) keepCloseDraft(ctx context.Context, u User, saved hotline.Case, f cardForm) {
	key := journal.DraftKeyCase(saved.ID)
	var err error
	if f.Result == "" && f.Comment == "" && f.ForwardTo == "" && f.ExtendTo == "" {
		err = s.Journal.DropDraft(ctx, u.Actor(), key)
	} else {
		f.DocumentNumber, f.RegisteredOn = "", "" // the document was saved with the card
		_, err = s.Journal.SaveDraft(ctx, u.Actor(), key, f.draftFields(), saved.Version)
	}
	if err != nil {
		s.log().Warn("web: keeping a saved card's draft", "login", u.Login, "case", saved.Number, "err", err)
	}
}

// cardUpdate is the journal's edit of a case from card f (with document att, or nil), based on
// the version the card was opened at.
func cardUpdate(f cardForm, att *hotline.Attachment) journal.CaseUpdate {
	typ := hotline.CaseType(f.Type)
	return journal.CaseUpdate{CallerNumber: &f.CallerNumber, FullName: &f.FullName, BirthDate: &f.BirthDate,
		PolicyNumber: &f.PolicyNumber, Address: &f.Address, Type: &typ, Topic: &f.Topic, Description: &f.Description,
		Attachment: att, IfVersion: f.Version}
}

// refusedEdit shows the card again after the journal refused an edit, with the user's input. A
// stale version shows what the other person saved (#conflict) and takes their version, so that
// saving again, after reading it, is a deliberate choice.
func (s *Server) refusedEdit(w http.ResponseWriter, r *http.Request, u User, id int64, f cardForm, err error) {
	s.refusedCard(w, r, u, id, f, err, "Изменения не сохранены.")
}

// refusedCard is refusedEdit with the page's message for what was not done (lead).
func (s *Server) refusedCard(w http.ResponseWriter, r *http.Request, u User, id int64, f cardForm, err error, lead string) {
	ctx := r.Context()
	status, msg := s.failure(r, "update case", err)
	if status == http.StatusForbidden {
		s.errorPage(w, r, status, msg)
		return
	}
	now, rerr := s.Journal.Case(ctx, id)
	if rerr != nil {
		s.fail(w, r, u, "update case", rerr)
		return
	}
	v, verr := s.editView(ctx, u, now, f)
	if verr != nil {
		s.fail(w, r, u, "update case", verr)
		return
	}
	data := pageData{Title: "Редактирование обращения " + now.Number, User: &u, Data: v}
	if errors.Is(err, journal.ErrStaleVersion) {
		v.Conflict = &now
		v.ConflictTxt = conflictText{Type: caseTypeText(now.Type), Topic: s.topicTitle(ctx, now.Topic), CallerNumber: now.CallerNumber,
			FullName: now.Person.FullName, BirthDate: now.Person.BirthDate, PolicyNumber: now.Person.PolicyNumber,
			Address: now.Person.Address, Description: now.Description, Status: caseStatusText(now.Status)}
		v.Form.Version = now.Version
		data.Error = strings.TrimSuffix(lead, ".") + ": обращение изменено другим пользователем."
		s.render(w, r, http.StatusConflict, "card", data)
		return
	}
	data.Error = lead + " " + msg
	s.render(w, r, status, "card", data)
}

func (s *Server) topicTitle(ctx context.Context, code string) string {
	if code == "" {
		return ""
	}
	t, err := s.Journal.Topic(ctx, code)
	if err != nil {
		return code
	}
	return t.Title
}

// --- closing (§6.1) and a delayed answer (§6.2) ---

// checkClosing checks the «Принятые меры» block of form f, noting what is wrong in v.Errors, and
// returns the closing it asks for.
func checkClosing(f cardForm, v *cardView) hotline.Closing {
	cl := hotline.Closing{Result: hotline.Result(f.Result), Comment: f.Comment}
	switch {
	case f.Result == "":
		v.Errors["result"] = "Выберите результат обращения."
	case !cl.Result.Valid():
		v.Errors["result"] = "Неизвестный результат обращения: выберите из списка."
	}
	switch {
	case !utf8.ValidString(f.Comment):
		v.Errors["comment"] = "Текст повреждён: введите его заново."
	case utf8.RuneCountInString(f.Comment) > hotline.MaxCommentLen:
		v.Errors["comment"] = tooLong(hotline.MaxCommentLen, f.Comment)
	case f.Comment == "" && cl.Result == hotline.ResultExtended:
		v.Errors["comment"] = "Опишите причину продления сроков рассмотрения."
	case f.Comment == "":
		v.Errors["comment"] = "Напишите короткий комментарий о принятых мерах."
	}
	switch cl.Result {
	case hotline.ResultForwarded:
		id, err := strconv.ParseInt(f.ForwardTo, 10, 64)
		if err != nil || !slices.ContainsFunc(v.Specialists, func(o option) bool { return o.Value == f.ForwardTo }) {
			v.Errors["forward_to"] = "Укажите оператора 2-го уровня, которому переадресуется обращение."
		}
		cl.ForwardTo = id
	case hotline.ResultExtended:
		d, err := time.ParseInLocation(hotline.DateLayout, f.ExtendTo, time.Local)
		switch {
		case f.ExtendTo == "":
			v.Errors["extend_to"] = "Укажите новую дату рассмотрения обращения."
		case err != nil:
			v.Errors["extend_to"] = "Неверная дата: укажите дату в виде ГГГГ-ММ-ДД."
		case !d.After(time.Now()):
			v.Errors["extend_to"] = "Новая дата рассмотрения должна быть позже сегодняшней."
		}
		// The review is due by the end of the chosen day.
		cl.ExtendTo = d.Add(24*time.Hour - time.Second)
	}
	return cl
}

func (s *Server) setCardInProgress(w http.ResponseWriter, r *http.Request, u User) {
	if !s.journalOr503(w, r) {
		return
	}
	c, ok := s.caseOf(w, r, u)
	if !ok {
		return
	}
	if err := readForm(w, r); err != nil {
		s.errorPage(w, r, http.StatusBadRequest, "Форма не прочитана: слишком большая или повреждённая.")
		return
	}
	version, _ := strconv.ParseInt(r.PostForm.Get("version"), 10, 64)
	if version <= 0 {
		version = c.Version
	}
	saved, err := s.Journal.UpdateCase(r.Context(), u.Actor(), c.ID, journal.CaseUpdate{SetInProgress: true, IfVersion: version})
	if err != nil {
		s.refusedEdit(w, r, u, c.ID, formOfCase(c), err)
		return
	}
	s.rebaseDraft(r.Context(), u, saved, version)
	http.Redirect(w, r, fmt.Sprintf("/cases/%d/edit", c.ID), http.StatusSeeOther)
}

// rebaseDraft moves the user's draft of case c from version was to c's version after the user's
// own action wrote the case (e.g. «Установить статус „В работе“»): their own write is no conflict
// for what they typed. A draft based on another version (someone else wrote since) stays as it is.
func (s *Server) rebaseDraft(ctx context.Context, u User, c hotline.Case, was int64) {
	key := journal.DraftKeyCase(c.ID)
	d, err := s.Journal.Draft(ctx, u.Actor(), key)
	if err == nil && d.Version == was {
		_, err = s.Journal.SaveDraft(ctx, u.Actor(), key, d.Fields, c.Version)
	}
	if err != nil && hotline.ErrorCode(err) != hotline.ENOTFOUND {
		s.log().Warn("web: re-basing a card's draft", "login", u.Login, "case", c.Number, "err", err)
	}
}

// --- fragments ---

// cardTopics is the topic list of a type matching a keyword (§5.1.4 «поиск по ключевым словам»),
// as the options htmx swaps into the topic select.
func (s *Server) cardTopics(w http.ResponseWriter, r *http.Request, u User) {
	if !s.journalOr503(w, r) {
		return
	}
	q := r.URL.Query()
	typ, keyword := hotline.CaseType(q.Get("type")), strings.TrimSpace(q.Get("q"))
	if utf8.RuneCountInString(keyword) > hotline.MaxShortLen || !utf8.ValidString(keyword) || (typ != "" && !typ.Valid()) {
		http.Error(w, "неверный запрос", http.StatusBadRequest)
		return
	}
	opts, err := s.topicOptions(r.Context(), typ, keyword, q.Get("topic"))
	if err != nil {
		status, msg := s.failure(r, "list topics", err)
		http.Error(w, msg, status)
		return
	}
	s.fragment(w, r, "card-topic-options", struct {
		Topics []option
		Typed  bool
	}{opts, typ != ""})
}

// saveCardDraft keeps what the operator has typed so far (the form posts it as they type).
func (s *Server) saveCardDraft(w http.ResponseWriter, r *http.Request, u User) {
	if !s.journalOr503(w, r) {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxCardFields+(8<<10))
	var status struct {
		Saved time.Time
		Error string
	}
	if err := r.ParseForm(); err != nil {
		status.Error = "Черновик не сохранён: форма слишком большая."
		s.fragment(w, r, "card-draft-status", status)
		return
	}
	f := formOf(r.PostForm)
	key := newDraftKey(strings.TrimSpace(r.PostForm.Get("call")))
	if id := strings.TrimSpace(r.PostForm.Get("case_id")); id != "" {
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil || n <= 0 {
			http.Error(w, "неверный запрос", http.StatusBadRequest)
			return
		}
		key = journal.DraftKeyCase(n)
	}
	d, err := s.Journal.SaveDraft(r.Context(), u.Actor(), key, f.draftFields(), max(f.Version, 0))
	if err != nil {
		_, msg := s.failure(r, "save draft", err)
		status.Error = "Черновик не сохранён. " + msg
	}
	status.Saved = d.UpdatedAt
	s.fragment(w, r, "card-draft-status", status)
}

// fragment writes the shared template name alone (an htmx swap).
func (s *Server) fragment(w http.ResponseWriter, r *http.Request, name string, data any) {
	html, err := s.part(name, data)
	if err != nil {
		s.log().Error("web: render fragment", "name", name, "path", r.URL.Path, "err", err)
		http.Error(w, "внутренняя ошибка", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = io.WriteString(w, html)
}

// --- documents ---

// caseFile serves a document of a case to those who may read it (hotline.Case.MayReadDocuments),
// checked on every request, always as a download.
func (s *Server) caseFile(w http.ResponseWriter, r *http.Request, u User) {
	if !s.journalOr503(w, r) {
		return
	}
	c, ok := s.caseOf(w, r, u)
	if !ok {
		return
	}
	if err := c.MayReadDocuments(u.Actor()); err != nil {
		s.fail(w, r, u, "read document", err)
		return
	}
	attID, err := strconv.ParseInt(r.PathValue("att"), 10, 64)
	if err != nil {
		s.errorPage(w, r, http.StatusNotFound, "Документ не найден.")
		return
	}
	atts, err := s.Journal.Attachments(r.Context(), c.ID)
	if err != nil {
		s.fail(w, r, u, "read document", err)
		return
	}
	i := slices.IndexFunc(atts, func(a hotline.Attachment) bool { return a.ID == attID })
	// Only a name this server made: no directory, no dot file.
	if i < 0 || atts[i].FilePath == "" || filepath.Base(atts[i].FilePath) != atts[i].FilePath || strings.HasPrefix(atts[i].FilePath, ".") {
		s.errorPage(w, r, http.StatusNotFound, "Документ не найден.")
		return
	}
	a := atts[i]
	dir, err := s.filesDir()
	if err != nil {
		s.fail(w, r, u, "read document", err)
		return
	}
	f, err := os.Open(filepath.Join(dir, a.FilePath))
	if err != nil {
		s.log().Error("web: a document the journal lists is missing", "case", c.Number, "attachment", a.ID, "err", err)
		s.errorPage(w, r, http.StatusNotFound, "Файл документа не найден.")
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		s.fail(w, r, u, "read document", err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", contentTypeOf(a.FilePath))
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{
		"filename": fmt.Sprintf("%s-%d%s", c.Number, a.ID, filepath.Ext(a.FilePath))}))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	http.ServeContent(w, r, "", st.ModTime(), f)
}

// fieldError is a field's message for the "card-field-error" part.
type fieldError struct{ Name, Msg string }

// Err is field name's message (none: empty), for the template.
func (v *cardView) Err(name string) fieldError { return fieldError{Name: name, Msg: v.Errors[name]} }

// TopicList is the topic options as the "card-topic-options" part takes them.
func (v *cardView) TopicList() any {
	return struct {
		Topics []option
		Typed  bool
	}{v.Topics, hotline.CaseType(v.Form.Type).Valid()}
}

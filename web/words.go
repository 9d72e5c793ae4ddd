package web

import (
	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
)

// The journal's words as the operator manual says them (§5.1, §6). This is the one place the
// workplace names statuses, types, results and channels: every page uses these functions.

var caseStatusWords = map[hotline.CaseStatus]string{
	hotline.StatusInProgress:    "В работе",
	hotline.StatusDelayedAnswer: "Отсроченный ответ",
	hotline.StatusUnderReview:   "На рассмотрении",
	// The manual: the administrator checks and approves («утверждает») the result.
	hotline.StatusApproved: "Утверждено",
}

// caseStatusText is a status as the manual names it.
func caseStatusText(s hotline.CaseStatus) string { return wordOr(caseStatusWords[s], string(s)) }

// caseStatuses lists the statuses in the manual's order.
var caseStatuses = []hotline.CaseStatus{hotline.StatusInProgress, hotline.StatusDelayedAnswer, hotline.StatusUnderReview, hotline.StatusApproved}

var caseTypeWords = map[hotline.CaseType]string{
	hotline.TypeComplaint:    "Жалоба",
	hotline.TypeConsultation: "Консультация",
	hotline.TypeApplication:  "Заявление",
	hotline.TypeProposal:     "Предложение",
	hotline.TypeGratitude:    "Благодарность",
}

// caseTypeText is a case type as the manual's list names it; no type yet is a dash.
func caseTypeText(t hotline.CaseType) string {
	if t == "" {
		return "—"
	}
	return wordOr(caseTypeWords[t], string(t))
}

// caseTypeOptions are the case types for a select, in the domain's order, selected marked.
func caseTypeOptions(selected string) []option {
	out := make([]option, 0, len(hotline.CaseTypes))
	for _, t := range hotline.CaseTypes {
		out = append(out, option{Value: string(t), Text: caseTypeText(t), Selected: string(t) == selected})
	}
	return out
}

var resultWords = map[hotline.Result]string{
	hotline.ResultAnswered:      "Даны разъяснения справочно-консультативного характера",
	hotline.ResultMeasuresTaken: "Проведены необходимые меры",
	hotline.ResultForwarded:     "Переадресация с уведомлением обратившегося",
	hotline.ResultExtended:      "Находится на контроле, сроки рассмотрения продлены",
}

// resultText is a result («Результат обращения») as the manual names it; none yet is a dash.
func resultText(r hotline.Result) string {
	if r == "" {
		return "—"
	}
	return wordOr(resultWords[r], string(r))
}

var channelWords = map[hotline.Channel]string{
	hotline.ChannelPhone:    "Телефон",
	hotline.ChannelWritten:  "Письменное обращение",
	hotline.ChannelEmail:    "Электронная почта",
	hotline.ChannelInPerson: "Личный приём",
}

// channelText is how a case reached the hotline.
func channelText(c hotline.Channel) string { return wordOr(channelWords[c], string(c)) }

var outcomeWords = map[hotline.CallOutcome]string{
	hotline.OutcomeAnswered:          "Состоялся разговор",
	hotline.OutcomeAbandonedGreeting: "Положил трубку во время приветствия",
	hotline.OutcomeAbandonedQueue:    "Положил трубку в очереди",
	hotline.OutcomeAbandonedOverflow: "Положил трубку, не выбрав перезвон или сообщение",
	hotline.OutcomeOverflowMessage:   "Оставил голосовое сообщение",
	hotline.OutcomeOverflowCallback:  "Заказал обратный звонок",
	hotline.OutcomeHandedOver:        "Передан без ответа (линия останавливалась)",
	hotline.OutcomeFailed:            "Не соединён",
}

// outcomeText is how a call ended; a call still going is «Идёт».
func outcomeText(o hotline.CallOutcome) string {
	if o == "" {
		return "Идёт"
	}
	return wordOr(outcomeWords[o], string(o))
}

func wordOr(word, raw string) string {
	if word == "" {
		return raw
	}
	return word
}

var historyActionWords = map[string]string{
	"created":             "Обращение зарегистрировано",
	"updated":             "Карта изменена",
	"closed":              "Обращение закрыто",
	"forwarded":           "Переадресовано",
	"extension requested": "Запрошено продление сроков",
	"set in progress":     "Статус «В работе»",
	"approved":            "Утверждено администратором",
	"returned":            "Возвращено на доработку",
	"reopened":            "Открыто повторно",
	"linked":              "Связано с обращением",
	"attached":            "Прикреплён документ",
	"call attached":       "Прикреплён звонок",
	"recording deleted":   "Запись разговора удалена",
}

// historyActionText is what a history event did, in the manual's words where it has them.
func historyActionText(a string) string { return wordOr(historyActionWords[a], a) }

var caseFieldWords = map[string]string{
	"channel": "Канал", "caller_number": "Номер телефона", "full_name": "ФИО", "birth_date": "Дата рождения",
	"policy_number": "Номер полиса ОМС", "address": "Адрес", "type": "Тип обращения", "topic": "Тематика обращения",
	"description": "Суть обращения", "owner_id": "Ответственный", "due_at": "Срок рассмотрения", "status": "Статус",
	"result": "Результат обращения", "comment": "Комментарий", "forwarded_to": "Переадресовано",
	"extend_to": "Продлено до", "review_note": "Замечание администратора", "linked": "Связанное обращение",
	"document_number": "Номер документа", "registered_on": "Дата регистрации документа", "file_path": "Файл",
	"recording": "Запись", "why": "Причина", "call": "Звонок",
}

// caseFieldText is a case field's label on the card.
func caseFieldText(f string) string { return wordOr(caseFieldWords[f], f) }

// ЕИР263 (§7.1): the informing types, the card's results and how a dialled number ended.

var informingTypeWords = map[hotline.InformingType]string{
	hotline.InformCheckup:     "О прохождении диспансеризации",
	hotline.InformObservation: "О диспансерном наблюдении",
	hotline.InformSecondStage: "О прохождении второго этапа диспансеризации",
}

var informingResultWords = map[hotline.InformingResult]string{
	hotline.ResultInformed: "Оповещен",
	hotline.ResultRefused:  "Отказ от информирования",
	hotline.ResultCallBack: "Перезвонить позже",
	hotline.ResultWrong:    "Телефон указан неверно или принадлежит другому ЗЛ",
}

var dialOutcomeWords = map[hotline.DialOutcome]string{
	hotline.DialAnswered: "ответил",
	hotline.DialNoAnswer: "нет ответа",
	hotline.DialBusy:     "занято",
	hotline.DialFailed:   "не удалось набрать",
}

// The survey journals (§5.3).

var surveyTitles = map[journal.SurveyKind]string{
	journal.SurveyCheckup:     "Диспансеризация",
	journal.SurveyObservation: "Диспансерный учет",
}

var surveyStatusWords = map[hotline.SurveyStatus]string{
	hotline.SurveyNotCalled:   "Не звонили",
	hotline.SurveyNoAnswer:    "Нет ответа",
	hotline.SurveyAnswered:    "Ответил(а)",
	hotline.SurveyRefused:     "Отказ от ответа",
	hotline.SurveyRescheduled: "Перенос звонка",
	hotline.SurveyWrongNumber: "Телефон указан неверно или принадлежит другому ЗЛ",
}

var monthWords = []string{"январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь", "октябрь", "ноябрь", "декабрь"}

// surveyActionWords are the list's filter by action (journal.SurveyActionFilters).
var surveyActionWords = map[string]string{
	"notified": "Уведомлен(а)", "not_notified": "Не уведомлен(а)", "stage1": "Прошёл(а) 1 этап", "stage2": "Прошёл(а) 2 этап",
	"no_stage": "Нет сведений об этапе", "noted": "Есть заметки представителей",
}

var notificationWords = map[string]string{"sms": "СМС", "letter": "письмо", "call": "звонок", "messenger": "мессенджер", "email": "электронная почта"}

var surveyFieldWords = map[string]string{"status": "Статус ответа", "comment": "Комментарий", "refusal_reason": "Причина отказа",
	"call_on": "Перенос звонка на", "answers": "Ответы (вопрос:вариант)", "questionnaire": "Версия анкеты", "note": "Заметка",
	"wrong_phone": "Неверный номер"}

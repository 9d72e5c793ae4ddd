package web

import "github.com/hotline-dev/hotline"

// The journal's codes in the manual's words, one mapping for every part of the workplace (the
// CLI prints the codes themselves, so there is nothing to share with it).

// statusText is each case status as the manual names it (§6); the manual does not name the
// approved state, which is the administrator's «утверждение» of the result.
var statusText = map[hotline.CaseStatus]string{
	hotline.StatusInProgress:    "В работе",
	hotline.StatusDelayedAnswer: "Отсроченный ответ",
	hotline.StatusUnderReview:   "На рассмотрении",
	hotline.StatusApproved:      "Утверждено",
}

// caseTypeText is each case type as the registration card names it.
var caseTypeText = map[hotline.CaseType]string{
	hotline.TypeComplaint:    "Жалоба",
	hotline.TypeConsultation: "Консультация",
	hotline.TypeApplication:  "Заявление",
	hotline.TypeProposal:     "Предложение",
	hotline.TypeGratitude:    "Благодарность",
}

// outcomeText is how a call ended, for the caller's earlier calls.
var outcomeText = map[hotline.CallOutcome]string{
	hotline.OutcomeAnswered:          "принят оператором",
	hotline.OutcomeAbandonedGreeting: "положил трубку во время приветствия",
	hotline.OutcomeAbandonedQueue:    "не дождался ответа в очереди",
	hotline.OutcomeAbandonedOverflow: "положил трубку, не выбрав обратный звонок или сообщение",
	hotline.OutcomeOverflowMessage:   "оставил голосовое сообщение",
	hotline.OutcomeOverflowCallback:  "заказал обратный звонок",
	hotline.OutcomeHandedOver:        "передан без ответа (остановка линии)",
	hotline.OutcomeFailed:            "не состоялся (ошибка)",
}

// textOf is m[k], or the code itself for one the mapping does not know (a newer journal).
func textOf[K ~string](m map[K]string, k K) string {
	if t, ok := m[k]; ok {
		return t
	}
	return string(k)
}

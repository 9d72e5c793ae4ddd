package hotline

// Topic is an entry of the catalogue of case topics (тематика обращения); each belongs to a case type.
type Topic struct {
	Code     string   `json:"code"`             // short, stable, e.g. "policy-replace"; also keyed on handsets by Number
	Number   int      `json:"number,omitempty"` // what an operator keys on a handset (DTMF) to name the topic
	Type     CaseType `json:"type"`
	Title    string   `json:"title"`
	Keywords []string `json:"keywords,omitempty"`
}

// Script is an approved answer for a topic (типовой сценарий ответа), listing the level-2
// specialists recommended when the script is not enough.
type Script struct {
	ID          int64   `json:"id"`
	Topic       string  `json:"topic"`
	Title       string  `json:"title"`
	Text        string  `json:"text"`
	Recommended []int64 `json:"recommended,omitempty"` // operator ids of level-2 specialists, in order of preference
}

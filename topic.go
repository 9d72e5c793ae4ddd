package hotline

// Topic is an entry of the catalogue of case topics (тематика обращения); each belongs to a case type.
type Topic struct {
	Code     string // short, stable, e.g. "policy-replace"; also keyed on handsets by Number
	Number   int    // what an operator keys on a handset (DTMF) to name the topic
	Type     CaseType
	Title    string
	Keywords []string
}

// Script is an approved answer for a topic (типовой сценарий ответа), listing the level-2
// specialists recommended when the script is not enough.
type Script struct {
	ID          int64
	Topic       string
	Title       string
	Text        string
	Recommended []int64 // operator ids of level-2 specialists, in order of preference
}

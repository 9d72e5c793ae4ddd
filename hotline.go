// Package hotline holds the domain of a contact-centre hotline: the words every other package
// speaks (Case, Operator, Topic, Script, Leg, ...) and the rules of a case's life. It imports none
// of the project's packages and does no I/O.
//
// The domain is a regional health-insurance fund's hotline: every call is greeted, queued, answered
// by a level-1 operator who registers a case (обращение) in the journal, answers from approved
// scripts, and forwards what needs a specialist to level 2. An administrator reviews and approves
// closed cases.
package hotline

// Package switchboard decides the life of every call on the hotline: answer, greeting, queue,
// offer to an operator, bridge and record, hang-up, the call's filing, wrap-up; and the operators'
// presence (feature codes from the handset, reachability, missed offers, admin commands).
//
// One goroutine, Run's loop, owns the live calls, the queue and presence. Everything that changes
// them arrives as a message: Asterisk's events through Deliver (translated by ariadapter and
// amiadapter), admin commands (Pause, Resume, Login, Logout, ReloadOperators, Status), timers from
// the Clock, and the results of requests. Handlers never wait: requests to Asterisk are data (Op)
// carried out by Telephony off the loop, in order per call; journal writes are data (Write) handed
// to the outbox (package outbox), which makes them durable and applies them. Routing decisions
// come from package routing, called directly (it is pure).
//
// Where to read first: callfsm.go, a call's states and transitions as one table (every change of
// a call's state goes through Switchboard.move); presencebook.go, operators' presence and the
// "became free" transition after which the next caller is offered; lanes.go, how requests about
// one call are carried out in order.
//
// Construct with New(Config, Telephony, Journal, Clock, logger), start with Run(ctx). See
// docs/call-flow.md for the states, the messages and how to follow one call through the code.
package switchboard

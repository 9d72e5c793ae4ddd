package switchboard

import (
	"strings"
	"time"

	"github.com/hotline-dev/hotline"
)

// Metrics is told what happens to calls as it happens, for counters and histograms that a
// snapshot (Status) cannot give: how many calls arrived, were answered or abandoned, how long
// callers waited, how long Asterisk took to answer requests. Every method is called on the loop
// (Request on the goroutine that ran the request) and must not block; the daemon feeds Prometheus.
type Metrics interface {
	CallArrived()
	CallAnswered(wait time.Duration)                  // an operator answered, after wait in the queue
	CallEnded(end hotline.LegEnd, wait time.Duration) // a leg ended; wait: its time in the queue
	Transfer(result string)                           // "answered", "failed", "refused"
	Request(op string, took time.Duration, err error) // one Telephony request (ARI)
	Dispatch(d Dispatch)                              // a freed operator offered the next caller (dispatchtrace.go)
	// Teardown: a talking operator's handset hung up; d is Asterisk's time from its hang-up
	// request to the channel leaving the application (StasisEnd), which dispatch no longer waits for.
	Teardown(d time.Duration)
}

// SetMetrics makes the switchboard report to m; call it before Run.
func (s *Switchboard) SetMetrics(m Metrics) {
	if m != nil {
		s.metrics = m
	}
}

// noMetrics is the default: nothing is counted.
type noMetrics struct{}

func (noMetrics) CallArrived()                            {}
func (noMetrics) CallAnswered(time.Duration)              {}
func (noMetrics) CallEnded(hotline.LegEnd, time.Duration) {}
func (noMetrics) Transfer(string)                         {}
func (noMetrics) Request(string, time.Duration, error)    {}
func (noMetrics) Dispatch(Dispatch)                       {}
func (noMetrics) Teardown(time.Duration)                  {}

// opName is the request's kind for a metric label: "originate", "play", "add-to-bridge"..., the
// first word of its String. Named here without building the String, which for an originate or a
// playback formats the whole request (fmt) on every request; TestOpNameIsStringsFirstWord keeps
// the two in step.
func opName(op Op) string {
	switch op.(type) {
	case Answer:
		return "answer"
	case Play:
		return "play"
	case StopPlayback:
		return "stop-playback"
	case StartMOH:
		return "moh"
	case StopMOH:
		return "stop-moh"
	case Originate:
		return "originate"
	case CreateBridge:
		return "create-bridge"
	case AddToBridge:
		return "add-to-bridge"
	case DestroyBridge:
		return "destroy-bridge"
	case RecordCall:
		return "record-call"
	case StopRecording:
		return "stop-recording"
	case RecordChannel:
		return "record-channel"
	case Hangup:
		return "hangup"
	case Snoop:
		return "snoop"
	case Continue:
		return "continue"
	case RemoveFromBridge:
		return "remove-from-bridge"
	case SetVariable:
		return "set-variable"
	case TransferProgress:
		return "transfer-progress"
	}
	name, _, _ := strings.Cut(op.String(), " ")
	return name
}

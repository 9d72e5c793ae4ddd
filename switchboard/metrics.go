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

// opName is the request's kind for a metric label: "originate", "play", "add-to-bridge"...
func opName(op Op) string {
	name, _, _ := strings.Cut(op.String(), " ")
	return name
}

package spool

// SetFaults has the spool fail the file operations op ("write", "sync", "cut") for which fail
// returns an error: fault injection for the package's tests.
func SetFaults(s *Spool, fail func(op string) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inject = fail
}

package web

// The electronic journal (§6): the list with the manual's filters, the case card with its history,
// calls and recordings, and the owner's edit and close.
func (s *Server) caseRoutes() []Route {
	return nil
}

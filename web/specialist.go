package web

// Level 2 (§5.2, §6.2): cases forwarded to the specialist, delayed answers, the call-back button.
func (s *Server) specialistRoutes() []Route {
	return nil
}

package web

// The operator's screen (the manual's «Личный кабинет оператора», §4–§5.1): presence, the
// softphone block with the caller's card, the registration card, scripts and specialists.
func (s *Server) operatorRoutes() []Route {
	return nil
}

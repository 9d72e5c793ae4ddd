package web

// The administrator: the «На рассмотрении» queue, operators, topics, scripts, the directory, the
// board's figures and the report's chart.
func (s *Server) adminRoutes() []Route {
	return nil
}

package journal

import "context"

// DraftCountForTest counts an operator's stored drafts, however old.
func (s *Store) DraftCountForTest(ctx context.Context, operatorID int64) (int, error) {
	var n int
	err := s.r.GetContext(ctx, &n, `SELECT count(*) FROM case_drafts WHERE operator_id = ?`, operatorID)
	return n, err
}

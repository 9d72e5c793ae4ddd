-- 0015: a placeholder, only so that wp-survey's 0016 has no gap on its branch (migrations are
-- numbered without gaps). Another branch owns 0015: at the merge, drop this file.
SELECT 1;

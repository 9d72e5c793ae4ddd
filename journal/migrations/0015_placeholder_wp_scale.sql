-- 0015: PLACEHOLDER of branch wp-scale, which was given migration 0017 while 0015 belongs to
-- another branch not yet merged (migrations must have no gaps). Delete this file when the real
-- 0015 is merged; it does nothing.
SELECT 1;

-- 0009 is another part of issue 21's (the workplace); this placeholder keeps the versions without
-- a gap on the branch wp-cases only. DELETE THIS FILE when merging: the real 0009 takes its place.
SELECT 1;

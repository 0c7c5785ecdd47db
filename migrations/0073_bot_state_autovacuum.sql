-- `bot_state` holds a handful of rows, one of them (the getUpdates offset)
-- rewritten with every getUpdates batch: under load that is a hundred times a
-- second, and the default thresholds sent autovacuum to it 104 times in a
-- minute (docs/benchmarks.md). Its dead versions are pruned on the page as
-- it is read and written; a vacuum every few thousand changes is plenty.
ALTER TABLE bot_state SET (
    autovacuum_vacuum_scale_factor = 0,
    autovacuum_vacuum_threshold = 5000,
    autovacuum_analyze_scale_factor = 0,
    autovacuum_analyze_threshold = 100000
);

-- The inbox and the outbox are queues: each row is inserted, updated a few
-- times (claimed, processed or sent) and then only read. The claim queries
-- walk the partial indexes of open rows from their oldest end, and the dead
-- versions those updates leave stay in the indexes until a vacuum, so every
-- claim steps over them: after a minute at 300 updates/s a claim took 1 ms
-- (inbox) and 2.6 ms (outbox), most of the database's time (docs/benchmarks.md).
-- Vacuum and analyze these two tables after a few hundred changes instead of
-- after a fifth of the table; how soon autovacuum looks is the server's
-- `autovacuum_naptime` (the embedded cluster uses 1 s).
ALTER TABLE inbox SET (
    autovacuum_vacuum_scale_factor = 0,
    autovacuum_vacuum_threshold = 500,
    autovacuum_vacuum_insert_scale_factor = 0,
    autovacuum_vacuum_insert_threshold = 1000,
    autovacuum_analyze_scale_factor = 0,
    autovacuum_analyze_threshold = 1000
);
ALTER TABLE outbox SET (
    autovacuum_vacuum_scale_factor = 0,
    autovacuum_vacuum_threshold = 500,
    autovacuum_vacuum_insert_scale_factor = 0,
    autovacuum_vacuum_insert_threshold = 1000,
    autovacuum_analyze_scale_factor = 0,
    autovacuum_analyze_threshold = 1000
);

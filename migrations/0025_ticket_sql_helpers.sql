-- Two rules about tickets that queries all over the code need, stated once
-- in SQL so that each query can stay a compile-time-checked literal instead
-- of splicing a Rust constant into its text. Both are plain SQL functions,
-- IMMUTABLE, so PostgreSQL inlines them into the query that calls them (an
-- index on `status` or `priority` is still usable).
--
-- `TicketStatus::is_active` and `Priority` in src/domain/tickets.rs mirror
-- them; a test checks that the two agree for every value.

-- Still work to do: open, claimed or scheduled.
CREATE FUNCTION ticket_is_active(status text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN status IN ('open', 'claimed', 'scheduled');

-- "Most urgent first" as a sort key: urgent 0, high 1, normal 2, low 3.
CREATE FUNCTION ticket_urgency(priority text) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END;

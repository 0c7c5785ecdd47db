-- Reports in Telegram (issue 13, item 1).

-- Files the bot uploads itself (a report's PNG charts, its XLSX): the
-- outbox request names the row (`send_photo_file`, `send_document`), the
-- sender reads the bytes when it sends. Rows are kept a week, then pruned.
CREATE TABLE outbox_files (
    id          BIGSERIAL PRIMARY KEY,
    file_name   TEXT NOT NULL,
    bytes       BYTEA NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT outbox_files_name_check CHECK (length(file_name) BETWEEN 1 AND 200)
);
CREATE INDEX outbox_files_created ON outbox_files (created_at);

-- The department a staff member works in (customer service, engineering,
-- cleaning …): the report counts tickets per department. Free text, as the
-- office names them; NULL: not set.
ALTER TABLE staff ADD COLUMN department TEXT;
ALTER TABLE staff ADD CONSTRAINT staff_department_check
    CHECK (department IS NULL OR length(department) BETWEEN 1 AND 40);

-- The monthly report each manager gets on the 1st: one row per month,
-- written in the transaction that queues the reports, so a second replica
-- (or a second tick) sends nothing.
CREATE TABLE monthly_reports_sent (
    month      TEXT PRIMARY KEY,            -- the month reported on, "2026-11"
    sent_at    TIMESTAMPTZ NOT NULL,
    managers   INTEGER NOT NULL,
    CONSTRAINT monthly_reports_sent_month_check CHECK (month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$')
);

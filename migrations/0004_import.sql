-- A log of committed CSV imports (`propdesk import`), so the office can tell
-- what was loaded, when and from which file. Dry runs leave no row.
CREATE TABLE import_runs (
    id              BIGSERIAL PRIMARY KEY,
    kind            TEXT NOT NULL,
    file_name       TEXT NOT NULL,
    -- NULL for UTF-8; the encoding the file was converted from otherwise ("GBK")
    converted_from  TEXT,
    rows_read       BIGINT NOT NULL,
    inserted        BIGINT NOT NULL,
    updated         BIGINT NOT NULL,
    unchanged       BIGINT NOT NULL,
    rejected        BIGINT NOT NULL,
    finished_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT import_runs_kind_check CHECK (kind IN ('units', 'owners', 'fees'))
);

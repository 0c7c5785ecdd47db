-- Arrears reminders and outages (incidents).

-- One arrears reminder per person per month: the row is written in the same
-- transaction that queues the reminder, and its primary key makes a second
-- process (or a second run) skip the person for that month.
CREATE TABLE fee_reminders_sent (
    person_id      BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    period         TEXT NOT NULL,             -- the local month, "2026-11"
    sent_at        TIMESTAMPTZ NOT NULL,
    arrears_cents  BIGINT NOT NULL,
    outbox_id      BIGINT REFERENCES outbox (id) ON DELETE SET NULL,
    CONSTRAINT fee_reminders_sent_pkey PRIMARY KEY (person_id, period),
    CONSTRAINT fee_reminders_sent_period_check CHECK (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$')
);

-- An outage declared by staff for one or more buildings. Active until closed.
CREATE TABLE incidents (
    id               BIGSERIAL PRIMARY KEY,
    buildings        TEXT[] NOT NULL,         -- units.building values
    kind             TEXT NOT NULL,
    expected_end     TIMESTAMPTZ NOT NULL,
    text             TEXT NOT NULL,
    declared_by      BIGINT NOT NULL REFERENCES staff (telegram_user_id),
    declared_chat_id BIGINT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    -- when the affected owners were sent the notice (once) and how many
    notified_at      TIMESTAMPTZ,
    notified_count   INTEGER,
    closed_at        TIMESTAMPTZ,
    closed_by        BIGINT REFERENCES staff (telegram_user_id),
    close_note       TEXT,
    CONSTRAINT incidents_kind_check CHECK (kind IN ('water', 'power', 'lift', 'gas', 'other')),
    CONSTRAINT incidents_buildings_check CHECK (cardinality(buildings) > 0),
    CONSTRAINT incidents_text_check CHECK (length(text) > 0)
);
CREATE INDEX incidents_active_buildings ON incidents USING GIN (buildings) WHERE closed_at IS NULL;

-- Owners who added their report to an incident instead of filing a ticket;
-- they are told when it is closed.
CREATE TABLE incident_reports (
    incident_id  BIGINT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    person_id    BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    chat_id      BIGINT NOT NULL,
    at           TIMESTAMPTZ NOT NULL,
    CONSTRAINT incident_reports_pkey PRIMARY KEY (incident_id, person_id)
);
CREATE INDEX incident_reports_person ON incident_reports (person_id);

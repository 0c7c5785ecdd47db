-- Outages by form (issue 13, item 4): a scope finer than buildings, a start,
-- the notice in each language, network outages, and updates.

-- Scope: the buildings, and within them these entrances (empty: all) and
-- floors from floor_min to floor_max (NULL: no bound), matched against the
-- units' own columns, never the unit code.
ALTER TABLE incidents ADD COLUMN entrances TEXT[] NOT NULL DEFAULT '{}';
ALTER TABLE incidents ADD COLUMN floor_min INTEGER;
ALTER TABLE incidents ADD COLUMN floor_max INTEGER;
ALTER TABLE incidents ADD CONSTRAINT incidents_floors_check
    CHECK (floor_min IS NULL OR floor_max IS NULL OR floor_min <= floor_max);
-- When the outage starts (NULL: when declared).
ALTER TABLE incidents ADD COLUMN starts_at TIMESTAMPTZ;
-- The notice in other languages than Chinese ({"en": "…"}); `text` is the Chinese.
ALTER TABLE incidents ADD COLUMN texts JSONB NOT NULL DEFAULT '{}'::jsonb;
ALTER TABLE incidents DROP CONSTRAINT incidents_kind_check;
ALTER TABLE incidents ADD CONSTRAINT incidents_kind_check
    CHECK (kind IN ('water', 'power', 'lift', 'gas', 'network', 'other'));

-- Updates and the all-clear, each sent to those affected.
CREATE TABLE incident_updates (
    id             BIGSERIAL PRIMARY KEY,
    incident_id    BIGINT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    kind           TEXT NOT NULL,
    text           TEXT NOT NULL,
    texts          JSONB NOT NULL DEFAULT '{}'::jsonb,
    -- a new expected end, when the update moved it
    expected_end   TIMESTAMPTZ,
    by_staff       BIGINT NOT NULL,
    at             TIMESTAMPTZ NOT NULL,
    notified_count INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT incident_updates_kind_check CHECK (kind IN ('update', 'all_clear')),
    CONSTRAINT incident_updates_text_check CHECK (length(text) > 0)
);
CREATE INDEX incident_updates_incident ON incident_updates (incident_id, id);

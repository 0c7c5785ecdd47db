-- Public-welfare activities from plan to summary (issue 13, item 3).
--
-- A manager plans one in a guided form (the draft lives in the conversation
-- state); confirming stores it here as 'open' and announces it as a
-- broadcast whose buttons are the activity's (broadcasts.activity_id, 0052).
-- Owners join up to `capacity`; later ones wait in line (joined_at orders
-- the line) and the first waiting takes a freed place. The day before, those
-- who joined are reminded; afterwards staff mark who attended, and each
-- attendee gets a feedback form (1–5 and a comment).
CREATE TABLE activities (
    id              BIGSERIAL PRIMARY KEY,
    title           TEXT NOT NULL,
    starts_at       TIMESTAMPTZ NOT NULL,
    place           TEXT NOT NULL,
    capacity        INTEGER NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL DEFAULT 'open',
    created_by      BIGINT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    -- the reminder to those who joined, queued once
    reminded_at     TIMESTAMPTZ,
    -- attendance saved (and feedback forms queued), by whom
    attendance_at   TIMESTAMPTZ,
    attendance_by   BIGINT,
    CONSTRAINT activities_capacity_check CHECK (capacity BETWEEN 1 AND 10000),
    CONSTRAINT activities_status_check CHECK (status IN ('open', 'done', 'cancelled')),
    CONSTRAINT activities_title_check CHECK (length(title) BETWEEN 1 AND 100),
    CONSTRAINT activities_place_check CHECK (length(place) BETWEEN 1 AND 200)
);
CREATE INDEX activities_starts ON activities (starts_at);

CREATE TABLE activity_rsvps (
    id           BIGSERIAL PRIMARY KEY,
    activity_id  BIGINT NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    person_id    BIGINT REFERENCES people (id) ON DELETE SET NULL,
    chat_id      BIGINT NOT NULL,
    -- joined (has a place), waiting (in line), left (gave up a place or the line)
    status       TEXT NOT NULL,
    -- place in the line: when the person last asked to join
    joined_at    TIMESTAMPTZ NOT NULL,
    attended     BOOLEAN,
    rating       SMALLINT,
    comment      TEXT,
    feedback_at  TIMESTAMPTZ,
    CONSTRAINT activity_rsvps_chat_key UNIQUE (activity_id, chat_id),
    CONSTRAINT activity_rsvps_status_check CHECK (status IN ('joined', 'waiting', 'left')),
    CONSTRAINT activity_rsvps_rating_check CHECK (rating BETWEEN 1 AND 5),
    CONSTRAINT activity_rsvps_comment_check CHECK (comment IS NULL OR length(comment) <= 1000)
);
CREATE INDEX activity_rsvps_line ON activity_rsvps (activity_id, status, joined_at, id);

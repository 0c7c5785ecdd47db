-- Broadcast notices from managers to owners (issue 5, item 3).
--
-- A broadcast is composed in a private chat (status 'draft', `step` says which
-- answer the bot waits for), then confirmed: its recipients are fixed in
-- `broadcast_recipients` and each gets one outbox row (lane 3) in the same
-- transaction. A recipient's delivery status is its outbox row's status.

CREATE TABLE broadcasts (
    id                BIGSERIAL PRIMARY KEY,
    author_user_id    BIGINT NOT NULL,
    author_chat_id    BIGINT NOT NULL,
    status            TEXT NOT NULL DEFAULT 'draft',
    step              TEXT NOT NULL DEFAULT 'audience',
    -- domain::broadcasts::Audience as JSON
    audience          JSONB,
    text              TEXT,
    photo             TEXT,
    rsvp              BOOLEAN NOT NULL DEFAULT FALSE,
    urgent            BOOLEAN NOT NULL DEFAULT FALSE,
    -- what the author asked for (NULL: now) and when sending really starts
    -- (later if quiet hours hold a non-urgent notice)
    send_at           TIMESTAMPTZ,
    starts_at         TIMESTAMPTZ,
    recipients        INTEGER NOT NULL DEFAULT 0,
    -- recipients whose chat was blocked at confirm: recorded, not sent to
    skipped_blocked   INTEGER NOT NULL DEFAULT 0,
    -- the author's progress message and its last text (edited in place)
    status_outbox_id  BIGINT REFERENCES outbox (id) ON DELETE SET NULL,
    progress_text     TEXT,
    progress_at       TIMESTAMPTZ,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    confirmed_at      TIMESTAMPTZ,
    finished_at       TIMESTAMPTZ,
    CONSTRAINT broadcasts_status_check
        CHECK (status IN ('draft', 'scheduled', 'sending', 'done', 'cancelled'))
);
-- One draft per author: a new /broadcast replaces the old one.
CREATE UNIQUE INDEX broadcasts_one_draft ON broadcasts (author_user_id) WHERE status = 'draft';
CREATE INDEX broadcasts_active ON broadcasts (id) WHERE status IN ('scheduled', 'sending');

CREATE TABLE broadcast_recipients (
    id               BIGSERIAL PRIMARY KEY,
    broadcast_id     BIGINT NOT NULL REFERENCES broadcasts (id) ON DELETE CASCADE,
    person_id        BIGINT REFERENCES people (id) ON DELETE SET NULL,
    chat_id          BIGINT NOT NULL,
    language         TEXT NOT NULL,
    skipped_blocked  BOOLEAN NOT NULL DEFAULT FALSE,
    outbox_id        BIGINT REFERENCES outbox (id) ON DELETE SET NULL,
    rsvp             TEXT,
    rsvp_at          TIMESTAMPTZ,
    CONSTRAINT broadcast_recipients_chat_key UNIQUE (broadcast_id, chat_id),
    CONSTRAINT broadcast_recipients_rsvp_check CHECK (rsvp IN ('join', 'decline'))
);
CREATE INDEX broadcast_recipients_pending ON broadcast_recipients (broadcast_id, id)
    WHERE outbox_id IS NULL AND NOT skipped_blocked;
CREATE INDEX broadcast_recipients_outbox ON broadcast_recipients (outbox_id);

-- Staff desk tools (issue 10 items 3-8): canned replies, the follow-up of a
-- low rating as a task with a deadline.

-- Replies staff send with one press. `texts` holds one text per language
-- code ({"zh": "...", "en": "..."}) with {placeholders} the ticket fills.
-- Seeded from dialogues/canned.toml at start-up (a key seeded once is never
-- seeded again, so an edit or a retirement made in Telegram stands);
-- managers add, edit and retire them with /canned.
CREATE TABLE canned_replies (
    id          BIGSERIAL,
    key         TEXT NOT NULL,
    texts       JSONB NOT NULL,
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- "seed" or the staff member's Telegram id who last changed it
    updated_by  TEXT NOT NULL,
    CONSTRAINT canned_replies_pkey PRIMARY KEY (id),
    CONSTRAINT canned_replies_key_key UNIQUE (key),
    CONSTRAINT canned_replies_key_check CHECK (key ~ '^[a-z0-9_]{1,32}$'),
    CONSTRAINT canned_replies_texts_check CHECK (jsonb_typeof(texts) = 'object')
);

-- A rating of 1-2 opens a follow-up (`follow_up_at`, migration 0005): a
-- supervisor calls the owner back, reopens the ticket or notes what was
-- done, by `follow_up_due_at`; past it the scheduler chases it (at most once
-- per ping interval, `follow_up_chased_at`) until it is done.
ALTER TABLE tickets
    ADD COLUMN follow_up_due_at     TIMESTAMPTZ,
    ADD COLUMN follow_up_done_at    TIMESTAMPTZ,
    ADD COLUMN follow_up_chased_at  TIMESTAMPTZ;
CREATE INDEX tickets_follow_up_open ON tickets (follow_up_due_at)
    WHERE follow_up_due_at IS NOT NULL AND follow_up_done_at IS NULL;

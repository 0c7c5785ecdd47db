-- The staff queue: ticket cards in the staff group, deadlines per kind and
-- priority, pings and escalations, pending owner prompts, the daily digest.

-- A staff member's Telegram @username (lowercase, without '@'), remembered
-- when they write to the bot, so `/assign 12 @zhang` can find them.
ALTER TABLE staff ADD COLUMN username TEXT;
CREATE INDEX staff_username ON staff (username) WHERE username IS NOT NULL;

-- The card: the outbox row that posted it (edits target it, so a card can be
-- edited before Telegram has given it a message id) and the chat it is in.
ALTER TABLE tickets
    ADD COLUMN card_outbox_id BIGINT REFERENCES outbox (id) ON DELETE SET NULL,
    ADD COLUMN card_chat_id   BIGINT,
    -- the last overdue ping in the staff group (at most one an hour)
    ADD COLUMN last_ping_at   TIMESTAMPTZ,
    -- when the resolve-by deadline passed and supervisors were told (once)
    ADD COLUMN escalated_at   TIMESTAMPTZ,
    -- a rating of 1-2 opens a follow-up for a supervisor until one takes it
    ADD COLUMN follow_up_at   TIMESTAMPTZ;
CREATE INDEX tickets_overdue ON tickets (due_resolve_at)
    WHERE status IN ('open', 'claimed', 'scheduled');
CREATE INDEX tickets_assignee ON tickets (assignee) WHERE assignee IS NOT NULL;

-- First-response and resolve-by deadlines. `kind = '*'` is the default for a
-- priority; a row for the exact kind wins over it.
CREATE TABLE sla_rules (
    kind              TEXT NOT NULL,
    priority          TEXT NOT NULL,
    response_minutes  INTEGER NOT NULL,
    resolve_minutes   INTEGER NOT NULL,
    CONSTRAINT sla_rules_pkey PRIMARY KEY (kind, priority),
    CONSTRAINT sla_rules_kind_check
        CHECK (kind IN ('*', 'complaint', 'repair', 'consultation', 'registration', 'suggestion', 'other')),
    CONSTRAINT sla_rules_priority_check CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    CONSTRAINT sla_rules_minutes_check CHECK (response_minutes > 0 AND resolve_minutes >= response_minutes)
);
INSERT INTO sla_rules (kind, priority, response_minutes, resolve_minutes) VALUES
    ('*', 'urgent', 30, 240),            -- emergency: 30 min / 4 h
    ('*', 'high', 60, 720),              -- 1 h / 12 h
    ('*', 'normal', 240, 2880),          -- 4 h / 2 days
    ('*', 'low', 1440, 10080),           -- 1 day / 7 days
    ('consultation', 'normal', 120, 1440),
    ('suggestion', 'normal', 1440, 10080),
    ('suggestion', 'low', 2880, 20160);

-- Queue settings an office may change with SQL (one row).
CREATE TABLE queue_settings (
    id                     BOOLEAN PRIMARY KEY DEFAULT TRUE,
    -- an owner may reopen a resolved ticket for this long; then it closes
    reopen_days            INTEGER NOT NULL DEFAULT 7,
    -- minimum gap between two overdue pings of one ticket
    ping_interval_minutes  INTEGER NOT NULL DEFAULT 60,
    -- local time (PROPDESK_TIMEZONE) of the daily digest
    digest_at              TIME NOT NULL DEFAULT '09:00',
    CONSTRAINT queue_settings_single CHECK (id),
    CONSTRAINT queue_settings_values_check
        CHECK (reopen_days >= 0 AND ping_interval_minutes > 0)
);
INSERT INTO queue_settings DEFAULT VALUES;

-- Bot messages that stand for a ticket (its card, relayed owner messages),
-- so a staff member's Telegram reply to one goes to that ticket's owner.
CREATE TABLE ticket_messages (
    outbox_id  BIGINT PRIMARY KEY REFERENCES outbox (id) ON DELETE CASCADE,
    ticket_id  BIGINT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE
);
CREATE INDEX ticket_messages_ticket ON ticket_messages (ticket_id);

-- A question the bot asked an owner about a ticket and is waiting on free
-- text for: the reason for cancelling, or a comment on a rating.
CREATE TABLE ticket_prompts (
    chat_id     BIGINT PRIMARY KEY,
    ticket_id   BIGINT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    purpose     TEXT NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    CONSTRAINT ticket_prompts_purpose_check CHECK (purpose IN ('cancel_reason', 'rating_comment'))
);

-- One digest per local day; the row is written in the transaction that
-- queues the digest, so it goes out exactly once.
CREATE TABLE digests (
    day         DATE PRIMARY KEY,
    chat_id     BIGINT NOT NULL,
    sent_at     TIMESTAMPTZ NOT NULL,
    suggestions INTEGER NOT NULL DEFAULT 0
);

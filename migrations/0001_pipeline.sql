-- The durable pipeline: Telegram update -> inbox -> processor -> outbox -> sender.
-- Every table here is written inside the same transaction as the work it records,
-- which is what makes "stored before confirmed" and "one effect per update" hold.

-- Small key/value facts the bot keeps between runs (getUpdates offset, ...).
CREATE TABLE bot_state (
    key        TEXT PRIMARY KEY,
    value      JSONB NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Every chat the bot has seen. `blocked_at` is set when Telegram answers 403
-- (bot blocked / user deactivated): the sender stops sending there.
CREATE TABLE chats (
    chat_id     BIGINT PRIMARY KEY,
    kind        TEXT NOT NULL,
    language    TEXT,
    blocked_at  TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT chats_kind_check CHECK (kind IN ('private', 'group', 'supergroup', 'channel')),
    CONSTRAINT chats_language_check CHECK (language IN ('zh', 'en'))
);

-- Raw updates, stored before getUpdates confirms them (invariant 1) and keyed
-- by Telegram's update_id so a redelivery is a no-op (invariant 2).
CREATE TABLE inbox (
    update_id       BIGINT PRIMARY KEY,
    chat_id         BIGINT,
    user_id         BIGINT,
    kind            TEXT NOT NULL,
    payload         JSONB NOT NULL,
    received_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    processed_at    TIMESTAMPTZ,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_error      TEXT,
    parked_at       TIMESTAMPTZ
);
-- The processor's queue: the oldest open update of each chat.
CREATE INDEX inbox_open_by_chat ON inbox (chat_id, update_id)
    WHERE processed_at IS NULL AND parked_at IS NULL;
CREATE INDEX inbox_open ON inbox (update_id)
    WHERE processed_at IS NULL AND parked_at IS NULL;
CREATE INDEX inbox_parked ON inbox (parked_at) WHERE parked_at IS NOT NULL;

-- Outgoing Bot API requests, written in the same transaction as the change
-- that caused them (invariant 4). Lanes order delivery: 0 replies to owners,
-- 1 staff notices, 2 reminders, 3 broadcasts.
CREATE TABLE outbox (
    id          BIGSERIAL PRIMARY KEY,
    chat_id     BIGINT NOT NULL,
    lane        SMALLINT NOT NULL,
    request     JSONB NOT NULL,
    status      TEXT NOT NULL DEFAULT 'pending',
    not_before  TIMESTAMPTZ NOT NULL DEFAULT now(),
    attempts    INTEGER NOT NULL DEFAULT 0,
    -- sends whose answer was lost (the message may or may not have arrived)
    ambiguous   INTEGER NOT NULL DEFAULT 0,
    message_id  BIGINT,
    last_error  TEXT,
    update_id   BIGINT,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at     TIMESTAMPTZ,
    CONSTRAINT outbox_lane_check CHECK (lane BETWEEN 0 AND 3),
    CONSTRAINT outbox_status_check
        CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'unreachable', 'cancelled'))
);
CREATE INDEX outbox_due ON outbox (lane, id) WHERE status = 'pending';
CREATE INDEX outbox_sending ON outbox (id) WHERE status = 'sending';
-- The sender's "is there an earlier row for this chat" probe.
CREATE INDEX outbox_open_by_chat ON outbox (chat_id, lane, id)
    WHERE status IN ('pending', 'sending');

-- Hostile input and erasure (issue 12, items 6 and 10).

-- A group a stranger added the bot to: the bot leaves it (a `leaveChat` row
-- in the outbox) and never writes there again. Unlike `blocked_at`, which a
-- message from the chat clears (nobody writes to a bot they blocked),
-- `left_at` is cleared only when staff add the bot back: messages still in
-- flight from the group do not make it reachable again.
ALTER TABLE chats ADD COLUMN left_at TIMESTAMPTZ;

-- The reachability rule of src/domain/chats.rs, now also "not left".
CREATE OR REPLACE FUNCTION chat_is_reachable(chat bigint) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN NOT EXISTS (SELECT 1 FROM chats c
                        WHERE c.chat_id = chat
                          AND (c.blocked_at IS NOT NULL OR c.left_at IS NOT NULL));

-- `/forgetme`: an owner's first confirmation. The second must come within
-- ten minutes and carry the same nonce (the button of the message that
-- asked), so a forged or replayed press erases nothing.
CREATE TABLE erasure_requests (
    telegram_user_id BIGINT PRIMARY KEY,
    nonce            BIGINT NOT NULL,
    confirmed_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- That an erasure happened, without whose: for the office's accountability.
CREATE TABLE erasures (
    id             BIGSERIAL PRIMARY KEY,
    erased_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    requested_by   TEXT NOT NULL,
    tickets_kept   INTEGER NOT NULL,
    CONSTRAINT erasures_requested_by_check CHECK (requested_by IN ('owner', 'command line'))
);

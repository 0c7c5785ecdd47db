-- Abuse limits (issue 12 item 7).

-- People staff have barred from the bot (/ban). While a row is here their
-- updates are stored in the inbox and marked processed; nothing else is
-- written for them.
CREATE TABLE bans (
    user_id    BIGINT PRIMARY KEY,
    reason     TEXT NOT NULL,
    banned_by  BIGINT NOT NULL,
    banned_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Every /ban and /unban: who, whom, why. Kept after an unban.
CREATE TABLE ban_audit (
    id         BIGSERIAL PRIMARY KEY,
    user_id    BIGINT NOT NULL,
    action     TEXT NOT NULL,
    reason     TEXT NOT NULL,
    staff_id   BIGINT NOT NULL,
    at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT ban_audit_action_check CHECK (action IN ('ban', 'unban'))
);
CREATE INDEX ban_audit_user ON ban_audit (user_id, at);

-- The last message a person sent past the per-minute limit: a flood gets
-- one slow-down notice, not one per message.
CREATE TABLE inbound_limits (
    user_id    BIGINT PRIMARY KEY,
    over_at    TIMESTAMPTZ NOT NULL
);

-- The per-person count of recent messages.
CREATE INDEX inbox_by_user ON inbox (user_id, received_at);

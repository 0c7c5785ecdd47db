-- Notices in every language, stopped before they go out, recalled after
-- (issue 13, item 2).

-- The notice in other languages than Chinese, by language code
-- ({"en": "…"}); `text` stays the Chinese one every recipient falls back to.
ALTER TABLE broadcasts ADD COLUMN texts JSONB NOT NULL DEFAULT '{}'::jsonb;
-- An activity's announcement carries the activity's buttons.
ALTER TABLE broadcasts ADD COLUMN activity_id BIGINT REFERENCES activities (id) ON DELETE SET NULL;
-- Stopped before every copy went out (status 'cancelled' after confirm).
ALTER TABLE broadcasts ADD COLUMN stopped_at TIMESTAMPTZ;
ALTER TABLE broadcasts ADD COLUMN stopped_by BIGINT;
-- Recalled: every delivered copy younger than Telegram's 48 hours gets a
-- deleteMessage; the author's recall message (edited when all are done).
ALTER TABLE broadcasts ADD COLUMN recalled_at TIMESTAMPTZ;
ALTER TABLE broadcasts ADD COLUMN recalled_by BIGINT;
ALTER TABLE broadcasts ADD COLUMN recall_outbox_id BIGINT REFERENCES outbox (id) ON DELETE SET NULL;
ALTER TABLE broadcasts ADD COLUMN recall_finished_at TIMESTAMPTZ;

-- What recall did with a recipient's copy: a deleteMessage queued (its row,
-- whose status says whether Telegram deleted it), too old to delete, or
-- never delivered (stopped before it went out).
ALTER TABLE broadcast_recipients ADD COLUMN recall TEXT;
ALTER TABLE broadcast_recipients ADD COLUMN recall_outbox_id BIGINT REFERENCES outbox (id) ON DELETE SET NULL;
ALTER TABLE broadcast_recipients ADD CONSTRAINT broadcast_recipients_recall_check
    CHECK (recall IN ('queued', 'too_old', 'not_delivered'));

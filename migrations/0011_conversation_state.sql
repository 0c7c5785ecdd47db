-- One conversation state per (chat, person): what the bot waits for from
-- them — a dialogue node, a broadcast draft's next answer, a cancel reason,
-- a rating comment, a visit note … — as one serde-tagged JSON value
-- (`waiting`, see src/processor/conversation.rs) with one expiry rule.
-- Until now these lived in `conversations` (dialogues only, one per chat),
-- `ticket_prompts`, `visit_prompts` and `broadcasts.step`, each with its own
-- timeout (or none).

ALTER TABLE conversations ADD COLUMN waiting JSONB;
UPDATE conversations SET waiting = jsonb_build_object('waiting', 'dialogue', 'state', state);
ALTER TABLE conversations ALTER COLUMN waiting SET NOT NULL;

-- In a group several staff members may each be asked something.
ALTER TABLE conversations DROP CONSTRAINT conversations_pkey;
ALTER TABLE conversations ADD CONSTRAINT conversations_pkey PRIMARY KEY (chat_id, user_id);

-- The dialogue's name and file version are inside its state.
ALTER TABLE conversations DROP COLUMN dialogue, DROP COLUMN state, DROP COLUMN version;

CREATE INDEX conversations_expiry ON conversations (expires_at);

-- Questions pending at upgrade time move over (a chat already in a dialogue
-- keeps its dialogue).
INSERT INTO conversations (chat_id, user_id, waiting, started_at, updated_at, expires_at)
SELECT chat_id, chat_id, jsonb_build_object('waiting', purpose, 'ticket', ticket_id), now(), now(), expires_at
  FROM ticket_prompts WHERE expires_at > now()
ON CONFLICT (chat_id, user_id) DO NOTHING;

INSERT INTO conversations (chat_id, user_id, waiting, started_at, updated_at, expires_at)
SELECT chat_id, staff_id,
       jsonb_build_object('waiting', 'visit_note', 'visit', visit_id, 'outcome', outcome),
       now(), now(), expires_at
  FROM visit_prompts WHERE expires_at > now()
ON CONFLICT (chat_id, user_id) DO NOTHING;

-- Open broadcast drafts get a day from now, like any draft.
INSERT INTO conversations (chat_id, user_id, waiting, started_at, updated_at, expires_at)
SELECT author_chat_id, author_user_id,
       jsonb_build_object('waiting', 'broadcast_draft', 'draft', id, 'step', step),
       created_at, now(), now() + interval '24 hours'
  FROM broadcasts WHERE status = 'draft'
ON CONFLICT (chat_id, user_id) DO NOTHING;
-- A draft nobody waits on any more is abandoned.
UPDATE broadcasts b SET status = 'cancelled', updated_at = now()
 WHERE status = 'draft'
   AND NOT EXISTS (SELECT 1 FROM conversations c
                    WHERE c.user_id = b.author_user_id
                      AND c.waiting->>'waiting' = 'broadcast_draft'
                      AND (c.waiting->>'draft')::bigint = b.id);

DROP TABLE ticket_prompts;
DROP TABLE visit_prompts;
ALTER TABLE broadcasts DROP COLUMN step;

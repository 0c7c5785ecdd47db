-- Album photos that arrived for a conversation while the rest of their
-- album is still on its way (Telegram sends one update per photo).
ALTER TABLE conversations ADD COLUMN album JSONB NOT NULL DEFAULT '[]'::jsonb;

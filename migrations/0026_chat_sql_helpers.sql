-- The reachability rule of src/domain/chats.rs (see its module doc), and a
-- chat's stored language, as SQL functions: every audience, the outbox and
-- the sender call them by name instead of splicing the rule into their text,
-- so the rule is written once and every query stays a compile-time-checked
-- literal. Both are single-SELECT SQL functions, which PostgreSQL inlines
-- into the calling query.

-- Reachable unless Telegram told us the bot cannot write there (blocked_at
-- set by a 403 or a my_chat_member "left/kicked", cleared when the chat
-- shows life again). A chat never seen is reachable: its send settles it.
CREATE FUNCTION chat_is_reachable(chat bigint) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN NOT EXISTS (SELECT 1 FROM chats c WHERE c.chat_id = chat AND c.blocked_at IS NOT NULL);

-- The language chosen for (or detected in) a chat; NULL when unknown.
CREATE FUNCTION chat_language(chat bigint) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN (SELECT c.language FROM chats c WHERE c.chat_id = chat);

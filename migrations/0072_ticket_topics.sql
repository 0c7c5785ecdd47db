-- A topic per ticket in a forum staff group (issue 10, item 1).

-- Whether a chat is a forum supergroup (topics on), as its last message said.
ALTER TABLE chats ADD COLUMN is_forum boolean NOT NULL DEFAULT false;

-- The topic an outbox row goes into: a thread id Telegram already gave
-- (`thread_id`), or the thread of the topic that `createForumTopic` row
-- `thread_outbox_id` opens (its message id is the thread id; the row waits
-- for it). Neither: the chat itself (General in a forum).
ALTER TABLE outbox
    ADD COLUMN thread_id integer,
    ADD COLUMN thread_outbox_id bigint;

-- Sends that failed because their topic was deleted by hand, for the
-- scheduler to open a new topic and send them again.
CREATE INDEX outbox_topic_lost ON outbox (thread_outbox_id)
    WHERE status = 'failed' AND last_error LIKE 'topic lost%';

-- A ticket's topic: the `createForumTopic` row (in the card's chat), and
-- what its name and state show, so a change renames, closes or reopens it
-- once.
ALTER TABLE tickets
    ADD COLUMN topic_outbox_id bigint REFERENCES outbox (id),
    ADD COLUMN topic_status text,
    ADD COLUMN topic_closed boolean NOT NULL DEFAULT false;

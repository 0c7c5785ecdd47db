//! Forum topics (Bot API 9.1): which supergroups are forums, their topics
//! (name, icon, closed, deleted), the bot's right to manage them, and the
//! rules Telegram applies to creating, editing, closing, reopening and
//! deleting topics and to sending into them — with Telegram's wording.
//! `state.rs` calls these rules and stores the service messages; the test
//! helpers on [`StandIn`] are at the end.
//!
//! Where the wordings come from (telegram-bot-api and TDLib are the code
//! behind api.telegram.org; the Bot API server lower-cases the first letter
//! of TDLib's messages and keeps MTProto's UPPER_CASE errors as they are,
//! `fail_query_with_error` in telegram-bot-api/Client.cpp):
//! - "the chat is not a forum": TDLib `ForumTopicManager::is_forum`;
//! - "not enough rights to create a topic", "not enough rights to edit the
//!   topic", "not enough rights to close or open the topic", "not enough
//!   rights to delete the topic", "name must be
//!   non-empty", "invalid forum topic identifier specified": TDLib
//!   `ForumTopicManager` (create/edit/toggle_forum_topic_is_closed/delete,
//!   `can_be_forum_topic_id`);
//! - "message thread not found": telegram-bot-api `check_message_topic`
//!   (the General topic, id 1) and `TdOnCheckForumTopicCallback` (a topic
//!   that does not exist), also tdlib/telegram-bot-api issue #472;
//! - "TOPIC_CLOSED": MTProto, as bots report it (e.g.
//!   rteixeirax/qbittorrent_telegram_notification#12, OpenSID/OpenSID#8405).
//!   Telegram refuses it only to a sender that neither created the topic nor
//!   may manage topics (TDLib `can_send_message_to_forum_topic`; the
//!   Laravel-Lang/webhooks-service README: "When publishing messages in
//!   topics that are closed from users, you must grant the bot rights to
//!   manage topics");
//! - "TOPIC_NOT_MODIFIED": MTProto, passed on to bots (TDLib
//!   `EditForumTopicQuery::on_error` swallows it for users only); answered
//!   to an edit that changes nothing and to closing a closed topic or
//!   reopening an open one;
//! - "TOPIC_ID_INVALID": MTProto's answer to editing, closing, reopening or
//!   deleting a topic that does not exist (or was deleted), as bots report it.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use anyhow::{anyhow, bail};
use serde_json::{json, Map, Value};

use super::error::ApiError;
use super::records::{Sent, SentMessage};
pub use super::spec::{ICON_COLORS, TOPIC_NAME_MAX};
use super::StandIn;

pub(crate) const NOT_A_FORUM: &str = "Bad Request: the chat is not a forum";
pub(crate) const THREAD_NOT_FOUND: &str = "Bad Request: message thread not found";
pub(crate) const TOPIC_CLOSED: &str = "Bad Request: TOPIC_CLOSED";
pub(crate) const TOPIC_NOT_MODIFIED: &str = "Bad Request: TOPIC_NOT_MODIFIED";
pub(crate) const TOPIC_ID_INVALID: &str = "Bad Request: TOPIC_ID_INVALID";
const INVALID_TOPIC_ID: &str = "Bad Request: invalid forum topic identifier specified";
const NAME_EMPTY: &str = "Bad Request: name must be non-empty";
const NO_RIGHTS_CREATE: &str = "Bad Request: not enough rights to create a topic";
const NO_RIGHTS_EDIT: &str = "Bad Request: not enough rights to edit the topic";
const NO_RIGHTS_CLOSE: &str = "Bad Request: not enough rights to close or open the topic";
const NO_RIGHTS_DELETE: &str = "Bad Request: not enough rights to delete the topic";

/// The General topic's id: never a `message_thread_id` to send to.
pub const GENERAL_TOPIC: i64 = 1;

/// A forum topic as it stands now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topic {
    pub chat_id: i64,
    /// Also the id of the `forum_topic_created` service message.
    pub message_thread_id: i64,
    pub name: String,
    pub icon_color: i64,
    pub icon_custom_emoji_id: Option<String>,
    pub closed: bool,
    pub deleted: bool,
    /// Opened by the bot (`createForumTopic`), not by a user by hand.
    pub by_bot: bool,
    /// Earlier names, oldest first.
    pub renamed_from: Vec<String>,
}

impl Topic {
    /// As the Bot API returns it (`ForumTopic`).
    pub(crate) fn json(&self) -> Value {
        let mut j = json!({
            "message_thread_id": self.message_thread_id,
            "name": self.name,
            "icon_color": self.icon_color,
        });
        if let Some(id) = &self.icon_custom_emoji_id {
            j["icon_custom_emoji_id"] = json!(id);
        }
        j
    }

    /// The `forum_topic_created` content of its service message.
    pub(crate) fn created_json(&self) -> Value {
        let mut j = json!({"name": self.name, "icon_color": self.icon_color});
        if let Some(id) = &self.icon_custom_emoji_id {
            j["icon_custom_emoji_id"] = json!(id);
        }
        json!({ "forum_topic_created": j })
    }
}

#[derive(Debug, Default)]
struct Forum {
    /// The bot is an administrator with `can_manage_topics`.
    bot_manages_topics: bool,
    /// Users who are administrators with `can_manage_topics`.
    admins: HashSet<i64>,
    topics: Vec<Topic>,
}

/// Every forum supergroup and its topics.
#[derive(Debug, Default)]
pub(crate) struct Forums {
    forums: HashMap<i64, Forum>,
    created: usize,
}

fn thread_param(params: &Value) -> Option<i64> {
    params.get("message_thread_id").and_then(Value::as_i64)
}

impl Forums {
    /// Makes `chat_id` a forum where the bot may manage topics (what
    /// `createForumTopic` needs in a group whose members may not).
    pub(crate) fn make_forum(&mut self, chat_id: i64) {
        self.forums.entry(chat_id).or_insert_with(|| Forum {
            bot_manages_topics: true,
            ..Forum::default()
        });
    }

    pub(crate) fn is_forum(&self, chat_id: i64) -> bool {
        self.forums.contains_key(&chat_id)
    }

    pub(crate) fn set_bot_manages_topics(&mut self, chat_id: i64, can: bool) -> anyhow::Result<()> {
        self.forum_mut(chat_id)?.bot_manages_topics = can;
        Ok(())
    }

    pub(crate) fn add_admin(&mut self, chat_id: i64, user: i64) -> anyhow::Result<()> {
        self.forum_mut(chat_id)?.admins.insert(user);
        Ok(())
    }

    fn forum_mut(&mut self, chat_id: i64) -> anyhow::Result<&mut Forum> {
        self.forums
            .get_mut(&chat_id)
            .ok_or_else(|| anyhow!("chat {chat_id} is not a forum; call add_forum_group first"))
    }

    pub(crate) fn topics(&self, chat_id: i64) -> Vec<Topic> {
        self.forums
            .get(&chat_id)
            .map(|f| f.topics.clone())
            .unwrap_or_default()
    }

    pub(crate) fn topic(&self, chat_id: i64, thread: i64) -> Option<&Topic> {
        self.forums
            .get(&chat_id)?
            .topics
            .iter()
            .find(|t| t.message_thread_id == thread)
    }

    fn topic_mut(&mut self, chat_id: i64, thread: i64) -> Option<&mut Topic> {
        self.forums
            .get_mut(&chat_id)?
            .topics
            .iter_mut()
            .find(|t| t.message_thread_id == thread)
    }

    // ---- the bot's methods ------------------------------------------------

    /// Checks a `createForumTopic`: the topic it would open (its thread id
    /// still 0: the caller numbers the service message).
    pub(crate) fn check_create(&mut self, chat_id: i64, params: &Value) -> Result<Topic, ApiError> {
        let forum = self
            .forums
            .get(&chat_id)
            .ok_or_else(|| ApiError::new(400, NOT_A_FORUM))?;
        if !forum.bot_manages_topics {
            return Err(ApiError::new(400, NO_RIGHTS_CREATE));
        }
        let name = params
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .trim();
        if name.is_empty() {
            return Err(ApiError::new(400, NAME_EMPTY));
        }
        // Without a colour Telegram picks one of the six.
        let icon_color = params
            .get("icon_color")
            .and_then(Value::as_i64)
            .unwrap_or(ICON_COLORS[self.created % ICON_COLORS.len()]);
        self.created += 1;
        Ok(Topic {
            chat_id,
            message_thread_id: 0,
            name: name.chars().take(TOPIC_NAME_MAX).collect(),
            icon_color,
            icon_custom_emoji_id: params
                .get("icon_custom_emoji_id")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
            closed: false,
            deleted: false,
            by_bot: true,
            renamed_from: Vec::new(),
        })
    }

    pub(crate) fn add(&mut self, topic: Topic) {
        if let Some(forum) = self.forums.get_mut(&topic.chat_id) {
            forum.topics.push(topic);
        }
    }

    /// The live topic a management method names, or Telegram's refusal.
    fn managed(
        &mut self,
        chat_id: i64,
        params: &Value,
        no_rights: &str,
    ) -> Result<&mut Topic, ApiError> {
        let forum = self
            .forums
            .get_mut(&chat_id)
            .ok_or_else(|| ApiError::new(400, NOT_A_FORUM))?;
        let thread = thread_param(params).unwrap_or_default();
        if thread <= 0 {
            return Err(ApiError::new(400, INVALID_TOPIC_ID));
        }
        let manages = forum.bot_manages_topics;
        let topic = forum
            .topics
            .iter_mut()
            .find(|t| t.message_thread_id == thread && !t.deleted)
            .ok_or_else(|| ApiError::new(400, TOPIC_ID_INVALID))?;
        // "unless it is the creator of the topic"
        if !manages && !topic.by_bot {
            return Err(ApiError::new(400, no_rights));
        }
        Ok(topic)
    }

    /// Applies an `editForumTopic`: the `forum_topic_edited` content of its
    /// service message, or None when nothing was asked (Telegram answers
    /// True and posts nothing).
    pub(crate) fn edit(&mut self, chat_id: i64, params: &Value) -> Result<Option<Value>, ApiError> {
        let topic = self.managed(chat_id, params, NO_RIGHTS_EDIT)?;
        // An empty name keeps the current one; a blank one is refused.
        let name = params
            .get("name")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
            .map(str::trim);
        if name == Some("") {
            return Err(ApiError::new(400, NAME_EMPTY));
        }
        let icon = params.get("icon_custom_emoji_id").and_then(Value::as_str);
        if name.is_none() && icon.is_none() {
            return Ok(None);
        }
        let new_name = name.map(|n| n.chars().take(TOPIC_NAME_MAX).collect::<String>());
        let new_icon = icon.map(|i| (!i.is_empty()).then(|| i.to_owned()));
        let renames = new_name.as_ref().is_some_and(|n| *n != topic.name);
        let reicons = new_icon
            .as_ref()
            .is_some_and(|i| *i != topic.icon_custom_emoji_id);
        if !renames && !reicons {
            return Err(ApiError::new(400, TOPIC_NOT_MODIFIED));
        }
        let mut edited = Map::new();
        if let Some(n) = new_name {
            if renames {
                topic
                    .renamed_from
                    .push(std::mem::replace(&mut topic.name, n.clone()));
            }
            edited.insert("name".into(), json!(n));
        }
        if let Some(i) = new_icon {
            edited.insert(
                "icon_custom_emoji_id".into(),
                json!(i.clone().unwrap_or_default()),
            );
            topic.icon_custom_emoji_id = i;
        }
        Ok(Some(json!({ "forum_topic_edited": edited })))
    }

    /// Applies a `closeForumTopic` / `reopenForumTopic`: the service content.
    pub(crate) fn set_closed(
        &mut self,
        chat_id: i64,
        params: &Value,
        closed: bool,
    ) -> Result<(i64, Value), ApiError> {
        let topic = self.managed(chat_id, params, NO_RIGHTS_CLOSE)?;
        if topic.closed == closed {
            return Err(ApiError::new(400, TOPIC_NOT_MODIFIED));
        }
        topic.closed = closed;
        let key = if closed {
            "forum_topic_closed"
        } else {
            "forum_topic_reopened"
        };
        Ok((topic.message_thread_id, json!({ key: {} })))
    }

    /// Applies a `deleteForumTopic`: the thread whose messages go with it.
    /// (Telegram asks for `can_delete_messages`; the stand-in counts it as
    /// part of managing topics.)
    pub(crate) fn delete(&mut self, chat_id: i64, params: &Value) -> Result<i64, ApiError> {
        let topic = self.managed(chat_id, params, NO_RIGHTS_DELETE)?;
        topic.deleted = true;
        Ok(topic.message_thread_id)
    }

    /// The thread a bot's send goes to: None outside a forum or without
    /// `message_thread_id` (the General topic); Telegram's refusal for the
    /// General topic named by id, a topic that does not exist or was
    /// deleted, and a closed one the bot may not write in.
    pub(crate) fn check_bot_send(
        &self,
        chat_id: i64,
        params: &Value,
    ) -> Result<Option<i64>, ApiError> {
        let Some(forum) = self.forums.get(&chat_id) else {
            // Outside forums telegram-bot-api does not check the thread.
            return Ok(None);
        };
        let thread = match thread_param(params) {
            None | Some(0) => return Ok(None),
            // telegram-bot-api refuses the General topic named by id.
            Some(GENERAL_TOPIC) => return Err(ApiError::new(400, THREAD_NOT_FOUND)),
            Some(t) => t,
        };
        let topic = forum
            .topics
            .iter()
            .find(|t| t.message_thread_id == thread && !t.deleted)
            .ok_or_else(|| ApiError::new(400, THREAD_NOT_FOUND))?;
        if topic.closed && !topic.by_bot && !forum.bot_manages_topics {
            return Err(ApiError::new(400, TOPIC_CLOSED));
        }
        Ok(Some(thread))
    }

    /// Whether `user` may write into `thread` of `chat_id` (a test's
    /// injected message): the same rules, told as a test failure.
    pub(crate) fn check_user_send(
        &self,
        chat_id: i64,
        thread: i64,
        user: i64,
    ) -> anyhow::Result<()> {
        let Some(forum) = self.forums.get(&chat_id) else {
            bail!("chat {chat_id} is not a forum; call add_forum_group first");
        };
        let Some(topic) = forum
            .topics
            .iter()
            .find(|t| t.message_thread_id == thread && !t.deleted)
        else {
            bail!("{THREAD_NOT_FOUND}: chat {chat_id} has no topic {thread}");
        };
        if topic.closed && !forum.admins.contains(&user) {
            bail!("{TOPIC_CLOSED}: topic {thread} of chat {chat_id} is closed and user {user} may not manage topics");
        }
        Ok(())
    }

    /// A topic a user opens by hand (in a Telegram client).
    pub(crate) fn open_by_hand(
        &mut self,
        chat_id: i64,
        thread: i64,
        name: &str,
    ) -> anyhow::Result<Topic> {
        let icon_color = ICON_COLORS[self.created % ICON_COLORS.len()];
        self.created += 1;
        let topic = Topic {
            chat_id,
            message_thread_id: thread,
            name: name.to_owned(),
            icon_color,
            icon_custom_emoji_id: None,
            closed: false,
            deleted: false,
            by_bot: false,
            renamed_from: Vec::new(),
        };
        self.forum_mut(chat_id)?.topics.push(topic.clone());
        Ok(topic)
    }

    /// A user closes, reopens or deletes a topic by hand.
    pub(crate) fn change_by_hand(
        &mut self,
        chat_id: i64,
        thread: i64,
        change: impl FnOnce(&mut Topic),
    ) -> anyhow::Result<()> {
        let topic = self
            .topic_mut(chat_id, thread)
            .filter(|t| !t.deleted)
            .ok_or_else(|| anyhow!("chat {chat_id} has no topic {thread}"))?;
        change(topic);
        Ok(())
    }
}

// ---- test helpers -----------------------------------------------------------

impl StandIn {
    /// Creates a forum supergroup (`is_forum`), where the bot is an
    /// administrator that may manage topics.
    pub fn add_forum_group(&self, group_id: i64, title: &str) {
        self.lock().add_forum_group(group_id, title);
    }

    /// Gives or takes the bot's `can_manage_topics` right in a forum:
    /// without it `createForumTopic` is refused, topics others opened cannot
    /// be edited, closed or deleted, and their closed topics refuse its
    /// sends with `TOPIC_CLOSED`.
    pub fn set_bot_can_manage_topics(&self, group_id: i64, can: bool) -> anyhow::Result<()> {
        self.lock().forums.set_bot_manages_topics(group_id, can)
    }

    /// Makes `user` an administrator of a forum who may manage topics (and
    /// so write in closed ones).
    pub fn add_topic_admin(&self, group_id: i64, user: i64) -> anyhow::Result<()> {
        self.lock().forums.add_admin(group_id, user)
    }

    /// The forum's topics in the order opened, deleted ones included.
    #[must_use]
    pub fn topics(&self, group_id: i64) -> Vec<Topic> {
        self.lock().forums.topics(group_id)
    }

    /// One topic by its thread id.
    #[must_use]
    pub fn topic(&self, group_id: i64, thread: i64) -> Option<Topic> {
        self.lock().forums.topic(group_id, thread).cloned()
    }

    /// The bot's messages in one topic (service messages included), as they
    /// stand now, in the order sent.
    #[must_use]
    pub fn topic_messages(&self, group_id: i64, thread: i64) -> Vec<SentMessage> {
        self.messages(group_id)
            .into_iter()
            .filter(|m| m.message_thread_id == Some(thread))
            .collect()
    }

    /// Both sides of one topic in order, as a client shows it (see `chat_log`).
    #[must_use]
    pub fn topic_log(&self, group_id: i64, thread: i64) -> Vec<Value> {
        self.chat_log(group_id)
            .into_iter()
            .filter(|m| m.get("message_thread_id").and_then(Value::as_i64) == Some(thread))
            .collect()
    }

    /// Waits until a bot message in topic `thread` satisfies `predicate`.
    pub async fn wait_for_topic_message<P>(
        &self,
        group_id: i64,
        thread: i64,
        predicate: P,
        timeout: Duration,
    ) -> anyhow::Result<SentMessage>
    where
        P: Fn(&SentMessage) -> bool,
    {
        self.wait_for_message(
            group_id,
            |m| m.message_thread_id == Some(thread) && predicate(m),
            timeout,
        )
        .await
    }

    /// A text message from `user` in topic `thread`: it carries
    /// `message_thread_id`, `is_topic_message` and, as Telegram's do, a
    /// `reply_to_message` that is the topic's `forum_topic_created`
    /// message. Fails as Telegram would refuse it (no such topic, or closed
    /// and the user no topic admin).
    pub fn send_text_in_topic(
        &self,
        group_id: i64,
        thread: i64,
        user: i64,
        text: &str,
    ) -> anyhow::Result<Sent> {
        self.act(|st| {
            let content = st.text_content(text);
            st.topic_message(user, group_id, thread, content)
        })
    }

    /// A photo (three sizes) from `user` in topic `thread`.
    pub fn send_photo_in_topic(
        &self,
        group_id: i64,
        thread: i64,
        user: i64,
        caption: Option<&str>,
    ) -> anyhow::Result<Sent> {
        self.act(|st| {
            let content = st.new_photo(caption);
            st.topic_message(user, group_id, thread, content)
        })
    }

    /// Photos of real bytes from `user` in topic `thread`: one is a photo
    /// message, several an album (see `upload_photos`).
    pub fn upload_photos_in_topic(
        &self,
        group_id: i64,
        thread: i64,
        user: i64,
        photos: Vec<Vec<u8>>,
        caption: Option<&str>,
    ) -> anyhow::Result<Vec<Sent>> {
        self.upload_album(photos, caption, |st, content| {
            st.topic_message(user, group_id, thread, content)
        })
    }

    /// A user opens a topic by hand: the bot gets its `forum_topic_created`
    /// message. Returns the new thread id.
    pub fn open_topic_by_hand(&self, group_id: i64, user: i64, name: &str) -> anyhow::Result<i64> {
        self.act(|st| st.open_topic_by_hand(group_id, user, name))
    }

    /// A user closes (`closed`) or reopens a topic by hand: the bot gets the
    /// `forum_topic_closed` / `forum_topic_reopened` message.
    pub fn close_topic_by_hand(
        &self,
        group_id: i64,
        user: i64,
        thread: i64,
        closed: bool,
    ) -> anyhow::Result<Sent> {
        self.act(|st| st.close_topic_by_hand(group_id, user, thread, closed))
    }

    /// A user deletes a topic by hand: it and its messages are gone, and
    /// (as in Telegram) the bot gets no update about it.
    pub fn delete_topic_by_hand(&self, group_id: i64, thread: i64) -> anyhow::Result<()> {
        let out = self.act(|st| st.delete_topic(group_id, thread));
        self.inner.messages.notify_waiters();
        out
    }
}

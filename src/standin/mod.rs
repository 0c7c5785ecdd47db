//! A Bot API stand-in for end-to-end tests and benchmarks: an HTTP server on
//! 127.0.0.1 that speaks Telegram's Bot API for one bot token, so the real
//! bot (through a real `teloxide::Bot`) can be driven by simulated users.
//!
//! What it does:
//! - routes `/bot<token>/<method>` (GET or POST, method names matched
//!   case-insensitively) and `/file/bot<token>/<path>`; a wrong token gets
//!   401 "Unauthorized"; bodies may be JSON, url-encoded forms or multipart;
//! - **refuses** (HTTP 400, recorded in [`StandIn::refusals`]) every request
//!   the specification `telegram-bot-api/api-9.1.json` (a copy kept in this
//!   folder, MIT, see its README) would refuse: unknown method or
//!   parameter, missing required parameter, wrong JSON type (recursively,
//!   unions told apart by their `type` tag), and the prose limits — text
//!   1–4096 UTF-16 units, caption ≤ 1024, callback_data 1–64 bytes, inline
//!   buttons with a label and exactly one action, answerCallbackQuery text
//!   ≤ 200, setMyCommands names/descriptions/count, media groups of 2–10,
//!   webhook secret tokens, getUpdates limit 1–100;
//! - answers semantic errors with Telegram's exact wording (teloxide maps
//!   errors by text): chat not found (also for a private chat whose user never
//!   wrote to the bot), bot blocked, message to edit/delete not found, not
//!   modified, old query id, wrong file id, a message older than 48 hours
//!   that cannot be deleted (tests age messages with
//!   [`StandIn::age_messages`]), an uploaded photo that is not an image
//!   (`IMAGE_PROCESS_FAILED`) or of impossible dimensions, files over
//!   Telegram's upload sizes; recorded in [`StandIn::errors`];
//! - keeps users, chats, per-chat message ids, every bot message with its
//!   edit history, callback queries, commands per scope and language, files;
//! - serves getUpdates as a real long poll with offset confirmation,
//!   `allowed_updates`, 409 for a superseded poll or an active webhook, and
//!   pushes updates to a webhook (with the secret header) when one is set;
//! - models forum topics (Bot API 9.1, see `topics.rs` for where each
//!   wording comes from): [`StandIn::add_forum_group`] makes a supergroup
//!   with `is_forum` (in getChat and in every message's chat) where the bot
//!   may manage topics; `createForumTopic` (its thread id is the id of the
//!   `forum_topic_created` service message it posts; it counts as a message
//!   in the group's lane of 20 a minute), `editForumTopic`,
//!   `closeForumTopic`, `reopenForumTopic` (each posting its service
//!   message; TOPIC_NOT_MODIFIED when nothing changes) and
//!   `deleteForumTopic` (the topic's messages go with it); every send
//!   takes `message_thread_id`, is recorded with it
//!   ([`SentMessage::message_thread_id`]) and is refused in a topic that does
//!   not exist, was deleted or is General ("message thread not found"), or
//!   is closed while the bot neither opened it nor may manage topics
//!   ("TOPIC_CLOSED", see [`StandIn::set_bot_can_manage_topics`]). People
//!   write in topics with [`StandIn::send_text_in_topic`] and its photo
//!   siblings (`message_thread_id`, `is_topic_message` and the implicit
//!   reply to the topic's creation message, as Telegram sends them), open,
//!   close and delete topics by hand; [`StandIn::topics`],
//!   [`StandIn::topic_messages`] and [`StandIn::topic_log`] show the result;
//! - enforces Telegram's flood limits ([`Limits`]) with 429 + `retry_after`,
//!   and injects faults: 5xx, blocked chats, forced 429, dropped responses
//!   (accepted, then the connection breaks), latency.
//!
//! What it does not model: parse modes (text is stored and echoed as sent,
//! entities are not computed, so lengths are counted before markup is
//! stripped — stricter than Telegram), inline mode, payments, games, polls,
//! stickers sets, business connections, chat administration (pinning and
//! the bot's right to manage forum topics aside), the General topic's own
//! methods and `getForumTopicIconStickers` (any custom emoji id is taken as
//! a topic icon), topics' service messages other than creation counting
//! against flood limits,
//! group membership (any user may write in any group), callback queries
//! expiring with age, message reactions, `copyMessage`/`forwardMessage`
//! (answered 400 "does not model"), webhooks' HTTPS/port rules and
//! `max_connections`, file size limits beyond two (a photo a user uploads is
//! at most 10 MB, a file getFile hands out at most 20 MB), and Telegram's
//! 24-hour update expiry.

mod body;
mod error;
mod limits;
mod records;
mod server;
mod spec;
mod state;
mod topics;

#[cfg(test)]
mod teloxide_tests;
#[cfg(test)]
mod topics_tests;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use anyhow::{bail, Context};
use serde_json::{json, Map, Value};
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

pub use body::Upload;
pub use limits::Limits;
pub use records::{
    BotCommand, CallbackAnswer, ErrorRecord, InlineButton, MessageVersion, Outcome, Pressed,
    RefusalRecord, RequestRecord, Sent, SentFile, SentMessage,
};
pub use spec::{utf16_len, Refusal, Spec};
pub use state::{
    TestUser, DELETE_WITHIN_SECS, DOCUMENT_MAX_BYTES, DOWNLOAD_MAX_BYTES, PHOTO_MAX_BYTES,
    PHOTO_TOO_BIG,
};

pub use topics::{Topic, GENERAL_TOPIC, ICON_COLORS, TOPIC_NAME_MAX};

use state::State;

/// How to start a stand-in.
#[derive(Debug, Clone)]
pub struct StandInConfig {
    pub token: String,
    pub limits: Limits,
    pub bot_username: String,
}

impl Default for StandInConfig {
    fn default() -> Self {
        Self {
            token: "123456789:AAstand-in-test-token".to_owned(),
            limits: Limits::default(),
            bot_username: "propdesk_bot".to_owned(),
        }
    }
}

impl StandInConfig {
    /// The defaults without flood limits, for tests that are not about rates.
    #[must_use]
    pub fn unlimited() -> Self {
        Self {
            limits: Limits::unlimited(),
            ..Self::default()
        }
    }
}

pub(crate) struct Inner {
    token: String,
    spec: Spec,
    state: Mutex<State>,
    /// New updates, a newer getUpdates, or a webhook change.
    updates: Notify,
    /// The bot's messages changed.
    messages: Notify,
    /// Bumped on every change a client could show (a user acted, the bot
    /// called a method): what [`StandIn::subscribe`] watches.
    changes: watch::Sender<u64>,
    shutdown: watch::Receiver<bool>,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn changed(&self) {
        self.changes.send_modify(|n| *n += 1);
    }
}

/// Stops the server when the last handle goes away.
struct Guard {
    shutdown: watch::Sender<bool>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

/// The running stand-in. Cheap to clone; usable from many tasks.
#[derive(Clone)]
pub struct StandIn {
    inner: Arc<Inner>,
    guard: Arc<Guard>,
    addr: SocketAddr,
}

impl std::fmt::Debug for StandIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StandIn")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl StandIn {
    /// Parses the bundled specification and listens on an ephemeral port of 127.0.0.1.
    pub async fn start(config: StandInConfig) -> anyhow::Result<Self> {
        let spec = Spec::bundled()?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding the stand-in")?;
        let addr = listener.local_addr()?;
        let (tx, rx) = watch::channel(false);
        let inner = Arc::new(Inner {
            state: Mutex::new(State::new(
                &config.token,
                &config.bot_username,
                config.limits,
            )),
            token: config.token,
            spec,
            updates: Notify::new(),
            messages: Notify::new(),
            changes: watch::channel(0).0,
            shutdown: rx,
        });
        let mut stop = inner.shutdown.clone();
        let app = server::router(inner.clone());
        let serve = tokio::spawn(async move {
            let graceful = async move {
                let _ = stop.wait_for(|stopped| *stopped).await;
            };
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(graceful)
                .await
            {
                tracing::warn!(error = %e, "stand-in server stopped");
            }
        });
        let pusher = tokio::spawn(server::push_webhook(inner.clone()));
        let guard = Arc::new(Guard {
            shutdown: tx,
            tasks: Mutex::new(vec![serve, pusher]),
        });
        Ok(Self { inner, guard, addr })
    }

    /// The base URL for `Bot::set_api_url`, e.g. `http://127.0.0.1:PORT/`.
    #[must_use]
    pub fn api_url(&self) -> url::Url {
        let text = format!("http://{}/", self.addr);
        // A socket address always makes a valid http URL.
        url::Url::parse(&text).unwrap_or_else(|_| unreachable!("{text} is a valid URL"))
    }

    #[must_use]
    pub fn token(&self) -> &str {
        &self.inner.token
    }

    /// Stops serving: pending long polls answer `[]`, the listener closes.
    pub async fn shutdown(&self) {
        let _ = self.guard.shutdown.send(true);
        let tasks: Vec<JoinHandle<()>> =
            std::mem::take(&mut *self.guard.tasks.lock().unwrap_or_else(|e| e.into_inner()));
        for task in tasks {
            let abort = task.abort_handle();
            if tokio::time::timeout(Duration::from_secs(2), task)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.inner.lock()
    }

    /// Runs `act` on the state and wakes pollers and the webhook pusher.
    fn act<T>(&self, act: impl FnOnce(&mut State) -> T) -> T {
        let out = act(&mut self.lock());
        self.inner.updates.notify_waiters();
        self.inner.changed();
        out
    }

    // ---- acting as users ----------------------------------------------------

    /// Creates a user; their private chat exists once they write to the bot.
    pub fn add_user(&self, user: TestUser) {
        self.lock().add_user(user);
    }

    /// Creates a user who has already started the bot (their private chat
    /// exists), without an update: for broadcasts to many chats.
    pub fn add_started_user(&self, user: TestUser) {
        let mut state = self.lock();
        let id = user.id;
        state.add_user(user);
        state.mark_started(id);
    }

    /// Numbers the next update after `last_update_id` and the next message
    /// of each `(chat, last message id)` after it: for a client that starts
    /// a fresh stand-in against a bot whose database remembers an earlier one.
    pub fn continue_numbering(&self, last_update_id: i64, last_message_ids: &[(i64, i64)]) {
        self.lock()
            .continue_numbering(last_update_id, last_message_ids);
    }

    /// Creates a group (id < 0) or, below -10^12, a supergroup.
    pub fn add_group(&self, group_id: i64, title: &str) {
        self.lock().add_group(group_id, title);
    }

    /// A text message in the user's private chat; a leading `/command` gets
    /// a `bot_command` entity.
    pub fn send_text(&self, user: i64, text: &str) -> anyhow::Result<Sent> {
        self.act(|st| {
            let content = st.text_content(text);
            st.user_message(user, user, content)
        })
    }

    pub fn send_text_in_group(&self, group_id: i64, user: i64, text: &str) -> anyhow::Result<Sent> {
        self.act(|st| {
            let content = st.text_content(text);
            st.user_message(user, group_id, content)
        })
    }

    /// A text reply to message `message_id` of `chat_id`.
    pub fn reply_to(
        &self,
        chat_id: i64,
        user: i64,
        message_id: i64,
        text: &str,
    ) -> anyhow::Result<Sent> {
        self.act(|st| {
            let Some(original) = st.message_json(chat_id, message_id) else {
                bail!("chat {chat_id} has no message {message_id} to reply to");
            };
            // A reply to a message in a forum topic stays in that topic.
            let thread = original
                .get("is_topic_message")
                .and_then(|_| original.get("message_thread_id"))
                .and_then(Value::as_i64);
            let mut content = st.text_content(text);
            content.insert("reply_to_message".into(), original);
            match thread {
                Some(thread) => st.topic_message(user, chat_id, thread, content),
                None => st.user_message(user, chat_id, content),
            }
        })
    }

    /// Presses an inline button; fails if the message has no button with that data.
    pub fn press_button(
        &self,
        user: i64,
        chat_id: i64,
        message_id: i64,
        data: &str,
    ) -> anyhow::Result<Pressed> {
        self.act(|st| st.press(user, chat_id, message_id, data, false))
    }

    /// A callback query with any data, as a modified client could send.
    pub fn press_forged_button(
        &self,
        user: i64,
        chat_id: i64,
        message_id: i64,
        data: &str,
    ) -> anyhow::Result<Pressed> {
        self.act(|st| st.press(user, chat_id, message_id, data, true))
    }

    /// Shares a phone number; `contact_user_id` is set when it is the
    /// sender's own contact (the "share my number" button).
    pub fn share_contact(
        &self,
        user: i64,
        phone: &str,
        contact_user_id: Option<i64>,
    ) -> anyhow::Result<Sent> {
        self.act(|st| {
            let first_name = st.user(user)?.first_name;
            let mut contact = json!({"phone_number": phone, "first_name": first_name});
            if let Some(id) = contact_user_id {
                contact["user_id"] = json!(id);
            }
            let mut content = Map::new();
            content.insert("contact".into(), contact);
            st.user_message(user, user, content)
        })
    }

    /// A photo (three sizes, registered for getFile) with an optional caption.
    pub fn send_photo(&self, user: i64, caption: Option<&str>) -> anyhow::Result<Sent> {
        self.act(|st| {
            let content = st.new_photo(caption);
            st.user_message(user, user, content)
        })
    }

    /// Photos the user uploads into `chat_id` (their private chat or a
    /// group): one is a photo message, several an album sharing a
    /// media_group_id (the caption on the first). A photo over
    /// [`PHOTO_MAX_BYTES`] is refused with [`PHOTO_TOO_BIG`] and nothing is sent.
    pub fn upload_photos(
        &self,
        user: i64,
        chat_id: i64,
        photos: Vec<Vec<u8>>,
        caption: Option<&str>,
    ) -> anyhow::Result<Vec<Sent>> {
        self.upload_album(photos, caption, |st, content| {
            st.user_message(user, chat_id, content)
        })
    }

    /// Photos of real bytes, each posted by `post`: one is a photo message,
    /// several an album sharing a media_group_id (the caption on the
    /// first). Nothing is posted when one is too big or there are not 1–10.
    fn upload_album(
        &self,
        photos: Vec<Vec<u8>>,
        caption: Option<&str>,
        mut post: impl FnMut(&mut State, Map<String, Value>) -> anyhow::Result<Sent>,
    ) -> anyhow::Result<Vec<Sent>> {
        if photos.iter().any(|p| p.len() > PHOTO_MAX_BYTES) {
            bail!("{PHOTO_TOO_BIG}");
        }
        if photos.is_empty() || photos.len() > 10 {
            bail!("an upload has 1 to 10 photos");
        }
        self.act(|st| {
            let group = (photos.len() > 1).then(|| st.new_media_group_id());
            let mut sent = Vec::new();
            for (i, bytes) in photos.into_iter().enumerate() {
                let mut content = st.photo_from_bytes(bytes, caption.filter(|_| i == 0))?;
                if let Some(g) = &group {
                    content.insert("media_group_id".into(), json!(g));
                }
                sent.push(post(st, content)?);
            }
            Ok(sent)
        })
    }

    /// A text message from `user` in any chat: their private chat
    /// (`chat_id == user`) or a group.
    pub fn send_text_in(&self, chat_id: i64, user: i64, text: &str) -> anyhow::Result<Sent> {
        self.act(|st| {
            let content = st.text_content(text);
            st.user_message(user, chat_id, content)
        })
    }

    /// `n` photo messages sharing a media_group_id, with consecutive update ids.
    pub fn send_album(&self, user: i64, n: usize) -> anyhow::Result<Vec<Sent>> {
        self.act(|st| {
            let group = st.new_media_group_id();
            (0..n)
                .map(|i| {
                    let mut content = st.new_photo((i == 0).then_some("album"));
                    content.insert("media_group_id".into(), json!(group));
                    st.user_message(user, user, content)
                })
                .collect()
        })
    }

    pub fn send_location(&self, user: i64, latitude: f64, longitude: f64) -> anyhow::Result<Sent> {
        self.act(|st| {
            let mut content = Map::new();
            content.insert(
                "location".into(),
                json!({"latitude": latitude, "longitude": longitude}),
            );
            st.user_message(user, user, content)
        })
    }

    pub fn send_sticker(&self, user: i64) -> anyhow::Result<Sent> {
        self.act(|st| {
            let content = st.file_content("sticker");
            st.user_message(user, user, content)
        })
    }

    pub fn send_voice(&self, user: i64) -> anyhow::Result<Sent> {
        self.act(|st| {
            let content = st.file_content("voice");
            st.user_message(user, user, content)
        })
    }

    /// The user edits their earlier text message: an `edited_message` update.
    pub fn edit_message(&self, user: i64, message_id: i64, text: &str) -> anyhow::Result<i64> {
        self.act(|st| st.edited_message(user, message_id, text))
    }

    /// A post in a channel (the bot is not meant to serve channels).
    pub fn channel_post(&self, channel_id: i64, text: &str) -> i64 {
        self.act(|st| st.channel_post(channel_id, text))
    }

    /// The bot's status in the user's private chat changes, e.g. "member" →
    /// "kicked" when the user blocks the bot (later sends get 403).
    pub fn my_chat_member(
        &self,
        user: i64,
        old_status: &str,
        new_status: &str,
    ) -> anyhow::Result<i64> {
        self.act(|st| st.my_chat_member(user, old_status, new_status))
    }

    /// `user` adds the bot to group `group_id` (a `my_chat_member` update);
    /// after the bot's `leaveChat` sends there are refused with 403.
    pub fn add_bot_to_group(&self, group_id: i64, user: i64) -> anyhow::Result<i64> {
        self.act(|st| st.add_bot_to_group(group_id, user))
    }

    /// Queues `updates` as they are, at once (one getUpdates answer takes
    /// them together); each `update_id` is replaced by the next one.
    pub fn inject_raw_updates(&self, updates: Vec<Value>) -> Vec<i64> {
        self.act(|st| updates.into_iter().map(|u| st.push_update(u)).collect())
    }

    /// Delivers every kind of update from now on, whatever the bot's
    /// `allowed_updates` asks for.
    pub fn deliver_every_kind(&self) {
        self.lock().faults.every_kind = true;
    }

    /// Queues `update` as is (its `update_id` is replaced by the next one).
    pub fn inject_raw_update(&self, update: Value) -> i64 {
        self.act(|st| st.push_update(update))
    }

    /// Queues an exact copy of an already delivered update, same update_id,
    /// as Telegram does when it delivers twice.
    pub fn redeliver(&self, update_id: i64) -> anyhow::Result<()> {
        self.act(|st| st.redeliver(update_id))
    }

    // ---- reading what the bot did -------------------------------------------

    /// The bot's messages in `chat_id` as they stand now (deleted ones
    /// flagged), in the order sent.
    #[must_use]
    pub fn messages(&self, chat_id: i64) -> Vec<SentMessage> {
        self.lock().messages(chat_id)
    }

    /// The bot's messages in every chat from the `cursor`-th on, in the
    /// order sent: a load driver reads what is new without copying the rest.
    #[must_use]
    pub fn messages_since(&self, cursor: usize) -> Vec<SentMessage> {
        self.lock().messages_since(cursor)
    }

    /// Waits until a bot message in `chat_id` satisfies `predicate`.
    pub async fn wait_for_message<P>(
        &self,
        chat_id: i64,
        predicate: P,
        timeout: Duration,
    ) -> anyhow::Result<SentMessage>
    where
        P: Fn(&SentMessage) -> bool,
    {
        self.wait_until(chat_id, timeout, |messages| {
            messages.iter().find(|m| predicate(m)).cloned()
        })
        .await
        .context("no matching message")
    }

    /// Waits until the bot has sent at least `count` messages to `chat_id`.
    pub async fn wait_for_messages(
        &self,
        chat_id: i64,
        count: usize,
        timeout: Duration,
    ) -> anyhow::Result<Vec<SentMessage>> {
        self.wait_until(chat_id, timeout, |messages| {
            (messages.len() >= count).then(|| messages.to_vec())
        })
        .await
        .with_context(|| format!("fewer than {count} messages"))
    }

    async fn wait_until<T>(
        &self,
        chat_id: i64,
        timeout: Duration,
        done: impl Fn(&[SentMessage]) -> Option<T>,
    ) -> anyhow::Result<T> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let mut changed = std::pin::pin!(self.inner.messages.notified());
            changed.as_mut().enable();
            let messages = self.messages(chat_id);
            if let Some(found) = done(&messages) {
                return Ok(found);
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                let got: Vec<String> = messages
                    .iter()
                    .map(|m| {
                        format!(
                            "#{} {}{:?}",
                            m.message_id,
                            if m.deleted { "(deleted) " } else { "" },
                            m.body()
                        )
                    })
                    .collect();
                bail!(
                    "timed out after {timeout:?}; chat {chat_id} received {} message(s): [{}]",
                    got.len(),
                    got.join(", ")
                );
            }
        }
    }

    /// Both sides of `chat_id` in order, as a Telegram client shows it
    /// (see `State::chat_log`): for the demo page.
    #[must_use]
    pub fn chat_log(&self, chat_id: i64) -> Vec<Value> {
        self.lock().chat_log(chat_id)
    }

    /// The message the bot pinned last in `chat_id`, if still pinned.
    #[must_use]
    pub fn pinned(&self, chat_id: i64) -> Option<i64> {
        self.lock().pinned(chat_id)
    }

    /// The bytes of a file (a user's photo or one the bot uploaded).
    #[must_use]
    pub fn file_bytes(&self, file_id: &str) -> Option<Vec<u8>> {
        self.lock().file_by_id(file_id)
    }

    /// A counter bumped on every change a client could show: a user acted
    /// or the bot called a method (long polls aside). Wait on
    /// `changed()` to stream them.
    #[must_use]
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.inner.changes.subscribe()
    }

    /// Answers to callback queries, in the order the queries were made.
    #[must_use]
    pub fn callback_answers(&self) -> Vec<CallbackAnswer> {
        self.lock().callback_answers()
    }

    /// Commands for the default scope and `language_code` ("" for all languages).
    #[must_use]
    pub fn commands(&self, language_code: &str) -> Vec<BotCommand> {
        self.lock()
            .commands(&json!({"type": "default"}), language_code)
    }

    /// Commands for a scope given as Bot API JSON, e.g. `{"type":"all_private_chats"}`.
    #[must_use]
    pub fn commands_for(&self, scope: &Value, language_code: &str) -> Vec<BotCommand> {
        self.lock().commands(scope, language_code)
    }

    #[must_use]
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.lock().requests.clone()
    }

    #[must_use]
    pub fn refusals(&self) -> Vec<RefusalRecord> {
        self.lock().refusals.clone()
    }

    #[must_use]
    pub fn errors(&self) -> Vec<ErrorRecord> {
        self.lock().errors.clone()
    }

    /// Panics listing every refused request; every e2e test ends with it.
    #[track_caller]
    #[allow(clippy::panic)] // a test assertion: failing the test is its job
    pub fn assert_nothing_refused(&self) {
        let refusals = self.refusals();
        if !refusals.is_empty() {
            let list: Vec<String> = refusals
                .iter()
                .map(|r| format!("  {} {}: {}", r.method, r.params, r.detail))
                .collect();
            panic!(
                "the Bot API would have refused {} request(s):\n{}",
                refusals.len(),
                list.join("\n")
            );
        }
    }

    /// How many getUpdates calls the bot has made (a load driver waits for
    /// the first to know the bot is up, without copying the request log).
    #[must_use]
    pub fn polls(&self) -> u64 {
        self.lock().poll_generation
    }

    /// Updates queued and not yet confirmed.
    #[must_use]
    pub fn pending_updates(&self) -> usize {
        self.lock().pending_updates()
    }

    /// How many sends were answered 429.
    #[must_use]
    pub fn rate_limited_count(&self) -> u64 {
        self.lock().limiter.rejected
    }

    /// The most accepted sends within any window of `window`, all chats together.
    #[must_use]
    pub fn max_sends_in_any_window(&self, window: Duration) -> usize {
        self.lock().limiter.max_in_any_window(window)
    }

    /// The most accepted sends to one chat within any window of `window`.
    #[must_use]
    pub fn max_sends_per_chat_in_any_window(&self, window: Duration) -> usize {
        self.lock().limiter.max_per_chat_in_any_window(window)
    }

    /// How many sends were accepted.
    #[must_use]
    pub fn accepted_sends(&self) -> usize {
        self.lock().limiter.sends().len()
    }

    // ---- faults -------------------------------------------------------------

    /// The next `n` calls of any method but getUpdates answer `status`
    /// (500 "Internal Server Error", 502 "Bad Gateway", ...).
    pub fn fail_next(&self, n: u32, status: u16) {
        self.lock().faults.fail.push((None, n, status));
    }

    /// Like `fail_next`, for one method only (any spelling).
    pub fn fail_next_method(&self, method: &str, n: u32, status: u16) {
        self.lock()
            .faults
            .fail
            .push((Some(method.to_owned()), n, status));
    }

    /// Sends to `chat_id` get 403 "Forbidden: bot was blocked by the user".
    /// Ages the bot's messages in `chat_id` (every chat: None) by `by`, as
    /// if they were sent that much earlier: Telegram's 48-hour limit on
    /// deleteMessage then applies to them.
    pub fn age_messages(&self, chat_id: Option<i64>, by: Duration) {
        self.lock()
            .age_messages(chat_id, i64::try_from(by.as_secs()).unwrap_or(i64::MAX));
        self.inner.changed();
    }

    pub fn block_chat(&self, chat_id: i64) {
        self.lock().block_chat(chat_id);
    }

    /// The next send to `chat_id` gets 429 with this `retry_after`.
    pub fn force_429(&self, chat_id: i64, retry_after_secs: u64) {
        self.lock().force_429(chat_id, retry_after_secs);
    }

    /// The next `n` successful calls are carried out, then their connection
    /// breaks instead of answering: an ambiguous send.
    pub fn drop_next_responses(&self, n: u32) {
        self.lock().faults.drop_responses += n;
    }

    /// Every answer is delayed by `latency`.
    pub fn set_latency(&self, latency: Duration) {
        self.lock().faults.latency = latency;
    }
}

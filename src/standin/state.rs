//! The stand-in's world: users and chats, the bot's messages, the update
//! queue, callback queries, commands, files, and what Telegram answers to
//! each method. Everything here is synchronous; `server.rs` holds the lock.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail};
use serde_json::{json, Map, Value};

use super::body::{Decoded, Upload};
pub(crate) use super::error::ApiError;
use super::limits::{Limits, RateLimiter};
use super::records::{
    BotCommand, CallbackAnswer, ErrorRecord, MessageVersion, Pressed, RefusalRecord, RequestRecord,
    Sent, SentFile, SentMessage,
};
use super::topics::Forums;

pub(crate) const CHAT_NOT_FOUND: &str = "Bad Request: chat not found";
const BLOCKED: &str = "Forbidden: bot was blocked by the user";
const KICKED: &str = "Forbidden: bot was kicked from the group chat";
const EDIT_NOT_FOUND: &str = "Bad Request: message to edit not found";
const NOT_MODIFIED: &str = "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message";
const OLD_QUERY: &str =
    "Bad Request: query is too old and response timeout expired or query id is invalid";
const WRONG_FILE: &str = "Bad Request: wrong file identifier/HTTP URL specified";
/// The largest photo Telegram takes from a client (bigger ones go as files).
pub const PHOTO_MAX_BYTES: usize = 10 * 1024 * 1024;
/// What Telegram answers a client uploading a bigger photo.
pub const PHOTO_TOO_BIG: &str = "400 PHOTO_SAVE_FILE_INVALID: Telegram takes photos of up to 10 MB";
/// Telegram deletes a message only within 48 hours of its sending.
pub const DELETE_WITHIN_SECS: i64 = 48 * 3600;
/// Telegram's answer to deleting an older message.
const CANT_DELETE: &str = "Bad Request: message can't be deleted";
/// The largest document a bot may upload.
pub const DOCUMENT_MAX_BYTES: usize = 50 * 1024 * 1024;
/// The largest file a bot may download with getFile.
pub const DOWNLOAD_MAX_BYTES: usize = 20 * 1024 * 1024;

/// A simulated Telegram user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestUser {
    pub id: i64,
    pub first_name: String,
    pub username: Option<String>,
    pub language_code: Option<String>,
}

impl TestUser {
    #[must_use]
    pub fn new(id: i64, first_name: &str) -> Self {
        Self {
            id,
            first_name: first_name.to_owned(),
            username: None,
            language_code: None,
        }
    }

    #[must_use]
    pub fn username(mut self, username: &str) -> Self {
        self.username = Some(username.to_owned());
        self
    }

    #[must_use]
    pub fn language(mut self, code: &str) -> Self {
        self.language_code = Some(code.to_owned());
        self
    }

    fn json(&self) -> Value {
        let mut u = json!({"id": self.id, "is_bot": false, "first_name": self.first_name});
        if let Some(name) = &self.username {
            u["username"] = json!(name);
        }
        if let Some(code) = &self.language_code {
            u["language_code"] = json!(code);
        }
        u
    }
}

#[derive(Debug)]
struct UserRec {
    user: TestUser,
    /// Whether the user ever wrote to the bot; before that the bot cannot.
    started: bool,
}

#[derive(Debug)]
struct GroupRec {
    title: String,
    kind: &'static str,
    /// The bot left (`leaveChat`): sends there are refused with 403.
    left: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Queued {
    pub id: i64,
    pub kind: String,
    pub json: Value,
    /// A redelivered copy survives the confirmation of its id once.
    pub redelivery: bool,
    pub delivered: bool,
}

#[derive(Debug)]
struct FileRec {
    unique_id: String,
    path: String,
    bytes: Vec<u8>,
}

#[derive(Debug)]
struct CallbackRec {
    data: Option<String>,
    answer: Option<CallbackAnswer>,
}

#[derive(Debug, Clone)]
pub(crate) struct Webhook {
    pub url: String,
    pub secret_token: Option<String>,
}

/// Faults a test asked for.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    /// (method filter, remaining, status)
    pub fail: Vec<(Option<String>, u32, u16)>,
    pub drop_responses: u32,
    pub latency: Duration,
    blocked: HashSet<i64>,
    forced_429: HashMap<i64, u64>,
    /// Deliver every kind of update, whatever `allowed_updates` says (a
    /// Telegram that changed, or sends a kind it added since).
    pub every_kind: bool,
}

#[derive(Debug)]
pub(crate) struct State {
    bot_id: i64,
    bot_username: String,
    users: HashMap<i64, UserRec>,
    groups: HashMap<i64, GroupRec>,
    last_message_id: HashMap<i64, i64>,
    user_messages: HashMap<(i64, i64), Value>,
    bot_messages: Vec<SentMessage>,
    bot_index: HashMap<(i64, i64), usize>,
    next_update_id: i64,
    pub queue: VecDeque<Queued>,
    delivered: HashMap<i64, Queued>,
    allowed_updates: Option<Vec<String>>,
    pub poll_generation: u64,
    pub webhook: Option<Webhook>,
    callbacks: HashMap<String, CallbackRec>,
    callback_order: Vec<String>,
    commands: HashMap<(String, String), Vec<BotCommand>>,
    /// Pinned messages per chat, the latest last.
    pinned: HashMap<i64, Vec<i64>>,
    files: HashMap<String, FileRec>,
    next_file: u64,
    next_media_group: u64,
    pub limiter: RateLimiter,
    /// Forum supergroups and their topics.
    pub forums: Forums,
    pub faults: Faults,
    pub requests: Vec<RequestRecord>,
    pub refusals: Vec<RefusalRecord>,
    pub errors: Vec<ErrorRecord>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ImageFormat {
    Png,
    Jpeg,
}

/// An image's format, width and height, read from its header as Telegram's
/// servers would (PNG's IHDR, JPEG's SOF marker); None if it is neither.
fn image_size(bytes: &[u8]) -> Option<(ImageFormat, u32, u32)> {
    let be16 = |i: usize| {
        Some(u32::from(u16::from_be_bytes(
            bytes.get(i..i + 2)?.try_into().ok()?,
        )))
    };
    let be32 = |i: usize| Some(u32::from_be_bytes(bytes.get(i..i + 4)?.try_into().ok()?));
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.get(12..16) == Some(b"IHDR") {
        return Some((ImageFormat::Png, be32(16)?, be32(20)?));
    }
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let mut i = 2;
    while i + 9 < bytes.len() {
        if bytes[i] != 0xFF {
            return None;
        }
        let marker = bytes[i + 1];
        let len = usize::try_from(be16(i + 2)?).ok()?;
        // Start of frame (baseline, progressive …), not DHT/JPG/DAC.
        if (0xC0..=0xCF).contains(&marker) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
            return Some((ImageFormat::Jpeg, be16(i + 7)?, be16(i + 5)?));
        }
        i += 2 + len;
    }
    None
}

/// What Telegram checks of a file a bot uploads: a photo must be an image
/// of at most 10 MB, width and height at most 10000 together and a ratio of
/// at most 20; a document at most 50 MB.
fn check_upload(kind: &str, bytes: &[u8]) -> Result<(), ApiError> {
    let too_large = || ApiError::new(413, "Request Entity Too Large");
    match kind {
        "photo" => {
            if bytes.len() > PHOTO_MAX_BYTES {
                return Err(too_large());
            }
            let Some((_, w, h)) = image_size(bytes) else {
                return Err(ApiError::bad("Bad Request: IMAGE_PROCESS_FAILED"));
            };
            let (w, h) = (u64::from(w), u64::from(h));
            if w == 0 || h == 0 || w + h > 10_000 || w > 20 * h || h > 20 * w {
                return Err(ApiError::bad("Bad Request: PHOTO_INVALID_DIMENSIONS"));
            }
            Ok(())
        }
        _ if bytes.len() > DOCUMENT_MAX_BYTES => Err(too_large()),
        _ => Ok(()),
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Sends that count against flood limits (`sendChatAction` sends nothing).
pub(crate) fn is_message_send(method: &str) -> bool {
    (method.starts_with("send") && method != "sendChatAction")
        || matches!(
            method,
            "copyMessage" | "copyMessages" | "forwardMessage" | "forwardMessages"
        )
}

fn update_kind(update: &Value) -> String {
    update
        .as_object()
        .and_then(|o| o.keys().find(|k| k.as_str() != "update_id").cloned())
        .unwrap_or_default()
}

/// Update kinds Telegram sends when `allowed_updates` was never set.
fn allowed_by_default(kind: &str) -> bool {
    !matches!(
        kind,
        "chat_member" | "message_reaction" | "message_reaction_count"
    )
}

fn command_entity(text: &str) -> Option<Value> {
    if !text.starts_with('/') {
        return None;
    }
    let command = text.split_whitespace().next().unwrap_or_default();
    Some(json!([{"type": "bot_command", "offset": 0, "length": command.encode_utf16().count()}]))
}

impl State {
    pub(crate) fn new(token: &str, bot_username: &str, limits: Limits) -> Self {
        let bot_id = token
            .split(':')
            .next()
            .and_then(|id| id.parse().ok())
            .unwrap_or(1);
        Self {
            bot_id,
            bot_username: bot_username.to_owned(),
            users: HashMap::new(),
            groups: HashMap::new(),
            last_message_id: HashMap::new(),
            user_messages: HashMap::new(),
            bot_messages: Vec::new(),
            bot_index: HashMap::new(),
            next_update_id: 1,
            queue: VecDeque::new(),
            delivered: HashMap::new(),
            allowed_updates: None,
            poll_generation: 0,
            webhook: None,
            callbacks: HashMap::new(),
            callback_order: Vec::new(),
            commands: HashMap::new(),
            pinned: HashMap::new(),
            files: HashMap::new(),
            next_file: 1,
            next_media_group: 1,
            limiter: RateLimiter::new(limits),
            forums: Forums::default(),
            faults: Faults::default(),
            requests: Vec::new(),
            refusals: Vec::new(),
            errors: Vec::new(),
        }
    }

    fn bot_json(&self) -> Value {
        json!({"id": self.bot_id, "is_bot": true, "first_name": "propdesk", "username": self.bot_username})
    }

    fn chat_json(&self, chat_id: i64) -> Value {
        if let Some(rec) = self.users.get(&chat_id) {
            let mut chat =
                json!({"id": chat_id, "type": "private", "first_name": rec.user.first_name});
            if let Some(name) = &rec.user.username {
                chat["username"] = json!(name);
            }
            return chat;
        }
        let (title, kind) = self
            .groups
            .get(&chat_id)
            .map_or(("", "group"), |g| (g.title.as_str(), g.kind));
        let mut chat = json!({"id": chat_id, "type": kind, "title": title});
        if self.forums.is_forum(chat_id) {
            chat["is_forum"] = json!(true);
        }
        chat
    }

    fn next_message_id(&mut self, chat_id: i64) -> i64 {
        let id = self.last_message_id.entry(chat_id).or_insert(0);
        *id += 1;
        *id
    }

    // ---- acting as users -------------------------------------------------

    pub(crate) fn add_user(&mut self, user: TestUser) {
        self.users.insert(
            user.id,
            UserRec {
                user,
                started: false,
            },
        );
    }

    pub(crate) fn continue_numbering(&mut self, last_update_id: i64, chats: &[(i64, i64)]) {
        self.next_update_id = self.next_update_id.max(last_update_id + 1);
        for (chat, last) in chats {
            let id = self.last_message_id.entry(*chat).or_insert(0);
            *id = (*id).max(*last);
        }
    }

    pub(crate) fn mark_started(&mut self, user_id: i64) {
        if let Some(rec) = self.users.get_mut(&user_id) {
            rec.started = true;
        }
    }

    pub(crate) fn add_group(&mut self, id: i64, title: &str) {
        let kind = if id < -1_000_000_000_000 {
            "supergroup"
        } else {
            "group"
        };
        self.groups.insert(
            id,
            GroupRec {
                title: title.to_owned(),
                kind,
                left: false,
            },
        );
    }

    /// A supergroup with topics enabled (`is_forum`).
    pub(crate) fn add_forum_group(&mut self, id: i64, title: &str) {
        self.groups.insert(
            id,
            GroupRec {
                title: title.to_owned(),
                kind: "supergroup",
                left: false,
            },
        );
        self.forums.make_forum(id);
        // Message 1 of a supergroup is its creation; the General topic
        // has id 1, so topics start above it.
        let last = self.last_message_id.entry(id).or_insert(0);
        *last = (*last).max(1);
    }

    pub(crate) fn user(&self, user_id: i64) -> anyhow::Result<TestUser> {
        self.users
            .get(&user_id)
            .map(|r| r.user.clone())
            .ok_or_else(|| anyhow!("user {user_id} does not exist; call add_user first"))
    }

    pub(crate) fn push_update(&mut self, mut update: Value) -> i64 {
        let id = self.next_update_id;
        self.next_update_id += 1;
        update["update_id"] = json!(id);
        let kind = update_kind(&update);
        self.queue.push_back(Queued {
            id,
            kind,
            json: update,
            redelivery: false,
            delivered: false,
        });
        id
    }

    pub(crate) fn redeliver(&mut self, update_id: i64) -> anyhow::Result<()> {
        let Some(old) = self.delivered.get(&update_id) else {
            bail!("update {update_id} was never delivered");
        };
        let copy = Queued {
            redelivery: true,
            delivered: false,
            ..old.clone()
        };
        self.queue.push_back(copy);
        Ok(())
    }

    /// A message from `user` into `chat_id` (their private chat or a group).
    pub(crate) fn user_message(
        &mut self,
        user_id: i64,
        chat_id: i64,
        content: Map<String, Value>,
    ) -> anyhow::Result<Sent> {
        let user = self.user(user_id)?;
        if chat_id == user_id {
            if let Some(rec) = self.users.get_mut(&user_id) {
                rec.started = true;
            }
        } else if !self.groups.contains_key(&chat_id) {
            self.add_group(chat_id, &format!("Group {chat_id}"));
        }
        let message_id = self.next_message_id(chat_id);
        let mut message = json!({
            "message_id": message_id,
            "from": user.json(),
            "chat": self.chat_json(chat_id),
            "date": unix_now(),
        });
        if let Value::Object(m) = &mut message {
            m.extend(content);
        }
        self.user_messages
            .insert((chat_id, message_id), message.clone());
        let update_id = self.push_update(json!({ "message": message }));
        Ok(Sent {
            update_id,
            message_id,
        })
    }

    /// A message from `user` into topic `thread` of a forum: with
    /// `message_thread_id`, `is_topic_message` and, unless it replies to
    /// something else, the topic's creation message as `reply_to_message`
    /// (telegram-bot-api's implicit reply, `get_implicit_reply_to_message_id`).
    pub(crate) fn topic_message(
        &mut self,
        user_id: i64,
        chat_id: i64,
        thread: i64,
        mut content: Map<String, Value>,
    ) -> anyhow::Result<Sent> {
        self.user(user_id)?;
        self.forums.check_user_send(chat_id, thread, user_id)?;
        content.insert("message_thread_id".into(), json!(thread));
        content.insert("is_topic_message".into(), json!(true));
        if !content.contains_key("reply_to_message") {
            if let Some(created) = self.shallow_message_json(chat_id, thread) {
                content.insert("reply_to_message".into(), created);
            }
        }
        self.user_message(user_id, chat_id, content)
    }

    /// A user opens a topic in a client: its `forum_topic_created` message
    /// reaches the bot. Returns the thread id (that message's id).
    pub(crate) fn open_topic_by_hand(
        &mut self,
        chat_id: i64,
        user_id: i64,
        name: &str,
    ) -> anyhow::Result<i64> {
        let user = self.user(user_id)?;
        if !self.forums.is_forum(chat_id) {
            bail!("chat {chat_id} is not a forum; call add_forum_group first");
        }
        let thread = self.next_message_id(chat_id);
        let topic = self.forums.open_by_hand(chat_id, thread, name)?;
        let mut message = json!({
            "message_id": thread,
            "from": user.json(),
            "chat": self.chat_json(chat_id),
            "date": unix_now(),
            "message_thread_id": thread,
            "is_topic_message": true,
        });
        if let (Value::Object(m), Value::Object(c)) = (&mut message, topic.created_json()) {
            m.extend(c);
        }
        self.user_messages
            .insert((chat_id, thread), message.clone());
        self.push_update(json!({ "message": message }));
        Ok(thread)
    }

    /// A user closes or reopens a topic in a client.
    pub(crate) fn close_topic_by_hand(
        &mut self,
        chat_id: i64,
        user_id: i64,
        thread: i64,
        closed: bool,
    ) -> anyhow::Result<Sent> {
        self.forums
            .change_by_hand(chat_id, thread, |t| t.closed = closed)?;
        let key = if closed {
            "forum_topic_closed"
        } else {
            "forum_topic_reopened"
        };
        let mut content = Map::new();
        content.insert(key.into(), json!({}));
        content.insert("message_thread_id".into(), json!(thread));
        content.insert("is_topic_message".into(), json!(true));
        if let Some(created) = self.shallow_message_json(chat_id, thread) {
            content.insert("reply_to_message".into(), created);
        }
        self.user_message(user_id, chat_id, content)
    }

    /// A topic is deleted with all its messages (by the bot or by hand).
    pub(crate) fn delete_topic(&mut self, chat_id: i64, thread: i64) -> anyhow::Result<()> {
        self.forums
            .change_by_hand(chat_id, thread, |t| t.deleted = true)?;
        self.drop_topic_messages(chat_id, thread);
        Ok(())
    }

    fn drop_topic_messages(&mut self, chat_id: i64, thread: i64) {
        let mut gone = HashSet::new();
        for m in &mut self.bot_messages {
            if m.chat_id == chat_id && m.message_thread_id == Some(thread) && !m.deleted {
                m.deleted = true;
                gone.insert(m.message_id);
            }
        }
        self.user_messages.retain(|(chat, id), m| {
            let in_topic = *chat == chat_id
                && m.get("message_thread_id").and_then(Value::as_i64) == Some(thread);
            if in_topic {
                gone.insert(*id);
            }
            !in_topic
        });
        if let Some(list) = self.pinned.get_mut(&chat_id) {
            list.retain(|id| !gone.contains(id));
        }
    }

    /// The stored message without its own reply (as Telegram nests one).
    fn shallow_message_json(&self, chat_id: i64, message_id: i64) -> Option<Value> {
        match self.bot_index.get(&(chat_id, message_id)) {
            Some(i) => self
                .bot_messages
                .get(*i)
                .filter(|m| !m.deleted)
                .map(|m| self.bot_message_json(m, false)),
            None => self.user_messages.get(&(chat_id, message_id)).cloned(),
        }
    }

    pub(crate) fn text_content(&self, text: &str) -> Map<String, Value> {
        let mut content = Map::new();
        content.insert("text".into(), json!(text));
        if let Some(entities) = command_entity(text) {
            content.insert("entities".into(), entities);
        }
        content
    }

    /// The stored message `message_id` of `chat_id`, bot's or user's.
    pub(crate) fn message_json(&self, chat_id: i64, message_id: i64) -> Option<Value> {
        match self.bot_index.get(&(chat_id, message_id)) {
            Some(i) => self
                .bot_messages
                .get(*i)
                .map(|m| self.bot_message_json(m, true)),
            None => self.user_messages.get(&(chat_id, message_id)).cloned(),
        }
    }

    pub(crate) fn new_photo(&mut self, caption: Option<&str>) -> Map<String, Value> {
        let sizes: Vec<Value> = [(90, 67), (320, 240), (1280, 960)]
            .iter()
            .map(|(w, h)| {
                let (file_id, unique_id) = self.register_file("photos", b"\xff\xd8\xff\xe0fake-jpeg".to_vec(), "jpg");
                json!({"file_id": file_id, "file_unique_id": unique_id, "width": w, "height": h, "file_size": 14})
            })
            .collect();
        let mut content = Map::new();
        content.insert("photo".into(), Value::Array(sizes));
        if let Some(c) = caption {
            content.insert("caption".into(), json!(c));
        }
        content
    }

    /// A photo of real bytes (one size, as a client uploads it), or
    /// Telegram's refusal when it is over [`PHOTO_MAX_BYTES`].
    pub(crate) fn photo_from_bytes(
        &mut self,
        bytes: Vec<u8>,
        caption: Option<&str>,
    ) -> anyhow::Result<Map<String, Value>> {
        if bytes.len() > PHOTO_MAX_BYTES {
            bail!("{PHOTO_TOO_BIG}");
        }
        let size = bytes.len();
        let (file_id, unique_id) = self.register_file("photos", bytes, "jpg");
        let mut content = Map::new();
        content.insert(
            "photo".into(),
            json!([{"file_id": file_id, "file_unique_id": unique_id, "width": 1280, "height": 960, "file_size": size}]),
        );
        if let Some(c) = caption {
            content.insert("caption".into(), json!(c));
        }
        Ok(content)
    }

    /// Both sides of a chat in order, as a client shows it: the users'
    /// messages as delivered (`"side": "user"`), the bot's as they stand
    /// now (`"side": "bot"`, with the full markup it was sent with —
    /// reply keyboards included — its edit count and whether it was deleted).
    pub(crate) fn chat_log(&self, chat_id: i64) -> Vec<Value> {
        let mut entries: Vec<(i64, Value)> = self
            .user_messages
            .iter()
            .filter(|((chat, _), _)| *chat == chat_id)
            .map(|((_, id), m)| {
                let mut m = m.clone();
                m["side"] = json!("user");
                (*id, m)
            })
            .collect();
        for m in self.bot_messages.iter().filter(|m| m.chat_id == chat_id) {
            let mut j = self.bot_message_json(m, true);
            j["side"] = json!("bot");
            j["method"] = json!(m.method);
            j["markup"] = m.reply_markup.clone().unwrap_or(Value::Null);
            j["edits"] = json!(m.history.len());
            j["deleted"] = json!(m.deleted);
            entries.push((m.message_id, j));
        }
        entries.sort_by_key(|(id, _)| *id);
        entries.into_iter().map(|(_, m)| m).collect()
    }

    /// The message pinned last in `chat_id` and still pinned.
    pub(crate) fn pinned(&self, chat_id: i64) -> Option<i64> {
        self.pinned.get(&chat_id).and_then(|l| l.last().copied())
    }

    /// The bytes of a file by its file_id.
    pub(crate) fn file_by_id(&self, file_id: &str) -> Option<Vec<u8>> {
        self.files.get(file_id).map(|f| f.bytes.clone())
    }

    pub(crate) fn new_media_group_id(&mut self) -> String {
        self.next_media_group += 1;
        format!("{}", 13_000_000_000_000_000u64 + self.next_media_group)
    }

    pub(crate) fn file_content(&mut self, kind: &str) -> Map<String, Value> {
        let (file_id, unique_id) =
            self.register_file(&format!("{kind}s"), b"fake-media".to_vec(), "bin");
        let file = match kind {
            "sticker" => json!({"file_id": file_id, "file_unique_id": unique_id, "type": "regular",
                "width": 512, "height": 512, "is_animated": false, "is_video": false, "emoji": "👍"}),
            _ => {
                json!({"file_id": file_id, "file_unique_id": unique_id, "duration": 2, "mime_type": "audio/ogg"})
            }
        };
        let mut content = Map::new();
        content.insert(kind.into(), file);
        content
    }

    pub(crate) fn press(
        &mut self,
        user_id: i64,
        chat_id: i64,
        message_id: i64,
        data: &str,
        forged: bool,
    ) -> anyhow::Result<Pressed> {
        let user = self.user(user_id)?;
        let message = self
            .bot_index
            .get(&(chat_id, message_id))
            .and_then(|i| self.bot_messages.get(*i));
        if !forged {
            let Some(m) = message.filter(|m| !m.deleted) else {
                bail!("chat {chat_id} has no bot message {message_id} to press a button on");
            };
            let buttons = m.buttons();
            if !buttons
                .iter()
                .any(|b| b.callback_data.as_deref() == Some(data))
            {
                bail!("message {message_id} in chat {chat_id} has no button with data {data:?}; it has {buttons:?}");
            }
        }
        let message_json = match message.filter(|m| !m.deleted) {
            Some(m) => self.bot_message_json(m, true),
            None => json!({"chat": self.chat_json(chat_id), "message_id": message_id, "date": 0}),
        };
        let query_id = format!(
            "{}",
            4_000_000_000_000_000_000u64 + self.callback_order.len() as u64
        );
        self.callbacks.insert(
            query_id.clone(),
            CallbackRec {
                data: Some(data.to_owned()),
                answer: None,
            },
        );
        self.callback_order.push(query_id.clone());
        let update_id = self.push_update(json!({"callback_query": {
            "id": query_id,
            "from": user.json(),
            "message": message_json,
            "chat_instance": format!("{}", chat_id.unsigned_abs() * 7 + 1),
            "data": data,
        }}));
        Ok(Pressed {
            update_id,
            callback_query_id: query_id,
        })
    }

    pub(crate) fn edited_message(
        &mut self,
        user_id: i64,
        message_id: i64,
        text: &str,
    ) -> anyhow::Result<i64> {
        let Some(mut message) = self.user_messages.get(&(user_id, message_id)).cloned() else {
            bail!("user {user_id} has no message {message_id} to edit");
        };
        message["text"] = json!(text);
        message["edit_date"] = json!(unix_now());
        self.user_messages
            .insert((user_id, message_id), message.clone());
        Ok(self.push_update(json!({ "edited_message": message })))
    }

    pub(crate) fn channel_post(&mut self, channel_id: i64, text: &str) -> i64 {
        self.groups.entry(channel_id).or_insert_with(|| GroupRec {
            title: format!("Channel {channel_id}"),
            kind: "channel",
            left: false,
        });
        let message_id = self.next_message_id(channel_id);
        let chat = self.chat_json(channel_id);
        self.push_update(json!({"channel_post": {
            "message_id": message_id, "sender_chat": chat, "chat": chat, "date": unix_now(), "text": text,
        }}))
    }

    /// The bot's membership in the user's private chat changes; `kicked`
    /// means the user blocked the bot, and sends to them then fail with 403.
    pub(crate) fn my_chat_member(
        &mut self,
        user_id: i64,
        old: &str,
        new: &str,
    ) -> anyhow::Result<i64> {
        let user = self.user(user_id)?;
        let member = |status: &str| {
            let mut m = json!({"user": self.bot_json(), "status": status});
            if status == "kicked" {
                m["until_date"] = json!(0);
            }
            m
        };
        let update = json!({"my_chat_member": {
            "chat": self.chat_json(user_id), "from": user.json(), "date": unix_now(),
            "old_chat_member": member(old), "new_chat_member": member(new),
        }});
        match new {
            "kicked" => self.faults.blocked.insert(user_id),
            _ => self.faults.blocked.remove(&user_id),
        };
        Ok(self.push_update(update))
    }

    /// `user_id` adds the bot to group `group_id` (created if new): a
    /// `my_chat_member` update, "left" → "member".
    pub(crate) fn add_bot_to_group(&mut self, group_id: i64, user_id: i64) -> anyhow::Result<i64> {
        let user = self.user(user_id)?;
        if !self.groups.contains_key(&group_id) {
            self.add_group(group_id, &format!("Group {group_id}"));
        }
        if let Some(g) = self.groups.get_mut(&group_id) {
            g.left = false;
        }
        let bot = self.bot_json();
        let update = json!({"my_chat_member": {
            "chat": self.chat_json(group_id), "from": user.json(), "date": unix_now(),
            "old_chat_member": {"user": bot, "status": "left"},
            "new_chat_member": {"user": bot, "status": "member"},
        }});
        Ok(self.push_update(update))
    }

    /// Makes the bot's messages in `chat_id` (every chat: None) `secs`
    /// older, as if sent that much earlier.
    pub(crate) fn age_messages(&mut self, chat_id: Option<i64>, secs: i64) {
        for m in &mut self.bot_messages {
            if chat_id.is_none_or(|c| c == m.chat_id) {
                m.date -= secs;
            }
        }
    }

    pub(crate) fn block_chat(&mut self, chat_id: i64) {
        self.faults.blocked.insert(chat_id);
    }

    pub(crate) fn force_429(&mut self, chat_id: i64, retry_after: u64) {
        self.faults.forced_429.insert(chat_id, retry_after.max(1));
    }

    // ---- reading ---------------------------------------------------------

    pub(crate) fn messages_since(&self, cursor: usize) -> Vec<SentMessage> {
        self.bot_messages.get(cursor..).unwrap_or_default().to_vec()
    }

    pub(crate) fn messages(&self, chat_id: i64) -> Vec<SentMessage> {
        self.bot_messages
            .iter()
            .filter(|m| m.chat_id == chat_id)
            .cloned()
            .collect()
    }

    pub(crate) fn callback_answers(&self) -> Vec<CallbackAnswer> {
        self.callback_order
            .iter()
            .filter_map(|id| self.callbacks.get(id).and_then(|c| c.answer.clone()))
            .collect()
    }

    pub(crate) fn commands(&self, scope: &Value, language_code: &str) -> Vec<BotCommand> {
        self.commands
            .get(&(scope_key(Some(scope)), language_code.to_owned()))
            .cloned()
            .unwrap_or_default()
    }

    pub(crate) fn pending_updates(&self) -> usize {
        self.queue.len()
    }

    // ---- getUpdates ------------------------------------------------------

    /// Confirms what `offset` confirms and stores `allowed_updates`.
    pub(crate) fn confirm(&mut self, params: &Value) {
        if let Some(allowed) = params.get("allowed_updates").and_then(Value::as_array) {
            let kinds: Vec<String> = allowed
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect();
            self.allowed_updates = (!kinds.is_empty()).then_some(kinds);
        }
        // A redelivered copy that went out is confirmed by the next call.
        self.queue.retain(|u| !(u.redelivery && u.delivered));
        match params.get("offset").and_then(Value::as_i64) {
            Some(offset) if offset < 0 => {
                let keep = offset.unsigned_abs() as usize;
                let drop = self.queue.len().saturating_sub(keep);
                self.queue.drain(..drop);
            }
            Some(offset) if offset > 0 => {
                self.queue
                    .retain(|u| u.id >= offset || (u.redelivery && !u.delivered));
            }
            _ => {}
        }
    }

    /// Telegram does not even keep updates of kinds the bot declined.
    fn retain_allowed(&mut self) {
        if self.faults.every_kind {
            return;
        }
        let allowed = self.allowed_updates.clone();
        self.queue.retain(|u| match &allowed {
            Some(list) => list.iter().any(|k| k == &u.kind),
            None => allowed_by_default(&u.kind),
        });
    }

    /// The next update to push to the webhook, if one is set.
    pub(crate) fn webhook_next(&mut self) -> Option<(Webhook, i64, Value)> {
        let hook = self.webhook.clone()?;
        self.retain_allowed();
        let u = self.queue.front()?;
        Some((hook, u.id, u.json.clone()))
    }

    /// The webhook answered 2xx: the update is confirmed.
    pub(crate) fn webhook_done(&mut self, id: i64) {
        if let Some(u) = self
            .queue
            .iter()
            .position(|u| u.id == id)
            .and_then(|p| self.queue.remove(p))
        {
            self.delivered.insert(
                id,
                Queued {
                    delivered: true,
                    redelivery: false,
                    ..u
                },
            );
        }
    }

    /// Pending updates for one getUpdates answer (marks them delivered).
    pub(crate) fn take_updates(&mut self, limit: usize) -> Vec<Value> {
        self.retain_allowed();
        let mut out = Vec::new();
        for u in self.queue.iter_mut().take(limit) {
            u.delivered = true;
            out.push(u.json.clone());
            self.delivered.insert(
                u.id,
                Queued {
                    delivered: true,
                    redelivery: false,
                    ..u.clone()
                },
            );
        }
        out
    }

    // ---- the Bot API methods --------------------------------------------

    /// Answers one spec-valid request (except getUpdates).
    pub(crate) fn call(
        &mut self,
        method: &str,
        params: &Value,
        decoded: &Decoded,
    ) -> Result<Value, ApiError> {
        let now = Instant::now();
        match method {
            "getMe" => Ok(json!({
                "id": self.bot_id, "is_bot": true, "first_name": "propdesk", "username": self.bot_username,
                "can_join_groups": true, "can_read_all_group_messages": false, "supports_inline_queries": false,
                "can_connect_to_business": false, "has_main_web_app": false,
            })),
            "sendMessage" => {
                let chat_id = self.target_chat(params)?;
                let thread = self.forums.check_bot_send(chat_id, params)?;
                let reply_to = self.reply_target(chat_id, params)?;
                self.admit(chat_id, now)?;
                let mut m = self.new_bot_message(chat_id, method, params, now);
                m.message_thread_id = thread;
                m.text = params
                    .get("text")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                m.reply_to_message_id = reply_to;
                Ok(self.store(m))
            }
            "sendPhoto" | "sendDocument" | "sendVideo" | "sendAudio" | "sendAnimation" => {
                let kind = method.trim_start_matches("send").to_lowercase();
                let chat_id = self.target_chat(params)?;
                let thread = self.forums.check_bot_send(chat_id, params)?;
                let reply_to = self.reply_target(chat_id, params)?;
                let file_id = self.resolve_file(params.get(&kind), &kind, decoded)?;
                self.admit(chat_id, now)?;
                let mut m = self.new_bot_message(chat_id, method, params, now);
                m.message_thread_id = thread;
                m.caption = params
                    .get("caption")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                m.file = Some(SentFile { kind, file_id });
                m.reply_to_message_id = reply_to;
                Ok(self.store(m))
            }
            "sendMediaGroup" => {
                let chat_id = self.target_chat(params)?;
                let thread = self.forums.check_bot_send(chat_id, params)?;
                let reply_to = self.reply_target(chat_id, params)?;
                let items = params
                    .get("media")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                let mut files = Vec::new();
                for item in &items {
                    let kind = item
                        .get("type")
                        .and_then(Value::as_str)
                        .unwrap_or("photo")
                        .to_owned();
                    files.push((self.resolve_file(item.get("media"), &kind, decoded)?, kind));
                }
                self.admit(chat_id, now)?;
                let group_id = self.new_media_group_id();
                let mut out = Vec::new();
                for (item, (file_id, kind)) in items.iter().zip(files) {
                    let mut m = self.new_bot_message(chat_id, method, &Value::Null, now);
                    m.caption = item
                        .get("caption")
                        .and_then(Value::as_str)
                        .map(str::to_owned);
                    m.parse_mode = item
                        .get("parse_mode")
                        .and_then(Value::as_str)
                        .map(str::to_owned);
                    m.file = Some(SentFile { kind, file_id });
                    m.media_group_id = Some(group_id.clone());
                    m.reply_to_message_id = reply_to;
                    m.message_thread_id = thread;
                    out.push(self.store(m));
                }
                Ok(Value::Array(out))
            }
            "sendLocation" => {
                let chat_id = self.target_chat(params)?;
                let thread = self.forums.check_bot_send(chat_id, params)?;
                self.admit(chat_id, now)?;
                let mut m = self.new_bot_message(chat_id, method, params, now);
                m.message_thread_id = thread;
                let coord = |k| params.get(k).and_then(Value::as_f64).unwrap_or_default();
                m.location = Some((coord("latitude"), coord("longitude")));
                Ok(self.store(m))
            }
            "sendChatAction" => {
                let chat_id = self.target_chat(params)?;
                self.forums.check_bot_send(chat_id, params)?;
                Ok(json!(true))
            }
            "createForumTopic" => {
                let chat_id = self.target_chat(params)?;
                let mut topic = self.forums.check_create(chat_id, params)?;
                // Opening a topic posts a message: it counts in the group's lane.
                self.admit(chat_id, now)?;
                let content = topic.created_json();
                topic.message_thread_id = self.service_message(chat_id, method, None, content, now);
                let answer = topic.json();
                self.forums.add(topic);
                Ok(answer)
            }
            "editForumTopic" => {
                let chat_id = self.target_chat(params)?;
                if let Some(content) = self.forums.edit(chat_id, params)? {
                    let thread = params.get("message_thread_id").and_then(Value::as_i64);
                    self.service_message(chat_id, method, thread, content, now);
                }
                Ok(json!(true))
            }
            "closeForumTopic" | "reopenForumTopic" => {
                let chat_id = self.target_chat(params)?;
                let closed = method == "closeForumTopic";
                let (thread, content) = self.forums.set_closed(chat_id, params, closed)?;
                self.service_message(chat_id, method, Some(thread), content, now);
                Ok(json!(true))
            }
            "deleteForumTopic" => {
                let chat_id = self.target_chat(params)?;
                let thread = self.forums.delete(chat_id, params)?;
                self.drop_topic_messages(chat_id, thread);
                Ok(json!(true))
            }
            "editMessageText" | "editMessageCaption" | "editMessageReplyMarkup" => {
                self.edit(method, params)
            }
            "deleteMessage" => {
                let chat_id = self.target_chat(params)?;
                let message_id = params
                    .get("message_id")
                    .and_then(Value::as_i64)
                    .unwrap_or_default();
                let found = match self.bot_index.get(&(chat_id, message_id)).copied() {
                    // "A message can only be deleted if it was sent less
                    // than 48 hours ago."
                    // "service messages about forum topic creation can't be
                    // deleted with the deleteMessage method" (Bot API 6.3).
                    Some(i)
                        if self.bot_messages.get(i).is_some_and(|m| {
                            !m.deleted
                                && (unix_now() - m.date >= DELETE_WITHIN_SECS
                                    || m.service
                                        .as_ref()
                                        .is_some_and(|s| s.get("forum_topic_created").is_some()))
                        }) =>
                    {
                        return Err(ApiError::bad(CANT_DELETE));
                    }
                    Some(i) => self
                        .bot_messages
                        .get_mut(i)
                        .filter(|m| !m.deleted)
                        .map(|m| m.deleted = true),
                    None => self
                        .user_messages
                        .remove(&(chat_id, message_id))
                        .map(|_| ()),
                };
                found
                    .map(|()| json!(true))
                    .ok_or_else(|| ApiError::bad("Bad Request: message to delete not found"))
            }
            "pinChatMessage" => {
                let chat_id = self.target_chat(params)?;
                let message_id = params
                    .get("message_id")
                    .and_then(Value::as_i64)
                    .unwrap_or_default();
                if self.message_json(chat_id, message_id).is_none() {
                    return Err(ApiError::bad("Bad Request: message to pin not found"));
                }
                let list = self.pinned.entry(chat_id).or_default();
                list.retain(|id| *id != message_id);
                list.push(message_id);
                Ok(json!(true))
            }
            "unpinChatMessage" => {
                let chat_id = self.target_chat(params)?;
                let list = self.pinned.entry(chat_id).or_default();
                match params.get("message_id").and_then(Value::as_i64) {
                    Some(id) => list.retain(|p| *p != id),
                    None => {
                        list.pop();
                    }
                }
                Ok(json!(true))
            }
            "unpinAllChatMessages" => {
                let chat_id = self.target_chat(params)?;
                self.pinned.remove(&chat_id);
                Ok(json!(true))
            }
            "answerCallbackQuery" => {
                let id = params
                    .get("callback_query_id")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let Some(rec) = self.callbacks.get_mut(id).filter(|c| c.answer.is_none()) else {
                    return Err(ApiError::bad(OLD_QUERY));
                };
                rec.answer = Some(CallbackAnswer {
                    callback_query_id: id.to_owned(),
                    data: rec.data.clone(),
                    text: params
                        .get("text")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    show_alert: params
                        .get("show_alert")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                });
                Ok(json!(true))
            }
            "setMyCommands" => {
                let commands = params
                    .get("commands")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                let commands = commands
                    .iter()
                    .map(|c| BotCommand {
                        command: c
                            .get("command")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned(),
                        description: c
                            .get("description")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned(),
                    })
                    .collect();
                self.commands.insert(commands_key(params), commands);
                Ok(json!(true))
            }
            "getMyCommands" => {
                let commands = self
                    .commands
                    .get(&commands_key(params))
                    .cloned()
                    .unwrap_or_default();
                Ok(commands
                    .iter()
                    .map(|c| json!({"command": c.command, "description": c.description}))
                    .collect())
            }
            "deleteMyCommands" => {
                self.commands.remove(&commands_key(params));
                Ok(json!(true))
            }
            "leaveChat" => {
                let chat_id = self.target_chat(params)?;
                if self.users.contains_key(&chat_id) {
                    return Err(ApiError::bad(
                        "Bad Request: chat member status can't be changed in private chats",
                    ));
                }
                if let Some(g) = self.groups.get_mut(&chat_id) {
                    g.left = true;
                }
                // Telegram tells the bot its own status changed.
                let bot = self.bot_json();
                let update = json!({"my_chat_member": {
                    "chat": self.chat_json(chat_id), "from": bot, "date": unix_now(),
                    "old_chat_member": {"user": bot, "status": "member"},
                    "new_chat_member": {"user": bot, "status": "left"},
                }});
                self.push_update(update);
                Ok(json!(true))
            }
            "getFile" => {
                let id = params
                    .get("file_id")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let f = self
                    .files
                    .get(id)
                    .ok_or_else(|| ApiError::bad("Bad Request: invalid file id"))?;
                if f.bytes.len() > DOWNLOAD_MAX_BYTES {
                    return Err(ApiError::bad("Bad Request: file is too big"));
                }
                Ok(
                    json!({"file_id": id, "file_unique_id": f.unique_id, "file_size": f.bytes.len(), "file_path": f.path}),
                )
            }
            "getChat" => {
                let chat_id = self.target_chat(params)?;
                let mut chat = self.chat_json(chat_id);
                chat["accent_color_id"] = json!(0);
                chat["max_reaction_count"] = json!(11);
                chat["accepted_gift_types"] = json!({"unlimited_gifts": false, "limited_gifts": false,
                    "unique_gifts": false, "premium_subscription": false});
                Ok(chat)
            }
            "setWebhook" => {
                let url = params
                    .get("url")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                if params.get("drop_pending_updates").and_then(Value::as_bool) == Some(true) {
                    self.queue.clear();
                }
                let secret_token = params
                    .get("secret_token")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                self.webhook = (!url.is_empty()).then_some(Webhook { url, secret_token });
                Ok(json!(true))
            }
            "deleteWebhook" => {
                if params.get("drop_pending_updates").and_then(Value::as_bool) == Some(true) {
                    self.queue.clear();
                }
                self.webhook = None;
                Ok(json!(true))
            }
            "getWebhookInfo" => Ok(json!({
                "url": self.webhook.as_ref().map(|w| w.url.clone()).unwrap_or_default(),
                "has_custom_certificate": false,
                "pending_update_count": self.queue.len(),
            })),
            other => Err(ApiError::bad(format!(
                "Bad Request: the stand-in does not model {other}"
            ))),
        }
    }

    /// The chat a request targets: it must exist, have started the bot (a
    /// private chat) and not have blocked it.
    fn target_chat(&self, params: &Value) -> Result<i64, ApiError> {
        let chat_id = match params.get("chat_id") {
            Some(Value::Number(n)) => n.as_i64(),
            Some(Value::String(s)) => s.parse().ok(),
            _ => None,
        }
        .ok_or_else(|| ApiError::bad(CHAT_NOT_FOUND))?;
        if self.faults.blocked.contains(&chat_id) {
            return Err(ApiError::new(
                403,
                if chat_id > 0 { BLOCKED } else { KICKED },
            ));
        }
        if let Some(g) = self.groups.get(&chat_id).filter(|g| g.left) {
            return Err(ApiError::new(
                403,
                format!("Forbidden: bot is not a member of the {} chat", g.kind),
            ));
        }
        let known = match self.users.get(&chat_id) {
            Some(rec) => rec.started,
            None => self.groups.contains_key(&chat_id),
        };
        if known {
            Ok(chat_id)
        } else {
            Err(ApiError::bad(CHAT_NOT_FOUND))
        }
    }

    fn reply_target(&self, chat_id: i64, params: &Value) -> Result<Option<i64>, ApiError> {
        let Some(reply) = params.get("reply_parameters") else {
            return Ok(None);
        };
        let id = reply
            .get("message_id")
            .and_then(Value::as_i64)
            .unwrap_or_default();
        if self.message_json(chat_id, id).is_some() {
            return Ok(Some(id));
        }
        if reply
            .get("allow_sending_without_reply")
            .and_then(Value::as_bool)
            == Some(true)
        {
            return Ok(None);
        }
        Err(ApiError::bad(
            "Bad Request: message to be replied not found",
        ))
    }

    /// Forced 429s and flood limits; a refused send is not delivered.
    fn admit(&mut self, chat_id: i64, now: Instant) -> Result<(), ApiError> {
        if let Some(retry_after) = self.faults.forced_429.remove(&chat_id) {
            self.limiter.count_rejection();
            return Err(ApiError::too_many(retry_after));
        }
        self.limiter.admit(chat_id, now).map_err(ApiError::too_many)
    }

    fn new_bot_message(
        &mut self,
        chat_id: i64,
        method: &str,
        params: &Value,
        now: Instant,
    ) -> SentMessage {
        SentMessage {
            chat_id,
            message_id: self.next_message_id(chat_id),
            method: method.to_owned(),
            text: None,
            caption: None,
            parse_mode: params
                .get("parse_mode")
                .and_then(Value::as_str)
                .map(str::to_owned),
            reply_markup: params.get("reply_markup").cloned(),
            file: None,
            media_group_id: None,
            location: None,
            reply_to_message_id: None,
            message_thread_id: None,
            service: None,
            history: Vec::new(),
            deleted: false,
            date: unix_now(),
            edit_date: None,
            sent_at: now,
        }
    }

    /// Posts a service message of the bot into topic `thread` (None: the
    /// topic it opens, whose id is its own); returns its id.
    fn service_message(
        &mut self,
        chat_id: i64,
        method: &str,
        thread: Option<i64>,
        content: Value,
        now: Instant,
    ) -> i64 {
        let mut m = self.new_bot_message(chat_id, method, &Value::Null, now);
        let id = m.message_id;
        m.message_thread_id = Some(thread.unwrap_or(id));
        m.service = Some(content);
        self.store(m);
        id
    }

    fn store(&mut self, m: SentMessage) -> Value {
        let json = self.bot_message_json(&m, true);
        self.bot_index
            .insert((m.chat_id, m.message_id), self.bot_messages.len());
        self.bot_messages.push(m);
        json
    }

    /// The message as Telegram returns it; Message.reply_markup can only
    /// be an inline keyboard, so other markups are not echoed.
    fn bot_message_json(&self, m: &SentMessage, with_reply: bool) -> Value {
        let mut j = json!({
            "message_id": m.message_id,
            "from": self.bot_json(),
            "chat": self.chat_json(m.chat_id),
            "date": m.date,
        });
        if let Some(d) = m.edit_date {
            j["edit_date"] = json!(d);
        }
        if let Some(t) = &m.text {
            j["text"] = json!(t);
        }
        if let Some(c) = &m.caption {
            j["caption"] = json!(c);
        }
        if let Some(group) = &m.media_group_id {
            j["media_group_id"] = json!(group);
        }
        if let Some((lat, lon)) = m.location {
            j["location"] = json!({"latitude": lat, "longitude": lon});
        }
        if let Some(file) = &m.file {
            let unique = self
                .files
                .get(&file.file_id)
                .map_or_else(|| file.file_id.clone(), |f| f.unique_id.clone());
            let base = json!({"file_id": file.file_id, "file_unique_id": unique});
            match file.kind.as_str() {
                "photo" => {
                    let mut size = base;
                    size["width"] = json!(1280);
                    size["height"] = json!(960);
                    j["photo"] = json!([size]);
                }
                "video" | "animation" => {
                    let mut v = base;
                    v["width"] = json!(640);
                    v["height"] = json!(480);
                    v["duration"] = json!(1);
                    j[file.kind.as_str()] = v;
                }
                "audio" => {
                    let mut a = base;
                    a["duration"] = json!(1);
                    j["audio"] = a;
                }
                _ => j[file.kind.as_str()] = base,
            }
        }
        if let Some(markup) = m
            .reply_markup
            .as_ref()
            .filter(|r| r.get("inline_keyboard").is_some())
        {
            j["reply_markup"] = markup.clone();
        }
        if let Some(Value::Object(service)) = &m.service {
            for (k, v) in service {
                j[k.as_str()] = v.clone();
            }
        }
        if let Some(thread) = m.message_thread_id {
            j["message_thread_id"] = json!(thread);
            j["is_topic_message"] = json!(true);
        }
        // In a topic, a message that replies to nothing replies to the
        // topic's creation message (telegram-bot-api's implicit reply).
        let implicit = m.message_thread_id.filter(|t| *t != m.message_id);
        if let (true, Some(id)) = (with_reply, m.reply_to_message_id.or(implicit)) {
            let replied = match self.bot_index.get(&(m.chat_id, id)) {
                Some(i) => self
                    .bot_messages
                    .get(*i)
                    .map(|r| self.bot_message_json(r, false)),
                None => self.user_messages.get(&(m.chat_id, id)).cloned(),
            };
            if let Some(r) = replied {
                j["reply_to_message"] = r;
            }
        }
        j
    }

    fn edit(&mut self, method: &str, params: &Value) -> Result<Value, ApiError> {
        if params.get("inline_message_id").is_some() {
            return Err(ApiError::bad(format!(
                "Bad Request: the stand-in does not model inline {method}"
            )));
        }
        let chat_id = self.target_chat(params)?;
        let message_id = params
            .get("message_id")
            .and_then(Value::as_i64)
            .unwrap_or_default();
        let Some(index) = self.bot_index.get(&(chat_id, message_id)).copied() else {
            return Err(ApiError::bad(EDIT_NOT_FOUND));
        };
        let Some(m) = self.bot_messages.get_mut(index).filter(|m| !m.deleted) else {
            return Err(ApiError::bad(EDIT_NOT_FOUND));
        };
        // Like Telegram, an edit without reply_markup removes the inline keyboard.
        let markup = params.get("reply_markup").cloned();
        let mut next = MessageVersion {
            text: m.text.clone(),
            caption: m.caption.clone(),
            reply_markup: markup,
        };
        match method {
            "editMessageText" => {
                if m.text.is_none() {
                    return Err(ApiError::bad(
                        "Bad Request: there is no text in the message to edit",
                    ));
                }
                next.text = params
                    .get("text")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
            }
            "editMessageCaption" => {
                if m.file.is_none() {
                    return Err(ApiError::bad(
                        "Bad Request: there is no caption in the message to edit",
                    ));
                }
                next.caption = params
                    .get("caption")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
            }
            _ => {}
        }
        let current = MessageVersion {
            text: m.text.clone(),
            caption: m.caption.clone(),
            reply_markup: m.reply_markup.clone(),
        };
        if next == current {
            return Err(ApiError::bad(NOT_MODIFIED));
        }
        m.history.push(current);
        m.text = next.text;
        m.caption = next.caption;
        m.reply_markup = next.reply_markup;
        m.edit_date = Some(unix_now());
        if method != "editMessageReplyMarkup" {
            m.parse_mode = params
                .get("parse_mode")
                .and_then(Value::as_str)
                .map(str::to_owned);
        }
        let m = m.clone();
        Ok(self.bot_message_json(&m, true))
    }

    fn register_file(&mut self, folder: &str, bytes: Vec<u8>, ext: &str) -> (String, String) {
        let n = self.next_file;
        self.next_file += 1;
        let file_id = format!("AgACAgIAAxkBAAI{n:06}standin");
        let unique_id = format!("AQAD{n:06}");
        let path = format!("{folder}/file_{n}.{ext}");
        self.files.insert(
            file_id.clone(),
            FileRec {
                unique_id: unique_id.clone(),
                path,
                bytes,
            },
        );
        (file_id, unique_id)
    }

    /// A file parameter: an `attach://` part, a direct part, a URL, or a
    /// file_id Telegram knows.
    fn resolve_file(
        &mut self,
        value: Option<&Value>,
        kind: &str,
        decoded: &Decoded,
    ) -> Result<String, ApiError> {
        let upload = |u: &Upload| u.bytes.clone();
        let bytes = match value {
            Some(Value::String(s)) if s.starts_with("attach://") => decoded
                .attachments
                .get(s.trim_start_matches("attach://"))
                .map(upload),
            Some(Value::String(s)) if s.starts_with("http://") || s.starts_with("https://") => {
                Some(Vec::new())
            }
            Some(Value::String(s)) => {
                return if self.files.contains_key(s) {
                    Ok(s.clone())
                } else {
                    Err(ApiError::bad(WRONG_FILE))
                };
            }
            Some(Value::Object(_)) => decoded.direct_files.get(kind).map(upload),
            _ => None,
        };
        let bytes = bytes.ok_or_else(|| ApiError::bad(WRONG_FILE))?;
        if !bytes.is_empty() {
            check_upload(kind, &bytes)?;
        }
        let ext = match image_size(&bytes) {
            Some((ImageFormat::Png, _, _)) => "png",
            Some((ImageFormat::Jpeg, _, _)) => "jpg",
            None => "bin",
        };
        Ok(self.register_file(&format!("{kind}s"), bytes, ext).0)
    }

    /// The bytes behind a `file_path` from getFile.
    pub(crate) fn file_bytes(&self, path: &str) -> Option<Vec<u8>> {
        self.files
            .values()
            .find(|f| f.path == path)
            .map(|f| f.bytes.clone())
    }

    pub(crate) fn record_error(&mut self, method: &str, params: &Value, error: &ApiError) {
        self.errors.push(ErrorRecord {
            method: method.to_owned(),
            params: params.clone(),
            code: error.code,
            description: error.description.clone(),
        });
    }
}

fn scope_key(scope: Option<&Value>) -> String {
    match scope {
        Some(s) if s.get("type").and_then(Value::as_str) != Some("default") => s.to_string(),
        _ => "default".to_owned(),
    }
}

fn commands_key(params: &Value) -> (String, String) {
    let lang = params
        .get("language_code")
        .and_then(Value::as_str)
        .unwrap_or_default();
    (scope_key(params.get("scope")), lang.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state_with_user() -> State {
        let mut s = State::new("123:abc", "desk_bot", Limits::unlimited());
        s.add_user(TestUser::new(7, "Ann"));
        s
    }

    #[test]
    fn bot_cannot_write_first_to_a_private_chat() {
        let mut s = state_with_user();
        let send = json!({"chat_id": 7, "text": "hello"});
        let err = s
            .call("sendMessage", &send, &Decoded::default())
            .unwrap_err();
        assert_eq!(err.description, CHAT_NOT_FOUND);
        let content = s.text_content("/start");
        s.user_message(7, 7, content).unwrap();
        let sent = s.call("sendMessage", &send, &Decoded::default()).unwrap();
        assert_eq!(
            sent["message_id"],
            json!(2),
            "message ids count per chat, users' included"
        );
    }

    #[test]
    fn offsets_confirm_and_redelivery_survives_one_confirmation() {
        let mut s = state_with_user();
        let a = s.user_message(7, 7, s.text_content("a")).unwrap().update_id;
        let b = s.user_message(7, 7, s.text_content("b")).unwrap().update_id;
        assert_eq!(s.take_updates(100).len(), 2);
        s.confirm(&json!({"offset": b + 1}));
        assert!(s.take_updates(100).is_empty());
        s.redeliver(a).unwrap();
        s.confirm(&json!({"offset": b + 1}));
        let again = s.take_updates(100);
        assert_eq!(again.len(), 1);
        assert_eq!(again[0]["update_id"], json!(a));
        s.confirm(&json!({"offset": b + 1}));
        assert!(s.take_updates(100).is_empty());
    }

    #[test]
    fn allowed_updates_filter_and_persist() {
        let mut s = state_with_user();
        s.user_message(7, 7, s.text_content("a")).unwrap();
        s.channel_post(-100, "news");
        s.confirm(&json!({"allowed_updates": ["channel_post"]}));
        let got = s.take_updates(100);
        assert_eq!(got.len(), 1);
        assert!(got[0].get("channel_post").is_some());
    }
}

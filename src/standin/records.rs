//! What the stand-in shows a test: the bot's messages as they stand now,
//! callback answers, commands, and the log of requests, refusals and errors.

use std::time::{Instant, SystemTime};

use serde_json::Value;

/// One message the bot sent, as it stands now, with its earlier versions.
#[derive(Debug, Clone, PartialEq)]
pub struct SentMessage {
    pub chat_id: i64,
    pub message_id: i64,
    /// The Bot API method that created it (`sendMessage`, `sendPhoto`, ...).
    pub method: String,
    pub text: Option<String>,
    pub caption: Option<String>,
    pub parse_mode: Option<String>,
    /// The markup as sent (inline keyboards, reply keyboards, removals).
    pub reply_markup: Option<Value>,
    /// The file of a photo / document / media group item.
    pub file: Option<SentFile>,
    pub media_group_id: Option<String>,
    pub location: Option<(f64, f64)>,
    pub reply_to_message_id: Option<i64>,
    /// The forum topic it was sent to (`message_thread_id`); a topic's
    /// service messages carry their topic's id too.
    pub message_thread_id: Option<i64>,
    /// A service message's content, e.g. `{"forum_topic_created": {..}}`
    /// (the bot's `createForumTopic`, `editForumTopic`, `closeForumTopic`,
    /// `reopenForumTopic` each post one).
    pub service: Option<Value>,
    /// Earlier versions, oldest first; the current one is in the fields above.
    pub history: Vec<MessageVersion>,
    pub deleted: bool,
    pub date: i64,
    pub edit_date: Option<i64>,
    pub sent_at: Instant,
}

/// A file attached to a bot message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentFile {
    /// `photo`, `document`, `video`, `audio`, `animation`.
    pub kind: String,
    pub file_id: String,
}

/// A version of a message before an edit.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageVersion {
    pub text: Option<String>,
    pub caption: Option<String>,
    pub reply_markup: Option<Value>,
}

/// An inline keyboard button of a bot message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineButton {
    pub text: String,
    pub callback_data: Option<String>,
    pub url: Option<String>,
}

impl SentMessage {
    /// Text or caption, whichever the message has.
    #[must_use]
    pub fn body(&self) -> &str {
        self.text
            .as_deref()
            .or(self.caption.as_deref())
            .unwrap_or_default()
    }

    /// Whether it is a service message (a topic created, edited, closed …).
    #[must_use]
    pub fn is_service(&self) -> bool {
        self.service.is_some()
    }

    /// The inline buttons, row by row flattened.
    #[must_use]
    pub fn buttons(&self) -> Vec<InlineButton> {
        inline_buttons(self.reply_markup.as_ref())
    }

    /// The callback data of the button labelled `label`.
    #[must_use]
    pub fn callback_data(&self, label: &str) -> Option<String> {
        self.buttons()
            .into_iter()
            .find(|b| b.text == label)
            .and_then(|b| b.callback_data)
    }
}

pub(crate) fn inline_buttons(markup: Option<&Value>) -> Vec<InlineButton> {
    let rows = markup
        .and_then(|m| m.get("inline_keyboard"))
        .and_then(Value::as_array);
    rows.into_iter()
        .flatten()
        .filter_map(Value::as_array)
        .flatten()
        .map(|b| InlineButton {
            text: b
                .get("text")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            callback_data: b
                .get("callback_data")
                .and_then(Value::as_str)
                .map(str::to_owned),
            url: b.get("url").and_then(Value::as_str).map(str::to_owned),
        })
        .collect()
}

/// How the bot answered a button press.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackAnswer {
    pub callback_query_id: String,
    /// The data of the pressed button.
    pub data: Option<String>,
    pub text: Option<String>,
    pub show_alert: bool,
}

/// A bot command as set with `setMyCommands`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BotCommand {
    pub command: String,
    pub description: String,
}

/// How a request ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// Refused as the specification would (HTTP 400).
    Refused(String),
    /// A Telegram-shaped error: semantic, a rate limit or an injected fault.
    Error {
        code: u16,
        description: String,
    },
    /// Accepted, then the connection was dropped instead of answering.
    Dropped,
}

/// One request the bot made.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestRecord {
    /// The specification's spelling when known, else as sent.
    pub method: String,
    pub params: Value,
    pub at: SystemTime,
    pub outcome: Outcome,
}

/// A request the real Bot API would have refused.
#[derive(Debug, Clone, PartialEq)]
pub struct RefusalRecord {
    pub method: String,
    pub params: Value,
    /// The `description` answered.
    pub description: String,
    /// What exactly was wrong.
    pub detail: String,
}

/// A Telegram-shaped error answered to a valid request.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorRecord {
    pub method: String,
    pub params: Value,
    pub code: u16,
    pub description: String,
}

/// The ids of an update a simulated user caused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    pub update_id: i64,
    /// The user's message in its chat.
    pub message_id: i64,
}

/// The ids of a simulated button press.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pressed {
    pub update_id: i64,
    pub callback_query_id: String,
}

//! The outbox: every Bot API request the bot makes on its own behalf is a
//! row here, written in the same transaction as the change that caused it
//! (invariant 4). The sender delivers the rows.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use teloxide::types::{InlineKeyboardMarkup, ReplyMarkup};

/// Delivery priority: lower lanes go first when Telegram's limits bind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[repr(i16)]
pub enum Lane {
    /// Answers to what an owner (or staff member) just did.
    Reply = 0,
    /// Ticket cards and notices to staff.
    Staff = 1,
    /// Visit, appointment and fee reminders.
    Reminder = 2,
    /// Broadcast notices and survey invitations.
    Broadcast = 3,
}

impl Lane {
    #[must_use]
    pub fn from_i16(v: i16) -> Lane {
        match v {
            0 => Lane::Reply,
            1 => Lane::Staff,
            2 => Lane::Reminder,
            _ => Lane::Broadcast,
        }
    }
}

/// Which message an edit or delete is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// A message id Telegram already gave us.
    Message(i32),
    /// The message sent for that outbox row; the edit waits until it is sent.
    Outbox(i64),
}

/// The requests the bot makes, stored as JSON in `outbox.request`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Request {
    SendMessage {
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reply_markup: Option<ReplyMarkup>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reply_to: Option<i32>,
    },
    SendPhoto {
        photo: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        caption: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reply_markup: Option<ReplyMarkup>,
    },
    /// An album of photos by Telegram file id (2–10).
    SendMediaGroup {
        photos: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        caption: Option<String>,
    },
    EditMessageText {
        target: Target,
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reply_markup: Option<InlineKeyboardMarkup>,
    },
    EditMessageReplyMarkup {
        target: Target,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reply_markup: Option<InlineKeyboardMarkup>,
    },
    DeleteMessage {
        target: Target,
    },
    AnswerCallbackQuery {
        callback_query_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text: Option<String>,
        #[serde(default)]
        show_alert: bool,
    },
}

impl Request {
    /// Plain text message without buttons.
    #[must_use]
    pub fn text(text: impl Into<String>) -> Request {
        Request::SendMessage {
            text: text.into(),
            reply_markup: None,
            reply_to: None,
        }
    }

    /// Text with a keyboard.
    #[must_use]
    pub fn text_with(text: impl Into<String>, markup: impl Into<ReplyMarkup>) -> Request {
        Request::SendMessage {
            text: text.into(),
            reply_markup: Some(markup.into()),
            reply_to: None,
        }
    }

    /// Whether Telegram counts this against its message limits (answers to
    /// button presses do not).
    #[must_use]
    pub fn is_rate_limited(&self) -> bool {
        !matches!(self, Request::AnswerCallbackQuery { .. })
    }

    /// The outbox row whose message this request needs first, if any.
    #[must_use]
    pub fn depends_on(&self) -> Option<i64> {
        match self {
            Request::EditMessageText { target, .. }
            | Request::EditMessageReplyMarkup { target, .. }
            | Request::DeleteMessage { target } => match target {
                Target::Outbox(id) => Some(*id),
                Target::Message(_) => None,
            },
            _ => None,
        }
    }
}

/// One request to enqueue.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub chat_id: i64,
    pub lane: Lane,
    pub request: Request,
    /// Do not send before this instant (scheduled notices, quiet hours).
    pub not_before: Option<DateTime<Utc>>,
}

impl Outgoing {
    #[must_use]
    pub fn new(chat_id: i64, lane: Lane, request: Request) -> Outgoing {
        Outgoing {
            chat_id,
            lane,
            request,
            not_before: None,
        }
    }

    #[must_use]
    pub fn reply(chat_id: i64, request: Request) -> Outgoing {
        Outgoing::new(chat_id, Lane::Reply, request)
    }
}

/// The NOTIFY channel that wakes senders on other replicas.
pub const NOTIFY_CHANNEL: &str = "propdesk_outbox";

/// Writes `out` in the caller's transaction and returns its row id. A chat
/// that is unreachable ([`crate::domain::chats`]) gets the row marked
/// `unreachable` at once, so callers can tell staff instead of waiting on a
/// send that cannot happen.
pub async fn enqueue(
    conn: &mut PgConnection,
    update_id: Option<i64>,
    out: &Outgoing,
) -> anyhow::Result<i64> {
    let batch = Batch {
        lane: out.lane,
        not_before: out.not_before,
        update_id,
        requests: std::slice::from_ref(&out.request),
    };
    let queued = enqueue_many(conn, &batch, &[(out.chat_id, 0)]).await?;
    queued
        .first()
        .map(|q| q.id)
        .ok_or_else(|| anyhow::anyhow!("the outbox row was not written"))
}

/// What the rows of one [`enqueue_many`] share.
#[derive(Debug, Clone, Copy)]
pub struct Batch<'a> {
    pub lane: Lane,
    /// Do not send before this instant (`None`: now).
    pub not_before: Option<DateTime<Utc>>,
    /// The update that caused the sends, if one did.
    pub update_id: Option<i64>,
    /// The distinct requests (e.g. one per language); each row names one
    /// by its index.
    pub requests: &'a [Request],
}

/// One row written by [`enqueue_many`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Queued {
    pub id: i64,
    pub chat_id: i64,
}

/// Writes one outbox row per `(chat_id, request index)` of `rows`, in that
/// order and in one statement, in the caller's transaction, then wakes the
/// senders. Rows for unreachable chats are stored as `unreachable`, as in
/// [`enqueue`]. Returns the rows written.
pub async fn enqueue_many(
    conn: &mut PgConnection,
    batch: &Batch<'_>,
    rows: &[(i64, usize)],
) -> anyhow::Result<Vec<Queued>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let requests = serde_json::to_value(batch.requests)?;
    let chats: Vec<i64> = rows.iter().map(|(chat, _)| *chat).collect();
    let templates = rows
        .iter()
        .map(|(_, i)| {
            if *i < batch.requests.len() {
                Ok(i32::try_from(*i)?)
            } else {
                Err(anyhow::anyhow!("request {i} of {}", batch.requests.len()))
            }
        })
        .collect::<anyhow::Result<Vec<i32>>>()?;
    // The one statement that writes outbox rows; the reachability rule is
    // `chat_is_reachable` (see `domain::chats`).
    let queued = sqlx::query_as!(
        Queued,
        r#"INSERT INTO outbox (chat_id, lane, request, not_before, update_id, status)
           SELECT r.chat_id, $3, $4::jsonb -> r.template, COALESCE($5, now()), $6,
                  CASE WHEN chat_is_reachable(r.chat_id) THEN 'pending' ELSE 'unreachable' END
             FROM unnest($1::bigint[], $2::int[]) WITH ORDINALITY AS r (chat_id, template, n)
            ORDER BY r.n
           RETURNING id, chat_id"#,
        &chats,
        &templates,
        batch.lane as i16,
        requests,
        batch.not_before,
        batch.update_id,
    )
    .fetch_all(&mut *conn)
    .await?;
    sqlx::query!("SELECT pg_notify($1, '')", NOTIFY_CHANNEL)
        .execute(&mut *conn)
        .await?;
    Ok(queued)
}

#[cfg(test)]
mod tests {
    use super::*;
    use teloxide::types::InlineKeyboardButton;

    #[test]
    fn requests_round_trip_through_json() {
        let requests = vec![
            Request::text_with(
                "hi",
                InlineKeyboardMarkup::new([[InlineKeyboardButton::callback("A", "a")]]),
            ),
            Request::EditMessageText {
                target: Target::Outbox(7),
                text: "x".into(),
                reply_markup: None,
            },
            Request::AnswerCallbackQuery {
                callback_query_id: "1".into(),
                text: None,
                show_alert: false,
            },
        ];
        for r in requests {
            let json = serde_json::to_value(&r).unwrap();
            assert_eq!(serde_json::from_value::<Request>(json).unwrap(), r);
        }
    }

    #[test]
    fn edits_of_unsent_rows_depend_on_them() {
        let edit = Request::DeleteMessage {
            target: Target::Outbox(3),
        };
        assert_eq!(edit.depends_on(), Some(3));
        assert!(!Request::AnswerCallbackQuery {
            callback_query_id: "q".into(),
            text: None,
            show_alert: false
        }
        .is_rate_limited());
    }
}

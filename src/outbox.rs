//! The outbox: every Bot API request the bot makes on its own behalf is a
//! row here, written in the same transaction as the change that caused it
//! (invariant 4). The sender delivers the rows: it claims them in batches
//! and records their outcomes in batches, with the queries below (every
//! query on the table lives here).

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};
use teloxide::types::{InlineKeyboardMarkup, ReplyMarkup};

use crate::domain::chats;

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
    /// A photo the bot uploads itself (a report's chart): the bytes are row
    /// `file` of `outbox_files` ([`store_file`]).
    SendPhotoFile {
        file: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        caption: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reply_markup: Option<ReplyMarkup>,
    },
    /// A file the bot uploads as a document (a report's spreadsheet).
    SendDocument {
        file: i64,
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
    /// A message with one URL button that opens the message of outbox row
    /// `to` (a ticket's card in another chat); sent once that row is sent.
    /// Where Telegram has no link to it (not a supergroup), the text alone.
    SendLink {
        text: String,
        button: String,
        to: i64,
    },
    /// The command menu of the row's chat (`BotCommandScopeChat`) for users
    /// of `language_code` (none: everyone else).
    SetMyCommands {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        language_code: Option<String>,
        commands: Vec<MenuCommand>,
    },
    /// Removes the row's chat's own command menu (its users see the
    /// default one again).
    DeleteMyCommands {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        language_code: Option<String>,
    },
    /// The bot leaves the row's chat (a group a stranger added it to).
    LeaveChat,
    /// Opens a topic in the row's chat (a forum); the row's message id is
    /// then the topic's thread id, which rows naming it as their thread
    /// wait for.
    CreateForumTopic {
        name: String,
        /// One of the six colours Telegram allows (RGB).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        icon_color: Option<u32>,
    },
    /// Renames the row's thread (topic).
    EditForumTopic {
        name: String,
    },
    /// Closes the row's thread (topic).
    CloseForumTopic,
    /// Reopens the row's thread (topic).
    ReopenForumTopic,
    /// Pins a message (in a topic, in that topic), silently.
    PinChatMessage {
        target: Target,
    },
}

/// One line of a command menu.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MenuCommand {
    /// Without the slash.
    pub command: String,
    pub description: String,
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
        !matches!(
            self,
            Request::AnswerCallbackQuery { .. }
                | Request::SetMyCommands { .. }
                | Request::DeleteMyCommands { .. }
                | Request::LeaveChat
                | Request::EditForumTopic { .. }
                | Request::CloseForumTopic
                | Request::ReopenForumTopic
                | Request::PinChatMessage { .. }
        )
    }

    /// Whether this puts a message in the chat (so in a forum it may go
    /// into a topic).
    #[must_use]
    pub fn goes_into_thread(&self) -> bool {
        matches!(
            self,
            Request::SendMessage { .. }
                | Request::SendPhoto { .. }
                | Request::SendMediaGroup { .. }
                | Request::SendPhotoFile { .. }
                | Request::SendDocument { .. }
                | Request::SendLink { .. }
        )
    }

    /// Whether this opens a topic or changes one.
    #[must_use]
    pub fn is_topic_request(&self) -> bool {
        matches!(self, Request::CreateForumTopic { .. }) || self.is_topic_change()
    }

    /// Whether this acts on the row's thread itself (a topic's name or
    /// state) rather than sending into it.
    #[must_use]
    pub fn is_topic_change(&self) -> bool {
        matches!(
            self,
            Request::EditForumTopic { .. } | Request::CloseForumTopic | Request::ReopenForumTopic
        )
    }

    /// Whether this changes the bot's command menu rather than a chat.
    #[must_use]
    pub fn is_command_menu(&self) -> bool {
        matches!(
            self,
            Request::SetMyCommands { .. } | Request::DeleteMyCommands { .. }
        )
    }

    /// The outbox row whose message this request needs first, if any.
    #[must_use]
    pub fn depends_on(&self) -> Option<i64> {
        match self {
            Request::EditMessageText { target, .. }
            | Request::EditMessageReplyMarkup { target, .. }
            | Request::DeleteMessage { target }
            | Request::PinChatMessage { target } => match target {
                Target::Outbox(id) => Some(*id),
                Target::Message(_) => None,
            },
            Request::SendLink { to, .. } => Some(*to),
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
    /// The topic it goes into (a thread id, or the `createForumTopic` row
    /// that opens it); `None`: the chat itself.
    pub thread: Option<Target>,
}

impl Outgoing {
    #[must_use]
    pub fn new(chat_id: i64, lane: Lane, request: Request) -> Outgoing {
        Outgoing {
            chat_id,
            lane,
            request,
            not_before: None,
            thread: None,
        }
    }

    /// The same, into `thread` (a topic) when there is one.
    #[must_use]
    pub fn in_thread(mut self, thread: Option<Target>) -> Outgoing {
        self.thread = thread;
        self
    }

    #[must_use]
    pub fn reply(chat_id: i64, request: Request) -> Outgoing {
        Outgoing::new(chat_id, Lane::Reply, request)
    }
}

/// How long an uploaded file is kept after it was stored.
pub const FILES_KEPT_DAYS: i64 = 7;

/// Stores a file the bot will upload (a chart, a spreadsheet) in the
/// caller's transaction; a request names it by the id returned.
pub async fn store_file(
    conn: &mut PgConnection,
    file_name: &str,
    bytes: &[u8],
) -> anyhow::Result<i64> {
    let id = sqlx::query_scalar!(
        "INSERT INTO outbox_files (file_name, bytes) VALUES ($1, $2) RETURNING id",
        file_name,
        bytes
    )
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// A stored file: its name and bytes (None once pruned).
pub async fn load_file(
    conn: &mut PgConnection,
    id: i64,
) -> anyhow::Result<Option<(String, Vec<u8>)>> {
    let row = sqlx::query!(
        "SELECT file_name, bytes FROM outbox_files WHERE id = $1",
        id
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| (r.file_name, r.bytes)))
}

/// Deletes files stored more than [`FILES_KEPT_DAYS`] before `now`.
pub async fn prune_files(conn: &mut PgConnection, now: DateTime<Utc>) -> anyhow::Result<u64> {
    let n = sqlx::query!(
        "DELETE FROM outbox_files WHERE created_at < $1",
        now - chrono::Duration::days(FILES_KEPT_DAYS)
    )
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n)
}

/// How a failed row's error starts when its topic was deleted by hand (the
/// partial index `outbox_topic_lost` matches it).
pub const TOPIC_LOST: &str = "topic lost";

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
    let queued = insert(conn, &batch, &[(out.chat_id, 0)], out.thread).await?;
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
/// order and in one statement, in the caller's transaction, which also
/// wakes the senders (rows caused by an update: the processor does, after
/// its commit). Rows for unreachable chats are stored as `unreachable`, as in
/// [`enqueue`]. Returns the rows written.
pub async fn enqueue_many(
    conn: &mut PgConnection,
    batch: &Batch<'_>,
    rows: &[(i64, usize)],
) -> anyhow::Result<Vec<Queued>> {
    insert(conn, batch, rows, None).await
}

/// [`enqueue_many`], every row into `thread` if given.
async fn insert(
    conn: &mut PgConnection,
    batch: &Batch<'_>,
    rows: &[(i64, usize)],
    thread: Option<Target>,
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
    let (thread_id, thread_outbox_id) = match thread {
        Some(Target::Message(id)) => (Some(id), None),
        Some(Target::Outbox(row)) => (None, Some(row)),
        None => (None, None),
    };
    // The one statement that writes outbox rows; the reachability rule is
    // `chat_is_reachable` (see `domain::chats`). It also wakes the senders
    // of every replica (on commit) in the same round trip — `woken` is read
    // by the final SELECT so that it runs — unless an update caused the
    // rows: the processor wakes the senders after its batch commits, without
    // a NOTIFY in the batch's transaction (see `db::notifier`).
    let queued = sqlx::query_as!(
        Queued,
        r#"WITH queued AS (
               INSERT INTO outbox (chat_id, lane, request, not_before, update_id, status,
                                   thread_id, thread_outbox_id)
               SELECT r.chat_id, $3, $4::jsonb -> r.template, COALESCE($5, now()), $6,
                      CASE WHEN chat_is_reachable(r.chat_id) THEN 'pending' ELSE 'unreachable' END,
                      $9, $10
                 FROM unnest($1::bigint[], $2::int[]) WITH ORDINALITY AS r (chat_id, template, n)
                ORDER BY r.n
               RETURNING id, chat_id),
           woken AS (SELECT pg_notify($7, '') FROM queued WHERE $8 LIMIT 1)
           SELECT q.id AS "id!", q.chat_id AS "chat_id!"
             FROM queued q, (SELECT count(*) FROM woken) w
            ORDER BY q.id"#,
        &chats,
        &templates,
        batch.lane as i16,
        requests,
        batch.not_before,
        batch.update_id,
        NOTIFY_CHANNEL,
        batch.update_id.is_none(),
        thread_id,
        thread_outbox_id,
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(queued)
}

// ------------------------------------------------------------------ the sender's side

/// A row claimed for sending: marked `sending`, its attempt counted.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    pub chat_id: i64,
    /// The request as stored (the sender reads it; an unreadable one is
    /// recorded as failed).
    pub request: serde_json::Value,
    /// Attempts before this one.
    pub attempts: i32,
    /// Earlier attempts whose fate was lost (they may have arrived).
    pub ambiguous: i32,
    /// The topic it goes into, if any.
    pub thread: Option<Target>,
}

/// Claims the oldest due row of each chat, lanes first, skipping the chats
/// in `skip` (rate-limited, or with a send on the wire): marks them
/// `sending` and counts the attempt, in one statement (one commit for the
/// batch). A row another sender holds or took meanwhile is skipped, so no
/// row is sent twice.
pub async fn claim_due(pool: &PgPool, skip: &[i64], limit: i64) -> anyhow::Result<Vec<Claimed>> {
    let rows = sqlx::query!(
        r#"UPDATE outbox o
              SET status = 'sending', attempts = o.attempts + 1
             FROM (SELECT c.id
                     FROM outbox c
                    WHERE c.status = 'pending'
                      AND c.not_before <= now()
                      AND c.chat_id <> ALL($1)
                      -- The first open row of its chat, lanes first (a
                      -- probe per candidate; see inbox::claim_batch for why).
                      AND c.id = (
                          SELECT p.id FROM outbox p
                           WHERE p.chat_id = c.chat_id
                             AND p.status IN ('pending', 'sending')
                           ORDER BY p.chat_id, p.lane, p.id
                           LIMIT 1)
                    ORDER BY c.lane, c.id
                    LIMIT $2
                    FOR UPDATE SKIP LOCKED) due
            WHERE o.id = due.id
        RETURNING o.id, o.chat_id, o.lane, o.request, o.attempts - 1 AS "attempts!", o.ambiguous,
                  o.thread_id, o.thread_outbox_id"#,
        skip,
        limit
    )
    .fetch_all(pool)
    .await
    .context("claiming outbox rows")?;
    let mut rows: Vec<_> = rows.into_iter().collect();
    // RETURNING keeps no order: lanes first, then age, as claimed.
    rows.sort_by_key(|r| (r.lane, r.id));
    Ok(rows
        .into_iter()
        .map(|r| Claimed {
            id: r.id,
            chat_id: r.chat_id,
            request: r.request,
            attempts: r.attempts,
            ambiguous: r.ambiguous,
            thread: match (r.thread_id, r.thread_outbox_id) {
                (Some(id), _) => Some(Target::Message(id)),
                (None, Some(row)) => Some(Target::Outbox(row)),
                (None, None) => None,
            },
        })
        .collect())
}

/// What became of a send, as the outbox row records it.
#[derive(Debug, Clone, PartialEq)]
pub enum Settled {
    /// Delivered; Telegram's message id when it gave one.
    Sent(Option<i32>),
    /// Given up for good, with why.
    Failed(String),
    /// Back to the queue after `after`; `refund` gives the attempt back
    /// (a 429 or a message not sent yet is not the request's fault).
    Retry {
        after: std::time::Duration,
        error: Option<String>,
        refund: bool,
    },
    /// The answer was lost: counted, and retried after a second unless it
    /// has been lost too often.
    Ambiguous(String),
}

/// A recorded row and the status it now has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub id: i64,
    pub status: String,
}

/// Records what became of a batch of sends, in one statement; a row lost
/// more than `max_ambiguous` times is failed.
pub async fn record(
    pool: &PgPool,
    outcomes: &[(i64, Settled)],
    max_ambiguous: i32,
) -> anyhow::Result<Vec<Recorded>> {
    if outcomes.is_empty() {
        return Ok(Vec::new());
    }
    let n = outcomes.len();
    let (mut ids, mut kinds, mut message_ids, mut errors, mut delays, mut refunds) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for (id, settled) in outcomes {
        let (kind, message_id, error, delay, refund) = match settled {
            Settled::Sent(message_id) => ("sent", message_id.map(i64::from), None, 0.0, false),
            Settled::Failed(e) => ("failed", None, Some(e.clone()), 0.0, false),
            Settled::Retry {
                after,
                error,
                refund,
            } => ("retry", None, error.clone(), after.as_secs_f64(), *refund),
            Settled::Ambiguous(e) => (
                "ambiguous",
                None,
                Some(format!("ambiguous: {e}")),
                0.0,
                false,
            ),
        };
        ids.push(*id);
        kinds.push(kind);
        message_ids.push(message_id);
        errors.push(error);
        delays.push(delay);
        refunds.push(refund);
    }
    let rows = sqlx::query_as!(
        Recorded,
        r#"UPDATE outbox o
              SET status = CASE r.kind
                             WHEN 'sent' THEN 'sent'
                             WHEN 'failed' THEN 'failed'
                             WHEN 'retry' THEN 'pending'
                             ELSE CASE WHEN o.ambiguous + 1 > $7 THEN 'failed' ELSE 'pending' END
                           END,
                  message_id = COALESCE(r.message_id, o.message_id),
                  last_error = CASE WHEN r.kind = 'retry' THEN COALESCE(r.error, o.last_error)
                                    ELSE r.error END,
                  sent_at = CASE WHEN r.kind = 'sent' THEN now() ELSE o.sent_at END,
                  not_before = CASE r.kind
                                 WHEN 'retry' THEN now() + make_interval(secs => r.delay)
                                 WHEN 'ambiguous' THEN now() + interval '1 second'
                                 ELSE o.not_before
                               END,
                  attempts = o.attempts - CASE WHEN r.refund THEN 1 ELSE 0 END,
                  ambiguous = o.ambiguous + CASE WHEN r.kind = 'ambiguous' THEN 1 ELSE 0 END
             FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::float8[], $6::bool[])
                  AS r (id, kind, message_id, error, delay, refund)
            WHERE o.id = r.id
        RETURNING o.id, o.status"#,
        &ids,
        &kinds as &[&str],
        &message_ids as &[Option<i64>],
        &errors as &[Option<String>],
        &delays,
        &refunds,
        max_ambiguous
    )
    .fetch_all(pool)
    .await
    .context("recording send outcomes")?;
    Ok(rows)
}

/// Rows left `sending` by a sender that died: their fate is unknown, so
/// each counts as ambiguous (and fails past `max_ambiguous`). Returns how
/// many there were.
pub async fn recover_in_flight(pool: &PgPool, max_ambiguous: i32) -> anyhow::Result<u64> {
    Ok(sqlx::query!(
        "UPDATE outbox
            SET ambiguous = ambiguous + 1,
                status = CASE WHEN ambiguous + 1 > $1 THEN 'failed' ELSE 'pending' END,
                last_error = 'sender stopped while sending: delivery unknown'
          WHERE status = 'sending'",
        max_ambiguous
    )
    .execute(pool)
    .await?
    .rows_affected())
}

/// The status and Telegram message id of row `id` (what an edit of it
/// needs), if the row exists.
pub async fn message_of(pool: &PgPool, id: i64) -> anyhow::Result<Option<(String, Option<i64>)>> {
    let row = sqlx::query!("SELECT status, message_id FROM outbox WHERE id = $1", id)
        .fetch_optional(pool)
        .await?;
    Ok(row.map(|r| (r.status, r.message_id)))
}

/// The status, chat and Telegram message id of row `id` (what a link to
/// its message needs), if the row exists.
pub async fn chat_message_of(
    pool: &PgPool,
    id: i64,
) -> anyhow::Result<Option<(String, i64, Option<i64>)>> {
    let row = sqlx::query!(
        "SELECT status, chat_id, message_id FROM outbox WHERE id = $1",
        id
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| (r.status, r.chat_id, r.message_id)))
}

/// The `t.me` link to message `message_id` of a supergroup (chat ids
/// `-100…`); other chats' messages have no link.
#[must_use]
pub fn message_link(chat_id: i64, message_id: i64) -> Option<String> {
    let internal = chat_id.to_string().strip_prefix("-100")?.to_string();
    (!internal.is_empty()).then(|| format!("https://t.me/c/{internal}/{message_id}"))
}

/// Rows refused because their topic was deleted by hand, by the
/// `createForumTopic` row of that topic, oldest first (a few topics at a
/// time).
pub async fn lost_topics(conn: &mut PgConnection) -> anyhow::Result<Vec<(i64, Vec<i64>)>> {
    let rows = sqlx::query!(
        r#"SELECT thread_outbox_id AS "topic!", array_agg(id ORDER BY id) AS "rows!"
             FROM outbox
            WHERE status = 'failed' AND last_error LIKE 'topic lost%'
              AND thread_outbox_id IS NOT NULL
            GROUP BY thread_outbox_id
            ORDER BY min(id)
            LIMIT 20"#
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.topic, r.rows)).collect())
}

/// Queues row `id` again into the topic that `createForumTopic` row
/// `thread` opens, if it is a message (a change to the lost topic itself
/// is not); returns the new row.
pub async fn resend_in_thread(
    conn: &mut PgConnection,
    id: i64,
    thread: i64,
) -> anyhow::Result<Option<i64>> {
    let row = sqlx::query!(
        "SELECT chat_id, lane, request, update_id FROM outbox WHERE id = $1",
        id
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let message =
        serde_json::from_value::<Request>(row.request.clone()).is_ok_and(|r| r.goes_into_thread());
    if !message {
        return Ok(None);
    }
    let new = sqlx::query_scalar!(
        "INSERT INTO outbox (chat_id, lane, request, update_id, thread_outbox_id)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
        row.chat_id,
        row.lane,
        row.request,
        row.update_id,
        thread
    )
    .fetch_one(conn)
    .await?;
    Ok(Some(new))
}

/// Marks rows refused for a lost topic as dealt with (sent again or moot).
pub async fn mark_topic_replaced(conn: &mut PgConnection, rows: &[i64]) -> anyhow::Result<()> {
    sqlx::query!(
        "UPDATE outbox SET last_error = 'topic replaced; was: ' || last_error
          WHERE id = ANY($1)",
        rows
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Cancels what is still queued for `chat_id` (the bot is leaving it), in
/// the caller's transaction; returns how many rows were cancelled.
pub async fn cancel_pending(conn: &mut PgConnection, chat_id: i64) -> anyhow::Result<u64> {
    Ok(sqlx::query!(
        "UPDATE outbox SET status = 'cancelled', last_error = 'the bot left the chat'
          WHERE chat_id = $1 AND status = 'pending'",
        chat_id
    )
    .execute(conn)
    .await?
    .rows_affected())
}

/// The person blocked the bot (or the chat is gone): the chat is marked
/// unreachable and its queued rows stopped, in one transaction. Returns how
/// many rows were stopped.
pub async fn stop_chat(pool: &PgPool, chat_id: i64, error: &str) -> anyhow::Result<u64> {
    let mut tx = pool.begin().await?;
    chats::mark_blocked(&mut tx, chat_id, chats::Kind::guess(chat_id)).await?;
    let rows = sqlx::query!(
        "UPDATE outbox SET status = 'unreachable', last_error = $2
          WHERE chat_id = $1 AND status IN ('pending', 'sending')",
        chat_id,
        error
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(rows)
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
            Request::SetMyCommands {
                language_code: Some("en".into()),
                commands: vec![MenuCommand {
                    command: "queue".into(),
                    description: "Open tickets".into(),
                }],
            },
            Request::DeleteMyCommands {
                language_code: None,
            },
            Request::LeaveChat,
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
        let link = Request::SendLink {
            text: "moved".into(),
            button: "open".into(),
            to: 9,
        };
        assert_eq!(link.depends_on(), Some(9));
        assert_eq!(
            message_link(-1_001_234_567_890, 42).as_deref(),
            Some("https://t.me/c/1234567890/42")
        );
        assert_eq!(message_link(-4321, 42), None);
        assert_eq!(message_link(555, 42), None);
        assert!(!Request::AnswerCallbackQuery {
            callback_query_id: "q".into(),
            text: None,
            show_alert: false
        }
        .is_rate_limited());
    }
}

//! The sender: delivers outbox rows through teloxide within Telegram's
//! limits (invariant 5), records Telegram's message ids, and retries what
//! failed for a reason that may pass.
//!
//! One sender per bot token is active at a time (an advisory lock), because
//! Telegram's limits are per bot; other replicas stand by. The queue query
//! returns only the head row of each chat, so a chat's messages leave in
//! order while other chats go on.

pub mod limits;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use sqlx::PgPool;
use teloxide::prelude::*;
use teloxide::types::{ChatId, InputFile, InputMedia, InputMediaPhoto, MessageId};
use teloxide::{ApiError, RequestError};
use tokio::sync::{mpsc, Notify};
use tokio_util::sync::CancellationToken;

use self::limits::{Limiter, RateLimits};
use crate::db::locks;
use crate::domain::chats;
use crate::outbox::{Request, Target, NOTIFY_CHANNEL};

/// How often the active sender checks it still holds its lock.
const LOCK_CHECK_EVERY: Duration = Duration::from_secs(5);

/// How the sender retries.
#[derive(Debug, Clone, Copy)]
pub struct SenderConfig {
    pub limits: RateLimits,
    /// Attempts before a row that keeps failing transiently is given up.
    pub max_attempts: i32,
    /// Resends after a lost answer before a row is given up (each may
    /// duplicate the message, so this is small).
    pub max_ambiguous: i32,
    /// Requests on the wire at once.
    pub max_in_flight: usize,
    /// How often an idle sender looks at the table anyway.
    pub poll_interval: Duration,
}

impl Default for SenderConfig {
    fn default() -> Self {
        SenderConfig {
            limits: RateLimits::default(),
            max_attempts: 8,
            max_ambiguous: 2,
            max_in_flight: 64,
            poll_interval: Duration::from_millis(500),
        }
    }
}

#[derive(Debug, Clone)]
struct Row_ {
    id: i64,
    chat_id: i64,
    request: Request,
    attempts: i32,
    /// Earlier attempts whose fate was lost (they may have arrived).
    ambiguous: i32,
}

/// What became of one delivery attempt.
#[derive(Debug)]
enum Outcome {
    Sent(Option<i32>),
    /// 429: try again after this long; pauses only this chat.
    RetryAfter(Duration),
    /// 5xx or a connection that never reached Telegram.
    Transient(String),
    /// The answer was lost after the request left: it may have arrived.
    Ambiguous(String),
    /// 403 and friends: the person blocked the bot or left.
    Unreachable(String),
    /// Telegram refused the request; sending it again will not help.
    Failed(String),
    /// An edit whose message has not been sent yet.
    NotYet,
}

/// Runs the sender until `stop` is cancelled.
pub async fn run(
    pool: PgPool,
    bot: Bot,
    config: SenderConfig,
    wake: Arc<Notify>,
    stop: CancellationToken,
) -> Result<()> {
    crate::db::listen(pool.clone(), NOTIFY_CHANNEL, wake.clone(), stop.clone());
    loop {
        let Some(mut leader) = locks::acquire(&pool, locks::SENDER, &stop).await? else {
            return Ok(());
        };
        tracing::info!("sender is active");
        let result = match recover_in_flight(&pool, config.max_ambiguous).await {
            Ok(()) => deliver_loop(&pool, &bot, config, &wake, &stop, &mut leader).await,
            // The database went away between the lock and this: wait for it.
            Err(e) if crate::db::is_connection_error(&e) => Err(e),
            // Anything else (the schema is broken) fails `serve`.
            Err(e) => return Err(e),
        };
        if stop.is_cancelled() {
            return result;
        }
        if let Err(e) = result {
            tracing::error!(error = %format!("{e:#}"), "sender loop failed; restarting");
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}

/// Rows left `sending` by a sender that died: their fate is unknown.
async fn recover_in_flight(pool: &PgPool, max_ambiguous: i32) -> Result<()> {
    let rows = sqlx::query!(
        "UPDATE outbox
            SET ambiguous = ambiguous + 1,
                status = CASE WHEN ambiguous + 1 > $1 THEN 'failed' ELSE 'pending' END,
                last_error = 'sender stopped while sending: delivery unknown'
          WHERE status = 'sending'",
        max_ambiguous
    )
    .execute(pool)
    .await?
    .rows_affected();
    if rows > 0 {
        tracing::warn!(
            rows,
            "found sends in flight from a previous run: counted as ambiguous and retried"
        );
    }
    Ok(())
}

async fn deliver_loop(
    pool: &PgPool,
    bot: &Bot,
    config: SenderConfig,
    wake: &Notify,
    stop: &CancellationToken,
    leader: &mut locks::Leader,
) -> Result<()> {
    let mut limiter = Limiter::new(config.limits);
    let mut lock_checked = Instant::now();
    let mut in_flight: HashSet<i64> = HashSet::new();
    // (chat, pause until, when a rate-limited send was dispatched)
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<Done>();

    let result = 'run: loop {
        // Settle finished sends first: they free chats and may pause one.
        while let Ok(done) = done_rx.try_recv() {
            settle(&mut limiter, &mut in_flight, done);
        }
        if stop.is_cancelled() {
            break 'run Ok(());
        }
        // The lock lives on its own connection; if that died, another
        // replica may be the sender now.
        if lock_checked.elapsed() >= LOCK_CHECK_EVERY {
            lock_checked = Instant::now();
            if !leader.still_held().await {
                break 'run Err(anyhow::anyhow!("lost the sender lock's connection"));
            }
        }

        let now = Instant::now();
        let capacity = limiter
            .global_capacity(now)
            .min(config.max_in_flight.saturating_sub(in_flight.len()));
        let mut dispatched = 0;
        let mut next_wake = Instant::now() + config.poll_interval;
        if capacity > 0 {
            let mut skip: Vec<i64> = limiter.blocked_chats(now);
            skip.extend(in_flight.iter().copied());
            let rows = match fetch_heads(pool, &skip, capacity.min(200) as i64).await {
                Ok(rows) => rows,
                Err(e) => break 'run Err(e),
            };
            let mut batch = Vec::new();
            for row in rows {
                if batch.len() >= capacity {
                    break;
                }
                if row.request.is_rate_limited() {
                    if let Some(at) = limiter.chat_ready_at(row.chat_id, now) {
                        next_wake = next_wake.min(at);
                        continue;
                    }
                    limiter.record(row.chat_id, now);
                }
                batch.push(row);
            }
            if !batch.is_empty() {
                let claimed = match mark_sending(pool, &batch).await {
                    Ok(claimed) => claimed,
                    Err(e) => break 'run Err(e),
                };
                batch.retain(|row| claimed.contains(&row.id));
            }
            for row in batch {
                dispatched += 1;
                in_flight.insert(row.chat_id);
                let (pool, bot, done) = (pool.clone(), bot.clone(), done_tx.clone());
                let counted = row.request.is_rate_limited().then_some(now);
                tokio::spawn(async move {
                    let chat = row.chat_id;
                    let pause = deliver(&pool, &bot, row, config).await;
                    let _ = done.send((chat, pause, counted));
                });
            }
        } else if let Some(at) = limiter.global_ready_at(now) {
            next_wake = next_wake.min(at);
        }
        if dispatched > 0 {
            // More may be due: look again as soon as the limiter has room,
            // not when an answer or the poll happens to wake us (with a long
            // round trip that would make the pace follow the answers).
            match limiter.global_ready_at(Instant::now()) {
                None => continue,
                Some(at) => next_wake = next_wake.min(at),
            }
        }

        tokio::select! {
            () = stop.cancelled() => break 'run Ok(()),
            () = wake.notified() => {}
            Some(done) = done_rx.recv() => settle(&mut limiter, &mut in_flight, done),
            () = tokio::time::sleep_until(next_wake.into()) => {}
        }
    };

    // Let requests on the wire finish and record their outcome — also when
    // the loop failed, so the next leader does not take a send still on the
    // wire for one lost with a dead sender and send it again. After a
    // failure, as long as a send waits to record its outcome.
    let patience = if result.is_err() { 20 } else { 10 };
    let deadline = Instant::now() + Duration::from_secs(patience);
    while !in_flight.is_empty() && Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_secs(1), done_rx.recv()).await {
            Ok(Some((chat, _, _))) => {
                in_flight.remove(&chat);
            }
            Ok(None) => break,
            Err(_) => {}
        }
    }
    result
}

/// A finished send: its chat, a 429 pause, and when it was dispatched if it
/// counted against the global limit.
type Done = (i64, Option<Instant>, Option<Instant>);

fn settle(limiter: &mut Limiter, in_flight: &mut HashSet<i64>, (chat, pause, counted): Done) {
    in_flight.remove(&chat);
    let now = Instant::now();
    if let Some(until) = pause {
        limiter.pause(chat, until);
        limiter.throttled(now);
    }
    if let Some(dispatched) = counted {
        // The round trip's variation widens the global window (limits.rs).
        limiter.answered(dispatched, now);
    }
}

/// The oldest due row of each chat, lanes first, skipping `skip` chats.
async fn fetch_heads(pool: &PgPool, skip: &[i64], limit: i64) -> Result<Vec<Row_>> {
    let rows = sqlx::query!(
        "SELECT o.id, o.chat_id, o.request, o.attempts, o.ambiguous
           FROM outbox o
          WHERE o.status = 'pending'
            AND o.not_before <= now()
            AND o.chat_id <> ALL($1)
            AND NOT EXISTS (
                SELECT 1 FROM outbox p
                 WHERE p.chat_id = o.chat_id
                   AND p.status IN ('pending', 'sending')
                   AND (p.lane, p.id) < (o.lane, o.id))
          ORDER BY o.lane, o.id
          LIMIT $2",
        skip,
        limit
    )
    .fetch_all(pool)
    .await
    .context("reading the outbox queue")?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let id: i64 = row.id;
        match serde_json::from_value::<Request>(row.request) {
            Ok(request) => out.push(Row_ {
                id,
                chat_id: row.chat_id,
                request,
                attempts: row.attempts,
                ambiguous: row.ambiguous,
            }),
            Err(e) => {
                tracing::error!(id, error = %e, "outbox row has an unreadable request");
                finish(
                    pool,
                    id,
                    "failed",
                    None,
                    Some(&format!("unreadable request: {e}")),
                )
                .await?;
            }
        }
    }
    Ok(out)
}

/// Marks the batch `sending` and returns the ids this sender won: a row
/// another sender took meanwhile (say, after this one lost its lock
/// connection unnoticed) is not sent twice.
async fn mark_sending(pool: &PgPool, batch: &[Row_]) -> Result<HashSet<i64>> {
    let ids: Vec<i64> = batch.iter().map(|r| r.id).collect();
    let claimed: Vec<i64> = sqlx::query_scalar!(
        "UPDATE outbox SET status = 'sending', attempts = attempts + 1
          WHERE id = ANY($1) AND status = 'pending'
      RETURNING id",
        &ids
    )
    .fetch_all(pool)
    .await
    .context("marking outbox rows as sending")?;
    Ok(claimed.into_iter().collect())
}

/// Sends one row and records the outcome; returns when its chat should be
/// paused until (429).
async fn deliver(pool: &PgPool, bot: &Bot, row: Row_, config: SenderConfig) -> Option<Instant> {
    let started = Instant::now();
    let outcome = send(pool, bot, &row).await;
    crate::metrics::send_finished(started.elapsed());
    match &outcome {
        Outcome::Sent(_) => crate::metrics::sent(),
        Outcome::RetryAfter(_) => crate::metrics::too_many_requests(),
        Outcome::Unreachable(_) => crate::metrics::forbidden(),
        _ => {}
    }
    let attempts = row.attempts + 1;
    // A database that is restarting is waited for (15 s, retried every half
    // second so the outcome lands as soon as it is back): a send whose
    // outcome is not recorded is sent again by the next leader.
    let mut waited: u32 = 0;
    let result = loop {
        let result = record(pool, &row, &outcome, attempts, config).await;
        match &result {
            Err(e) if waited < RECORD_RETRIES && crate::db::is_connection_error(e) => {
                waited += 1;
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            _ => break result,
        }
    };
    if let Err(e) = result {
        // The row stays 'sending'; the next leader counts it as ambiguous.
        tracing::error!(id = row.id, error = %format!("{e:#}"), "could not record a send outcome");
    }
    match outcome {
        Outcome::RetryAfter(after) => Some(Instant::now() + after),
        _ => None,
    }
}

/// Tries to record a send's outcome this many more times, half a second apart.
const RECORD_RETRIES: u32 = 30;

/// Writes what became of a send to its outbox row.
async fn record(
    pool: &PgPool,
    row: &Row_,
    outcome: &Outcome,
    attempts: i32,
    config: SenderConfig,
) -> Result<()> {
    match outcome {
        Outcome::Sent(message_id) => finish(pool, row.id, "sent", *message_id, None).await,
        Outcome::NotYet => retry(pool, row.id, Duration::from_millis(500), None, false).await,
        Outcome::RetryAfter(after) => {
            tracing::warn!(
                id = row.id,
                chat = row.chat_id,
                ?after,
                "Telegram asked to slow down"
            );
            retry(pool, row.id, *after, Some("429 Too Many Requests"), true).await
        }
        Outcome::Transient(e) if attempts < config.max_attempts => {
            let backoff = Duration::from_millis(500 * 2u64.pow(attempts.clamp(0, 9) as u32));
            tracing::warn!(id = row.id, chat = row.chat_id, error = %e, ?backoff, "send failed; will retry");
            retry(pool, row.id, backoff, Some(e), false).await
        }
        Outcome::Ambiguous(e) => ambiguous(pool, row.id, e, config.max_ambiguous).await,
        Outcome::Transient(e) | Outcome::Failed(e) => {
            tracing::error!(id = row.id, chat = row.chat_id, error = %e, "send failed for good");
            finish(pool, row.id, "failed", None, Some(e)).await
        }
        Outcome::Unreachable(e) => unreachable(pool, row.chat_id, e).await,
    }
}

async fn send(pool: &PgPool, bot: &Bot, row: &Row_) -> Outcome {
    let chat = ChatId(row.chat_id);
    let result: std::result::Result<Option<i32>, RequestError> = match &row.request {
        Request::SendMessage {
            text,
            reply_markup,
            reply_to,
        } => {
            let mut req = bot.send_message(chat, text);
            if let Some(m) = reply_markup {
                req = req.reply_markup(m.clone());
            }
            if let Some(to) = reply_to {
                req = req.reply_parameters(
                    teloxide::types::ReplyParameters::new(MessageId(*to))
                        .allow_sending_without_reply(),
                );
            }
            req.await.map(|m| Some(m.id.0))
        }
        Request::SendPhoto {
            photo,
            caption,
            reply_markup,
        } => {
            let mut req = bot.send_photo(chat, InputFile::file_id(photo.clone().into()));
            if let Some(c) = caption {
                req = req.caption(c);
            }
            if let Some(m) = reply_markup {
                req = req.reply_markup(m.clone());
            }
            req.await.map(|m| Some(m.id.0))
        }
        Request::SendPhotoFile {
            file,
            caption,
            reply_markup,
        } => match upload(pool, *file).await {
            Err(o) => return o,
            Ok(input) => {
                let mut req = bot.send_photo(chat, input);
                if let Some(c) = caption {
                    req = req.caption(c);
                }
                if let Some(m) = reply_markup {
                    req = req.reply_markup(m.clone());
                }
                req.await.map(|m| Some(m.id.0))
            }
        },
        Request::SendDocument { file, caption } => match upload(pool, *file).await {
            Err(o) => return o,
            Ok(input) => {
                let mut req = bot.send_document(chat, input);
                if let Some(c) = caption {
                    req = req.caption(c);
                }
                req.await.map(|m| Some(m.id.0))
            }
        },
        Request::SendMediaGroup { photos, caption } => {
            let media = photos.iter().enumerate().map(|(i, p)| {
                let mut photo = InputMediaPhoto::new(InputFile::file_id(p.clone().into()));
                if i == 0 {
                    if let Some(c) = caption {
                        photo = photo.caption(c);
                    }
                }
                InputMedia::Photo(photo)
            });
            bot.send_media_group(chat, media)
                .await
                .map(|ms| ms.first().map(|m| m.id.0))
        }
        Request::EditMessageText {
            target,
            text,
            reply_markup,
        } => match message_of(pool, target).await {
            Err(o) => return o,
            Ok(id) => {
                let mut req = bot.edit_message_text(chat, id, text);
                if let Some(m) = reply_markup {
                    req = req.reply_markup(m.clone());
                }
                req.await.map(|m| Some(m.id.0))
            }
        },
        Request::EditMessageReplyMarkup {
            target,
            reply_markup,
        } => match message_of(pool, target).await {
            Err(o) => return o,
            Ok(id) => {
                let mut req = bot.edit_message_reply_markup(chat, id);
                if let Some(m) = reply_markup {
                    req = req.reply_markup(m.clone());
                }
                req.await.map(|m| Some(m.id.0))
            }
        },
        Request::DeleteMessage { target } => match message_of(pool, target).await {
            Err(o) => return o,
            Ok(id) => bot.delete_message(chat, id).await.map(|_| None),
        },
        Request::AnswerCallbackQuery {
            callback_query_id,
            text,
            show_alert,
        } => {
            let mut req = bot.answer_callback_query(callback_query_id.clone().into());
            if let Some(t) = text {
                req = req.text(t);
            }
            if *show_alert {
                req = req.show_alert(true);
            }
            req.await.map(|_| None)
        }
    };
    match result {
        Ok(id) => Outcome::Sent(id),
        Err(e) => classify(e, &row.request, row.ambiguous > 0),
    }
}

/// A stored file (`outbox_files`) ready to upload.
async fn upload(pool: &PgPool, id: i64) -> std::result::Result<InputFile, Outcome> {
    let mut conn = pool
        .acquire()
        .await
        .map_err(|e| Outcome::Transient(format!("reading an upload: {e}")))?;
    match crate::outbox::load_file(&mut conn, id).await {
        Ok(Some((name, bytes))) => Ok(InputFile::memory(bytes).file_name(name)),
        Ok(None) => Err(Outcome::Failed(format!("file {id} to upload is gone"))),
        Err(e) => Err(Outcome::Transient(format!("reading an upload: {e:#}"))),
    }
}

/// The Telegram message id an edit is about.
async fn message_of(pool: &PgPool, target: &Target) -> std::result::Result<MessageId, Outcome> {
    let outbox_id = match target {
        Target::Message(id) => return Ok(MessageId(*id)),
        Target::Outbox(id) => *id,
    };
    let row = sqlx::query!(
        "SELECT status, message_id FROM outbox WHERE id = $1",
        outbox_id
    )
    .fetch_optional(pool)
    .await
    .map_err(|e| Outcome::Transient(format!("looking up message of outbox row: {e}")))?;
    let Some(row) = row else {
        return Err(Outcome::Failed(format!(
            "outbox row {outbox_id} does not exist"
        )));
    };
    let status: String = row.status;
    let message_id: Option<i64> = row.message_id;
    match (status.as_str(), message_id) {
        (_, Some(id)) => i32::try_from(id)
            .map(MessageId)
            .map_err(|_| Outcome::Failed(format!("message id {id} out of range"))),
        ("pending" | "sending", None) => Err(Outcome::NotYet),
        (status, None) => Err(Outcome::Failed(format!(
            "the message to change was never sent (outbox row {outbox_id} is {status})"
        ))),
    }
}

/// `resent`: an earlier attempt of this row may have arrived.
fn classify(e: RequestError, request: &Request, resent: bool) -> Outcome {
    match e {
        RequestError::RetryAfter(secs) => {
            Outcome::RetryAfter(secs.duration().max(Duration::from_secs(1)))
        }
        RequestError::Api(api) => match api {
            ApiError::BotBlocked
            | ApiError::UserDeactivated
            | ApiError::BotKicked
            | ApiError::BotKickedFromSupergroup
            | ApiError::BotKickedFromChannel
            | ApiError::CantInitiateConversation
            | ApiError::CantTalkWithBots
            | ApiError::ChatNotFound => Outcome::Unreachable(api.to_string()),
            ApiError::MessageNotModified => Outcome::Sent(match request {
                Request::EditMessageText {
                    target: Target::Message(id),
                    ..
                }
                | Request::EditMessageReplyMarkup {
                    target: Target::Message(id),
                    ..
                } => Some(*id),
                _ => None,
            }),
            // Telegram takes one answer per query: when an answer is sent
            // again after its first attempt's fate was lost (a crash, a
            // broken connection), this refusal means the first one arrived.
            ApiError::InvalidQueryId
                if resent && matches!(request, Request::AnswerCallbackQuery { .. }) =>
            {
                Outcome::Sent(None)
            }
            ApiError::MessageToDeleteNotFound | ApiError::MessageIdInvalid
                if matches!(request, Request::DeleteMessage { .. }) =>
            {
                Outcome::Sent(None)
            }
            // Telegram's 5xx answers carry no description teloxide knows.
            ApiError::Unknown(text) => Outcome::Transient(format!("Telegram error: {text}")),
            other => Outcome::Failed(other.to_string()),
        },
        RequestError::Network(e) => {
            // A refused connection never reached Telegram; anything later may have.
            if e.is_connect() || e.is_builder() {
                Outcome::Transient(format!("network: {e}"))
            } else {
                Outcome::Ambiguous(format!("network: {e}"))
            }
        }
        RequestError::InvalidJson { source, raw } => Outcome::Ambiguous(format!(
            "unreadable answer from Telegram: {source} (raw: {raw:.200})"
        )),
        RequestError::MigrateToChatId(to) => Outcome::Failed(format!(
            "the group became supergroup {to}; update PROPDESK_STAFF_CHAT_ID"
        )),
        RequestError::Io(e) => Outcome::Ambiguous(format!("I/O: {e}")),
    }
}

async fn finish(
    pool: &PgPool,
    id: i64,
    status: &str,
    message_id: Option<i32>,
    error: Option<&str>,
) -> Result<()> {
    sqlx::query!(
        "UPDATE outbox
            SET status = $2, message_id = COALESCE($3, message_id), last_error = $4,
                sent_at = CASE WHEN $2 = 'sent' THEN now() ELSE sent_at END
          WHERE id = $1",
        id,
        status,
        message_id.map(i64::from),
        error
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Back to the queue after `after`. A 429 or a not-yet-sent dependency is
/// not the request's fault, so it does not use up an attempt.
async fn retry(
    pool: &PgPool,
    id: i64,
    after: Duration,
    error: Option<&str>,
    refund_attempt: bool,
) -> Result<()> {
    sqlx::query!(
        "UPDATE outbox
            SET status = 'pending',
                not_before = now() + make_interval(secs => $2),
                last_error = COALESCE($3, last_error),
                attempts = attempts - CASE WHEN $4 THEN 1 ELSE 0 END
          WHERE id = $1",
        id,
        after.as_secs_f64(),
        error,
        refund_attempt || error.is_none()
    )
    .execute(pool)
    .await?;
    Ok(())
}

async fn ambiguous(pool: &PgPool, id: i64, error: &str, max_ambiguous: i32) -> Result<()> {
    let status: String = sqlx::query_scalar!(
        "UPDATE outbox
            SET ambiguous = ambiguous + 1,
                status = CASE WHEN ambiguous + 1 > $2 THEN 'failed' ELSE 'pending' END,
                not_before = now() + interval '1 second',
                last_error = $3
          WHERE id = $1
      RETURNING status",
        id,
        max_ambiguous,
        format!("ambiguous: {error}")
    )
    .fetch_one(pool)
    .await?;
    tracing::warn!(id, error, now = %status, "send answer lost: the message may have arrived");
    Ok(())
}

/// The person blocked the bot (or the chat is gone): stop sending there.
async fn unreachable(pool: &PgPool, chat_id: i64, error: &str) -> Result<()> {
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
    tracing::warn!(
        chat_id,
        rows,
        error,
        "chat unreachable; its pending messages are stopped"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer() -> Request {
        Request::AnswerCallbackQuery {
            callback_query_id: "q1".into(),
            text: None,
            show_alert: false,
        }
    }

    #[test]
    fn a_refused_second_answer_to_a_query_counts_as_sent_only_after_a_lost_attempt() {
        let refused = || RequestError::Api(ApiError::InvalidQueryId);
        assert!(matches!(
            classify(refused(), &answer(), true),
            Outcome::Sent(None)
        ));
        assert!(matches!(
            classify(refused(), &answer(), false),
            Outcome::Failed(_)
        ));
    }
}

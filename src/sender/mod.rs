//! The sender: delivers outbox rows through teloxide within Telegram's
//! limits (invariant 5), records Telegram's message ids, and retries what
//! failed for a reason that may pass.
//!
//! One sender per bot token is active at a time (an advisory lock), because
//! Telegram's limits are per bot; other replicas stand by. The queue query
//! claims only the head row of each chat, so a chat's messages leave in
//! order while other chats go on. Rows are claimed in batches (one statement
//! marks them `sending`), and the outcomes of the sends that finished while
//! the last batch of outcomes was being written are written together: one
//! statement, one commit, however many sends.

pub mod limits;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use sqlx::PgPool;
use teloxide::prelude::*;
use teloxide::types::{
    BotCommand, BotCommandScope, ChatId, InlineKeyboardButton, InlineKeyboardMarkup, InputFile,
    InputMedia, InputMediaPhoto, MessageId, Recipient, ReplyMarkup,
};
use teloxide::{ApiError, RequestError};
use tokio::sync::{mpsc, Notify};
use tokio_util::sync::CancellationToken;

use self::limits::{Limiter, RateLimits};
use crate::db::locks;
use crate::outbox::{self, Request, Settled, Target, NOTIFY_CHANNEL, TOPIC_LOST};

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
    /// The topic it goes into, if any.
    thread: Option<Target>,
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
    let rows = outbox::recover_in_flight(pool, max_ambiguous).await?;
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
    // Sends hand their outcome to the recorder, which writes them in
    // batches and then tells this loop (`done_rx`) the chats are free.
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<Done>();
    let (finished_tx, finished_rx) = mpsc::unbounded_channel::<Finished>();
    tokio::spawn(record_outcomes(pool.clone(), config, finished_rx, done_tx));

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
        // Whether the claim took all it asked for: only then may more be
        // due right now (rows of chats it skipped come back with their
        // chat's outcome, new rows with a wake).
        let mut filled = false;
        let mut next_wake = Instant::now() + config.poll_interval;
        if capacity > 0 {
            let mut skip: Vec<i64> = limiter.blocked_chats(now);
            skip.extend(in_flight.iter().copied());
            // Chats the limiter holds back are skipped by the claim itself,
            // so every row claimed may go now.
            let asked = capacity.min(200);
            let rows = match claim(pool, &skip, asked as i64).await {
                Ok(rows) => rows,
                Err(e) => break 'run Err(e),
            };
            filled = rows.len() >= asked;
            for row in rows {
                if row.request.is_rate_limited() {
                    limiter.record(row.chat_id, now);
                }
                dispatched += 1;
                in_flight.insert(row.chat_id);
                let (pool, bot, finished) = (pool.clone(), bot.clone(), finished_tx.clone());
                let counted = row.request.is_rate_limited().then_some(now);
                tokio::spawn(async move {
                    let outcome = deliver(&pool, &bot, &row).await;
                    // The round trip is dispatch to answer, not to recorded.
                    let trip = counted.map(|dispatched| (dispatched, Instant::now()));
                    let _ = finished.send(Finished { row, outcome, trip });
                });
            }
        } else if let Some(at) = limiter.global_ready_at(now) {
            next_wake = next_wake.min(at);
        }
        if dispatched > 0 && filled {
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
    // failure, as long as a send waits to record its outcome. The recorder
    // ends once every send has handed it its outcome.
    drop(finished_tx);
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

/// A finished send: its chat, a 429 pause, and when it was dispatched and
/// answered if it counted against the global limit.
type Done = (i64, Option<Instant>, Option<(Instant, Instant)>);

fn settle(limiter: &mut Limiter, in_flight: &mut HashSet<i64>, (chat, pause, trip): Done) {
    in_flight.remove(&chat);
    let now = Instant::now();
    if let Some(until) = pause {
        limiter.pause(chat, until);
        limiter.throttled(now);
    }
    if let Some((dispatched, answered)) = trip {
        // The round trip's variation widens the global window (limits.rs).
        limiter.answered(dispatched, answered);
    }
}

/// Claims the oldest due row of each chat, lanes first, skipping `skip`
/// chats (`outbox::claim_due`); a row whose request does not parse is
/// recorded as failed.
async fn claim(pool: &PgPool, skip: &[i64], limit: i64) -> Result<Vec<Row_>> {
    let rows = outbox::claim_due(pool, skip, limit).await?;
    let mut out = Vec::with_capacity(rows.len());
    let mut unreadable = Vec::new();
    for row in rows {
        match serde_json::from_value::<Request>(row.request) {
            Ok(request) => out.push(Row_ {
                id: row.id,
                chat_id: row.chat_id,
                request,
                attempts: row.attempts,
                ambiguous: row.ambiguous,
                thread: row.thread,
            }),
            Err(e) => {
                tracing::error!(id = row.id, error = %e, "outbox row has an unreadable request");
                unreadable.push((row.id, Settled::Failed(format!("unreadable request: {e}"))));
            }
        }
    }
    outbox::record(pool, &unreadable, 0).await?;
    Ok(out)
}

/// A send that finished, for the recorder.
struct Finished {
    row: Row_,
    outcome: Outcome,
    /// When it was dispatched and answered, if it counted against the
    /// global limit.
    trip: Option<(Instant, Instant)>,
}

/// Sends one row; the outcome is recorded by [`record_outcomes`].
async fn deliver(pool: &PgPool, bot: &Bot, row: &Row_) -> Outcome {
    let started = Instant::now();
    let outcome = send(pool, bot, row).await;
    crate::metrics::send_finished(started.elapsed());
    match &outcome {
        Outcome::Sent(_) => crate::metrics::sent(),
        Outcome::RetryAfter(_) => crate::metrics::too_many_requests(),
        Outcome::Unreachable(_) => crate::metrics::forbidden(),
        _ => {}
    }
    outcome
}

/// Writes the outcomes of finished sends: each time, all that finished
/// while the previous write was on its way, in one statement — so under
/// load a commit records many sends, and when idle a send is recorded at
/// once. Then frees their chats in the delivery loop (`done`), a 429's
/// with its pause. Ends when every send has handed in its outcome.
async fn record_outcomes(
    pool: PgPool,
    config: SenderConfig,
    mut finished: mpsc::UnboundedReceiver<Finished>,
    done: mpsc::UnboundedSender<Done>,
) {
    while let Some(first) = finished.recv().await {
        let mut batch = vec![first];
        while let Ok(more) = finished.try_recv() {
            batch.push(more);
        }
        // A database that is restarting is waited for (15 s, retried every
        // half second so the outcomes land as soon as it is back): a send
        // whose outcome is not recorded is sent again by the next leader.
        let mut waited: u32 = 0;
        let result = loop {
            let result = record_batch(&pool, &batch, config).await;
            match &result {
                Err(e) if waited < RECORD_RETRIES && crate::db::is_connection_error(e) => {
                    waited += 1;
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                _ => break result,
            }
        };
        if let Err(e) = result {
            // The rows stay 'sending'; the next leader counts them as ambiguous.
            tracing::error!(rows = batch.len(), error = %format!("{e:#}"), "could not record send outcomes");
        }
        for f in batch {
            let pause = match f.outcome {
                Outcome::RetryAfter(after) => Some(Instant::now() + after),
                _ => None,
            };
            let _ = done.send((f.row.chat_id, pause, f.trip));
        }
    }
}

/// Tries to record a batch of outcomes this many more times, half a second apart.
const RECORD_RETRIES: u32 = 30;

/// Writes what became of a batch of sends to their outbox rows: one
/// statement for all of them, and a transaction per chat found unreachable.
async fn record_batch(pool: &PgPool, batch: &[Finished], config: SenderConfig) -> Result<()> {
    let mut settled = Vec::with_capacity(batch.len());
    for Finished { row, outcome, .. } in batch {
        let attempts = row.attempts + 1;
        let s = match outcome {
            Outcome::Sent(message_id) => Settled::Sent(*message_id),
            Outcome::NotYet => Settled::Retry {
                after: Duration::from_millis(500),
                error: None,
                refund: true,
            },
            Outcome::RetryAfter(after) => {
                tracing::warn!(
                    id = row.id,
                    chat = row.chat_id,
                    ?after,
                    "Telegram asked to slow down"
                );
                Settled::Retry {
                    after: *after,
                    error: Some("429 Too Many Requests".into()),
                    refund: true,
                }
            }
            Outcome::Transient(e) if attempts < config.max_attempts => {
                let backoff = Duration::from_millis(500 * 2u64.pow(attempts.clamp(0, 9) as u32));
                tracing::warn!(id = row.id, chat = row.chat_id, error = %e, ?backoff, "send failed; will retry");
                Settled::Retry {
                    after: backoff,
                    error: Some(e.clone()),
                    refund: false,
                }
            }
            Outcome::Ambiguous(e) => Settled::Ambiguous(e.clone()),
            Outcome::Transient(e) | Outcome::Failed(e) => {
                tracing::error!(id = row.id, chat = row.chat_id, error = %e, "send failed for good");
                Settled::Failed(e.clone())
            }
            Outcome::Unreachable(e) => {
                let rows = outbox::stop_chat(pool, row.chat_id, e).await?;
                tracing::warn!(
                    chat_id = row.chat_id,
                    rows,
                    error = %e,
                    "chat unreachable; its pending messages are stopped"
                );
                continue;
            }
        };
        settled.push((row.id, s));
    }
    let recorded = outbox::record(pool, &settled, config.max_ambiguous).await?;
    for (id, s) in &settled {
        if let Settled::Ambiguous(error) = s {
            let now = recorded
                .iter()
                .find(|r| r.id == *id)
                .map_or("?", |r| r.status.as_str());
            tracing::warn!(
                id,
                error,
                now,
                "send answer lost: the message may have arrived"
            );
        }
    }
    Ok(())
}

/// `sendPhoto` of `input` (a file id Telegram knows, or an upload), with
/// its caption and buttons, into `thread` if given.
async fn send_photo(
    bot: &Bot,
    chat: ChatId,
    thread: Option<teloxide::types::ThreadId>,
    input: InputFile,
    caption: &Option<String>,
    reply_markup: &Option<ReplyMarkup>,
) -> std::result::Result<Option<i32>, RequestError> {
    let mut req = bot.send_photo(chat, input);
    if let Some(t) = thread {
        req = req.message_thread_id(t);
    }
    if let Some(c) = caption {
        req = req.caption(c);
    }
    if let Some(m) = reply_markup {
        req = req.reply_markup(m.clone());
    }
    req.await.map(|m| Some(m.id.0))
}

async fn send(pool: &PgPool, bot: &Bot, row: &Row_) -> Outcome {
    let chat = ChatId(row.chat_id);
    let thread = match thread_of(pool, row).await {
        Ok(thread) => thread,
        Err(o) => return o,
    };
    let result: std::result::Result<Option<i32>, RequestError> =
        match &row.request {
            Request::SendMessage {
                text,
                reply_markup,
                reply_to,
            } => {
                let mut req = bot.send_message(chat, text);
                if let Some(t) = thread {
                    req = req.message_thread_id(t);
                }
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
                let input = InputFile::file_id(photo.clone().into());
                send_photo(bot, chat, thread, input, caption, reply_markup).await
            }
            Request::SendPhotoFile {
                file,
                caption,
                reply_markup,
            } => match upload(pool, *file).await {
                Err(o) => return o,
                Ok(input) => send_photo(bot, chat, thread, input, caption, reply_markup).await,
            },
            Request::SendDocument { file, caption } => match upload(pool, *file).await {
                Err(o) => return o,
                Ok(input) => {
                    let mut req = bot.send_document(chat, input);
                    if let Some(t) = thread {
                        req = req.message_thread_id(t);
                    }
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
                let mut req = bot.send_media_group(chat, media);
                if let Some(t) = thread {
                    req = req.message_thread_id(t);
                }
                req.await.map(|ms| ms.first().map(|m| m.id.0))
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
            Request::SendLink { text, button, to } => match link_of(pool, *to).await {
                Err(o) => return o,
                Ok(link) => {
                    let mut req = bot.send_message(chat, text);
                    if let Some(t) = thread {
                        req = req.message_thread_id(t);
                    }
                    if let Some(url) = link.and_then(|l| reqwest::Url::parse(&l).ok()) {
                        req = req.reply_markup(InlineKeyboardMarkup::new([[
                            InlineKeyboardButton::url(button.clone(), url),
                        ]]));
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
            Request::SetMyCommands {
                language_code,
                commands,
            } => {
                let commands = commands
                    .iter()
                    .map(|c| BotCommand::new(c.command.clone(), c.description.clone()));
                let mut req = bot.set_my_commands(commands).scope(BotCommandScope::Chat {
                    chat_id: Recipient::Id(chat),
                });
                if let Some(code) = language_code {
                    req = req.language_code(code.clone());
                }
                req.await.map(|_| None)
            }
            Request::LeaveChat => bot.leave_chat(chat).await.map(|_| None),
            Request::CreateForumTopic { name, icon_color } => {
                let mut req = bot.create_forum_topic(chat, name);
                if let Some(c) = icon_color {
                    req = req.icon_color(teloxide::types::Rgb::from_u32(*c));
                }
                req.await.map(|t| Some(t.thread_id.0 .0))
            }
            Request::EditForumTopic { name } => match thread {
                None => return no_topic(row),
                Some(t) => bot.edit_forum_topic(chat, t).name(name).await.map(|_| None),
            },
            Request::CloseForumTopic => match thread {
                None => return no_topic(row),
                Some(t) => bot.close_forum_topic(chat, t).await.map(|_| None),
            },
            Request::ReopenForumTopic => match thread {
                None => return no_topic(row),
                Some(t) => bot.reopen_forum_topic(chat, t).await.map(|_| None),
            },
            Request::PinChatMessage { target } => match message_of(pool, target).await {
                Err(o) => return o,
                Ok(id) => bot
                    .pin_chat_message(chat, id)
                    .disable_notification(true)
                    .await
                    .map(|_| None),
            },
            Request::DeleteMyCommands { language_code } => {
                let mut req = bot.delete_my_commands().scope(BotCommandScope::Chat {
                    chat_id: Recipient::Id(chat),
                });
                if let Some(code) = language_code {
                    req = req.language_code(code.clone());
                }
                req.await.map(|_| None)
            }
        };
    match result {
        Ok(id) => Outcome::Sent(id),
        // A menu Telegram refuses (a chat it does not know yet, say) stays
        // as it was: nothing to retry, and the chat itself is not judged by it.
        Err(RequestError::Api(api)) if row.request.is_command_menu() => {
            Outcome::Failed(api.to_string())
        }
        // Leaving a chat the bot is no longer in (kicked meanwhile, the
        // group deleted) is done all the same.
        Err(RequestError::Api(api))
            if matches!(row.request, Request::LeaveChat) && no_longer_there(&api) =>
        {
            Outcome::Sent(None)
        }
        Err(RequestError::Api(ApiError::Unknown(text)))
            if is_topic_answer(&text)
                || (row.request.is_topic_request() && text.starts_with("Bad Request")) =>
        {
            topic_outcome(&text, row)
        }
        Err(e) => classify(e, &row.request, row.ambiguous > 0),
    }
}

/// Telegram's answers about topics, which teloxide does not name.
fn is_topic_answer(text: &str) -> bool {
    text.contains("message thread not found")
        || text.contains("TOPIC_NOT_MODIFIED")
        || text.contains("TOPIC_CLOSED")
        || text.contains("TOPIC_DELETED")
}

/// A refusal about the row's topic: nothing changed (done), the topic is
/// gone (`topic lost`: the scheduler opens a new one and sends the row
/// again, see `processor::features::staff::lost_topics`), or anything else
/// Telegram refuses about topics (no right to manage them, not a forum):
/// failed at once, not retried.
fn topic_outcome(text: &str, row: &Row_) -> Outcome {
    if text.contains("TOPIC_NOT_MODIFIED") {
        return Outcome::Sent(None);
    }
    let gone = text.contains("message thread not found") || text.contains("TOPIC_DELETED");
    if gone && row.thread.is_some() {
        return Outcome::Failed(format!("{TOPIC_LOST}: {text}"));
    }
    if matches!(row.request, Request::CreateForumTopic { .. }) {
        // Its messages go to the chat itself (`thread_of`): nothing is lost.
        tracing::error!(
            chat = row.chat_id,
            error = text,
            "could not open a ticket topic; its card goes to the group's General topic \
             (the bot needs to be an administrator allowed to manage topics)"
        );
    }
    Outcome::Failed(text.to_string())
}

/// A topic change whose topic was never opened (its `createForumTopic`
/// failed): nothing to change.
fn no_topic(row: &Row_) -> Outcome {
    Outcome::Failed(format!(
        "row {}: the topic to change was never opened",
        row.id
    ))
}

/// The thread a row goes into: its own, or that of the topic a
/// `createForumTopic` row opened (not yet sent: wait; never opened: the
/// chat itself, so nothing is lost).
async fn thread_of(
    pool: &PgPool,
    row: &Row_,
) -> std::result::Result<Option<teloxide::types::ThreadId>, Outcome> {
    use teloxide::types::ThreadId;
    match row.thread {
        None => Ok(None),
        Some(Target::Message(id)) => Ok(Some(ThreadId(MessageId(id)))),
        Some(target @ Target::Outbox(_)) => match message_of(pool, &target).await {
            Ok(id) => Ok(Some(ThreadId(id))),
            Err(Outcome::NotYet) => Err(Outcome::NotYet),
            Err(Outcome::Failed(_)) => Ok(None),
            Err(other) => Err(other),
        },
    }
}

/// Whether Telegram's refusal says the bot is not in the chat (any more).
fn no_longer_there(api: &ApiError) -> bool {
    matches!(
        classify(RequestError::Api(api.clone()), &Request::LeaveChat, false),
        Outcome::Unreachable(_)
    ) || api.to_string().starts_with("Forbidden")
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
    let row = outbox::message_of(pool, outbox_id)
        .await
        .map_err(|e| Outcome::Transient(format!("looking up message of outbox row: {e:#}")))?;
    let Some((status, message_id)) = row else {
        return Err(Outcome::Failed(format!(
            "outbox row {outbox_id} does not exist"
        )));
    };
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

/// The link to the message of outbox row `to`, once it is sent (None: that
/// chat's messages have no link).
async fn link_of(pool: &PgPool, to: i64) -> std::result::Result<Option<String>, Outcome> {
    let row = outbox::chat_message_of(pool, to)
        .await
        .map_err(|e| Outcome::Transient(format!("looking up message of outbox row: {e:#}")))?;
    match row {
        None => Err(Outcome::Failed(format!("outbox row {to} does not exist"))),
        Some((_, chat, Some(message))) => Ok(outbox::message_link(chat, message)),
        Some((status, _, None)) if status == "pending" || status == "sending" => {
            Err(Outcome::NotYet)
        }
        // The message it would link to never went out: the text alone.
        Some(_) => Ok(None),
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

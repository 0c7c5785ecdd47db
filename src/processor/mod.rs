//! The processor: takes updates from the inbox and turns each into domain
//! writes and outbox rows, all in one transaction that also marks the update
//! processed (invariant 2).
//!
//! Workers claim a batch of updates, each the oldest open update of its chat
//! (`FOR UPDATE SKIP LOCKED`), so one chat's updates go in order while other
//! chats go on in parallel (invariant 3), on any replica. A batch is one
//! transaction — one commit, one WAL flush, for all of it — and a failing
//! update is undone and recorded alone (the batch is handled again, each
//! update in its own savepoint; see [`process_batch`]): it is retried with
//! backoff — holding back only its own chat — and after `max_attempts` it
//! is parked with its error, the person gets an apology, and the chat moves
//! on.

pub mod commands;
mod context;
pub mod conversation;
pub mod features;
mod main_menu;
mod reply;
mod router;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result};
use chrono::{DateTime, Utc};
use futures::FutureExt;
use sqlx::{Acquire, PgConnection, PgPool};
use teloxide::types::Update;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

pub use context::{chat_language, App, Ctx, ProcessorSettings};
pub use features::staff::{file_ticket, owner_follow_up, FiledTicket};
pub use router::owner_command_list as menu_commands;

use crate::i18n::Lang;
use crate::inbox::{self, NOTIFY_CHANNEL};
use crate::outbox::{self, Outgoing, Request};
use crate::texts;

/// Runs `workers` processor workers until `stop` fires (0 makes an
/// intake-and-sender-only replica).
pub async fn run(
    pool: PgPool,
    app: Arc<App>,
    workers: usize,
    wakes: Wakes,
    stop: CancellationToken,
) -> Result<()> {
    crate::db::listen(
        pool.clone(),
        NOTIFY_CHANNEL,
        wakes.inbox.clone(),
        stop.clone(),
    );
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..workers {
        let (pool, app, wakes, stop) = (pool.clone(), app.clone(), wakes.clone(), stop.clone());
        tasks.spawn(async move {
            worker(&pool, &app, &wakes, &stop).await;
        });
    }
    while let Some(ended) = tasks.join_next().await {
        // Workers end only when asked to; one that died (a panic outside a
        // handler) fails the processor, so `serve`'s supervisor stops the
        // bot instead of it slowly losing its workers. The others finish
        // their update once the supervisor fires `stop`.
        if !stop.is_cancelled() {
            tasks.detach_all();
            return match ended {
                Ok(()) => Err(anyhow::anyhow!(
                    "a worker ended before it was asked to stop"
                )),
                Err(e) => Err(anyhow::Error::new(e).context("a worker died")),
            };
        }
    }
    Ok(())
}

/// The wake-ups: the processors' own (intake pokes it after storing
/// updates), this process's sender's and, through a `db::notifier`, the
/// senders of other replicas (both poked after every batch commits). A
/// `Notify` keeps at most one permit, so many pokes before a waiter looks
/// coalesce into one look at the table.
#[derive(Debug, Clone)]
pub struct Wakes {
    pub inbox: Arc<Notify>,
    pub outbox: Arc<Notify>,
    pub outbox_elsewhere: Arc<Notify>,
}

async fn worker(pool: &PgPool, app: &App, wakes: &Wakes, stop: &CancellationToken) {
    // Consecutive failures: a database that is down is retried with backoff
    // (up to 2 s), logged once per attempt, not 8 workers × 2 a second.
    let mut failures: u32 = 0;
    let wake = &wakes.inbox;
    while !stop.is_cancelled() {
        match process_batch(pool, app, wake).await {
            Ok(0) => failures = 0,
            Ok(_) => {
                failures = 0;
                wakes.outbox.notify_one();
                wakes.outbox_elsewhere.notify_one();
                // This worker looks again at once: its chats' next updates
                // are heads now.
                continue;
            }
            Err(e) => {
                failures += 1;
                let backoff = Duration::from_millis(250 << failures.min(3));
                tracing::error!(error = %format!("{e:#}"), ?backoff, "processor could not reach the database");
                tokio::select! {
                    () = stop.cancelled() => return,
                    () = tokio::time::sleep(backoff) => {}
                }
                continue;
            }
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = wake.notified() => {}
            () = tokio::time::sleep(app.settings.poll_interval) => {}
        }
    }
}

/// Most updates one worker claims and commits together. Large enough that
/// a burst costs a commit per dozen updates, small enough that a burst of
/// a hundred chats is spread over several workers (and cores), and that an
/// update waits for at most this many others before its reply is committed.
pub const BATCH: i64 = 16;

/// Claims a batch of updates (distinct chats) and handles them in one
/// transaction; returns how many it claimed (0: none was ready). A full
/// batch may have left more: `others` is poked at once so that another
/// worker claims the next batch meanwhile.
///
/// The batch is first handled in one go, under a single savepoint taken
/// after the claim. Only if an update fails is that undone and the batch
/// handled again, each update in its own savepoint, so the failure is
/// recorded alone and the others commit. Failures are rare; the common
/// batch costs one savepoint instead of two round trips per update. The
/// second pass sees exactly what the first saw (the same rows, locked by
/// the claim, and the same `now` per update).
pub async fn process_batch(pool: &PgPool, app: &App, others: &Notify) -> Result<usize> {
    let mut tx = pool.begin().await?;
    let claimed = inbox::claim_batch(&mut tx, BATCH).await?;
    let count = claimed.len();
    if count == 0 {
        return Ok(0);
    }
    if count as i64 >= BATCH {
        others.notify_one();
    }
    let batch: Vec<Arrived> = claimed
        .into_iter()
        .map(|claimed| Arrived::read(claimed, app.clock.now()))
        .collect();
    let readable: Vec<(i64, &Update)> = batch
        .iter()
        .filter_map(|a| Some((a.update_id, a.update.as_ref().ok()?)))
        .collect();
    let known = router::before_batch(&mut tx, &readable).await?;

    sqlx::query("SAVEPOINT batch").execute(&mut *tx).await?;
    let mut done = Vec::with_capacity(count);
    for arrived in &batch {
        let started = std::time::Instant::now();
        if handle(&mut tx, app, arrived, &known).await.is_err() {
            // Undone, all of it; the second pass records the failure.
            sqlx::query("ROLLBACK TO SAVEPOINT batch")
                .execute(&mut *tx)
                .await?;
            done.clear();
            break;
        }
        done.push((arrived.update_id, started.elapsed()));
    }
    if done.len() < count {
        for arrived in &batch {
            let started = std::time::Instant::now();
            if handle_alone(&mut tx, app, arrived, &known).await? {
                done.push((arrived.update_id, started.elapsed()));
            }
        }
    }

    // Marked in the batch's own transaction, which holds the rows' locks:
    // from inside the savepoint the update would be a second transaction id
    // on a locked row, and PostgreSQL would give the row a MultiXact, which
    // every other worker's claim then has to look up as it steps over it.
    sqlx::query("RELEASE SAVEPOINT batch")
        .execute(&mut *tx)
        .await?;
    let processed: Vec<i64> = done.iter().map(|(id, _)| *id).collect();
    inbox::mark_processed(&mut tx, &processed).await?;
    tx.commit().await.context("committing a batch of updates")?;
    for (_, elapsed) in done {
        crate::metrics::update_processed(elapsed);
    }
    Ok(count)
}

/// A claimed update, read once for both passes over its batch.
struct Arrived {
    update_id: i64,
    chat_id: Option<i64>,
    /// Attempts before this one.
    attempts: i32,
    now: DateTime<Utc>,
    update: std::result::Result<Update, String>,
}

impl Arrived {
    fn read(claimed: inbox::Claimed, now: DateTime<Utc>) -> Arrived {
        Arrived {
            update_id: claimed.update_id,
            chat_id: claimed.chat_id,
            attempts: claimed.attempts,
            now,
            update: crate::telegram::update::read(&claimed.payload),
        }
    }
}

/// Runs the update's handler on `conn`. An error is the handler's (or a
/// panic in it, or an unreadable update); its writes are not undone here.
async fn handle(
    conn: &mut PgConnection,
    app: &App,
    arrived: &Arrived,
    known: &HashMap<i64, router::Known>,
) -> Result<()> {
    let update = match &arrived.update {
        Ok(update) => update,
        Err(e) => return Err(anyhow::anyhow!("stored update is unreadable: {e}")),
    };
    let mut ctx = Ctx {
        conn,
        app,
        update_id: arrived.update_id,
        now: arrived.now,
        thread: None,
    };
    let known = known.get(&arrived.update_id).copied().unwrap_or_default();
    // A panic in a handler is a failed update, not a dead worker.
    std::panic::AssertUnwindSafe(router::handle(&mut ctx, update, known))
        .catch_unwind()
        .await
        .unwrap_or_else(|panic| Err(anyhow::anyhow!("handler panicked: {}", panic_text(&panic))))
}

/// Handles one update in its own savepoint of the batch's transaction; true
/// if it succeeded, false if its failure was recorded instead. An error
/// here is the database's, and fails the whole batch (nothing of it is
/// kept; every update in it comes again).
async fn handle_alone(
    tx: &mut PgConnection,
    app: &App,
    arrived: &Arrived,
    known: &HashMap<i64, router::Known>,
) -> Result<bool> {
    // On failure the savepoint's writes are undone while the batch's
    // transaction keeps the row locked, so no other worker picks the
    // update up before its failure is recorded.
    let mut work = Acquire::begin(&mut *tx).await?;
    match handle(&mut work, app, arrived, known).await {
        Ok(()) => {
            work.commit().await?;
            Ok(true)
        }
        Err(e) => {
            work.rollback().await?;
            let failure = Failure {
                update_id: arrived.update_id,
                chat_id: arrived.chat_id,
                attempts: arrived.attempts + 1,
                lang_hint: arrived
                    .update
                    .as_ref()
                    .ok()
                    .and_then(|u| u.from())
                    .map(|u| Lang::from_language_code(u.language_code.as_deref())),
            };
            record_failure(tx, app, &failure, &e).await?;
            Ok(false)
        }
    }
}

#[derive(Clone, Copy)]
struct Failure {
    update_id: i64,
    chat_id: Option<i64>,
    attempts: i32,
    /// The sender's Telegram language, for when the chat row was rolled back.
    lang_hint: Option<Lang>,
}

async fn record_failure(
    tx: &mut PgConnection,
    app: &App,
    failure: &Failure,
    error: &anyhow::Error,
) -> Result<()> {
    let Failure {
        update_id,
        chat_id,
        attempts,
        lang_hint,
    } = *failure;
    let text = format!("{error:#}");
    let park = attempts >= app.settings.max_attempts;
    crate::metrics::update_failed(park);
    let backoff = app.settings.retry_base * 2u32.pow((attempts - 1).clamp(0, 10) as u32);
    inbox::record_failure(
        tx,
        &inbox::Attempt {
            update_id,
            attempts,
            error: &text,
            retry_after: backoff,
            park,
        },
    )
    .await?;
    if park {
        tracing::error!(update_id, attempts, error = %text, "update parked after repeated failures");
        // Only private chats get the apology; a group is not owed one.
        if let Some(chat) = chat_id.filter(|c| *c > 0) {
            let lang = context::chat_language(tx, chat)
                .await?
                .or(lang_hint)
                .unwrap_or_default();
            let reference = format!("u{update_id}");
            let apology = texts::fill(texts::APOLOGY.get(lang), &[("ref", &reference)]);
            outbox::enqueue(
                tx,
                Some(update_id),
                &Outgoing::reply(chat, Request::text(apology)),
            )
            .await?;
        }
    } else {
        tracing::warn!(update_id, attempts, error = %text, ?backoff, "update failed; will retry");
    }
    Ok(())
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

/// Installs the router's command table where the staff command menus read
/// it (`commands::installed`); `serve` and `propdesk staff add` call it
/// before they queue menus.
pub fn install_command_table() {
    commands::install(router::COMMAND_TABLES);
}

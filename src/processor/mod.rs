//! The processor: takes updates from the inbox and turns each into domain
//! writes and outbox rows, all in one transaction that also marks the update
//! processed (invariant 2).
//!
//! Workers claim the oldest open update whose chat has no earlier open
//! update (`FOR UPDATE SKIP LOCKED`), so one chat's updates go in order
//! while other chats go on in parallel (invariant 3), on any replica. A
//! failing update is retried with backoff — holding back only its own chat —
//! and after `max_attempts` it is parked with its error, the person gets an
//! apology, and the chat moves on.

pub mod broadcast;
mod context;
pub mod conversation;
pub mod dialogue;
pub mod incidents;
mod main_menu;
pub mod menu;
pub mod reminders;
mod router;
pub mod staff;
pub mod visits;

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result};
use chrono::{DateTime, Utc};
use futures::FutureExt;
use sqlx::{Acquire, PgConnection, PgPool, Row};
use teloxide::types::Update;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

pub use context::{chat_language, App, Ctx, ProcessorSettings};
pub use menu::command_list as menu_commands;
pub use staff::{file_ticket, owner_follow_up, FiledTicket};

use crate::i18n::Lang;
use crate::telegram::intake::NOTIFY_CHANNEL;
use crate::telegram::outbox::{self, Outgoing, Request};
use crate::texts;

/// Runs `workers` processor workers until `stop` fires (0 makes an
/// intake-and-sender-only replica).
pub async fn run(
    pool: PgPool,
    app: Arc<App>,
    workers: usize,
    wake: Arc<Notify>,
    stop: CancellationToken,
) -> Result<()> {
    crate::db::listen(pool.clone(), NOTIFY_CHANNEL, wake.clone(), stop.clone());
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..workers {
        let (pool, app, wake, stop) = (pool.clone(), app.clone(), wake.clone(), stop.clone());
        tasks.spawn(async move {
            worker(&pool, &app, &wake, &stop).await;
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

async fn worker(pool: &PgPool, app: &App, wake: &Notify, stop: &CancellationToken) {
    while !stop.is_cancelled() {
        match process_next(pool, app).await {
            Ok(true) => {
                // Others may be waiting on the same notification.
                wake.notify_one();
                continue;
            }
            Ok(false) => {}
            Err(e) => {
                tracing::error!(error = %format!("{e:#}"), "processor could not reach the database");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = wake.notified() => {}
            () = tokio::time::sleep(app.settings.poll_interval) => {}
        }
    }
}

/// Claims and handles one update; false when none is ready.
pub async fn process_next(pool: &PgPool, app: &App) -> Result<bool> {
    let mut tx = pool.begin().await?;
    let row = sqlx::query(
        "SELECT i.update_id, i.chat_id, i.payload::text AS payload, i.attempts
           FROM inbox i
          WHERE i.processed_at IS NULL AND i.parked_at IS NULL AND i.next_attempt_at <= now()
            AND NOT EXISTS (
                SELECT 1 FROM inbox j
                 WHERE j.chat_id = i.chat_id
                   AND j.processed_at IS NULL AND j.parked_at IS NULL
                   AND j.update_id < i.update_id)
          ORDER BY i.update_id
          LIMIT 1
          FOR UPDATE SKIP LOCKED",
    )
    .fetch_optional(&mut *tx)
    .await
    .context("claiming an update")?;
    let Some(row) = row else {
        return Ok(false);
    };
    let update_id: i64 = row.get("update_id");
    let chat_id: Option<i64> = row.get("chat_id");
    let attempts: i32 = row.get("attempts");
    // Parsed from text: teloxide's Update does not deserialize from a
    // serde_json::Value (it needs borrowed strings).
    let payload: String = row.get("payload");
    let now = app.clock.now();

    let update = serde_json::from_str::<Update>(&payload);
    let lang_hint = update
        .as_ref()
        .ok()
        .and_then(|u| u.from())
        .map(|u| Lang::from_language_code(u.language_code.as_deref()));

    // The handler works in a savepoint: on failure its writes are undone
    // while this transaction keeps the row locked, so no other worker picks
    // the update up before its failure is recorded.
    let mut work = tx.begin().await?;
    let handled = match update {
        Ok(update) => {
            let mut ctx = Ctx {
                conn: &mut work,
                app,
                update_id,
                now,
            };
            // A panic in a handler is a failed update, not a dead worker.
            std::panic::AssertUnwindSafe(router::handle(&mut ctx, &update))
                .catch_unwind()
                .await
                .unwrap_or_else(|panic| {
                    Err(anyhow::anyhow!("handler panicked: {}", panic_text(&panic)))
                })
        }
        Err(e) => Err(anyhow::anyhow!("stored update is unreadable: {e}")),
    };

    match handled {
        Ok(()) => {
            work.commit().await?;
            sqlx::query(
                "UPDATE inbox SET processed_at = now(), attempts = attempts + 1, last_error = NULL
                  WHERE update_id = $1",
            )
            .bind(update_id)
            .execute(&mut *tx)
            .await?;
        }
        Err(e) => {
            work.rollback().await?;
            let failure = Failure {
                update_id,
                chat_id,
                attempts: attempts + 1,
                lang_hint,
            };
            record_failure(&mut tx, app, &failure, &e).await?;
        }
    }
    tx.commit().await.context("committing an update")?;
    Ok(true)
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
    let backoff = app.settings.retry_base * 2u32.pow((attempts - 1).clamp(0, 10) as u32);
    sqlx::query(
        "UPDATE inbox
            SET attempts = $2, last_error = $3,
                next_attempt_at = now() + make_interval(secs => $4),
                parked_at = CASE WHEN $5 THEN now() ELSE NULL END
          WHERE update_id = $1",
    )
    .bind(update_id)
    .bind(attempts)
    .bind(&text)
    .bind(backoff.as_secs_f64())
    .bind(park)
    .execute(&mut *tx)
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

/// A parked update, for operators.
#[derive(Debug, Clone)]
pub struct Parked {
    pub update_id: i64,
    pub chat_id: Option<i64>,
    pub kind: String,
    pub attempts: i32,
    pub parked_at: DateTime<Utc>,
    pub last_error: String,
}

/// Parked updates, oldest first.
pub async fn list_parked(pool: &PgPool) -> Result<Vec<Parked>> {
    let rows = sqlx::query(
        "SELECT update_id, chat_id, kind, attempts, parked_at, COALESCE(last_error, '') AS last_error
           FROM inbox WHERE parked_at IS NOT NULL ORDER BY parked_at, update_id",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Parked {
            update_id: r.get("update_id"),
            chat_id: r.get("chat_id"),
            kind: r.get("kind"),
            attempts: r.get("attempts"),
            parked_at: r.get("parked_at"),
            last_error: r.get("last_error"),
        })
        .collect())
}

/// Puts a parked update back in the queue with fresh attempts; false if
/// there was no such parked update.
pub async fn replay_parked(pool: &PgPool, update_id: i64) -> Result<bool> {
    let rows = sqlx::query(
        "UPDATE inbox SET parked_at = NULL, attempts = 0, next_attempt_at = now()
          WHERE update_id = $1 AND parked_at IS NOT NULL AND processed_at IS NULL",
    )
    .bind(update_id)
    .execute(pool)
    .await?
    .rows_affected();
    sqlx::query("SELECT pg_notify($1, '')")
        .bind(NOTIFY_CHANNEL)
        .execute(pool)
        .await?;
    Ok(rows == 1)
}

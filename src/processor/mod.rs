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

mod context;
mod menu;
mod router;
pub mod staff;

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result};
use chrono::{DateTime, Utc};
use futures::FutureExt;
use sqlx::{PgPool, Row};
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
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let (pool, app, wake, stop) = (pool.clone(), app.clone(), wake.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            worker(&pool, &app, &wake, &stop).await;
        }));
    }
    for task in tasks {
        let _ = task.await;
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
        "SELECT i.update_id, i.chat_id, i.payload, i.attempts
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
    let payload: serde_json::Value = row.get("payload");
    let now = app.clock.now();

    // From text, not from the Value: teloxide's Update deserializer turns a
    // `serde_json::Value` (keys reordered by JSONB) into `UpdateKind::Error`.
    let handled = match serde_json::from_str::<Update>(&payload.to_string()) {
        Ok(update) => {
            let mut ctx = Ctx {
                conn: &mut tx,
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
            sqlx::query(
                "UPDATE inbox SET processed_at = now(), attempts = attempts + 1, last_error = NULL
                  WHERE update_id = $1",
            )
            .bind(update_id)
            .execute(&mut *tx)
            .await?;
            tx.commit()
                .await
                .context("committing an update's effects")?;
        }
        Err(e) => {
            // Nothing the handler wrote survives; only the failure is recorded.
            tx.rollback().await.ok();
            record_failure(pool, app, update_id, chat_id, attempts + 1, &e).await?;
        }
    }
    Ok(true)
}

async fn record_failure(
    pool: &PgPool,
    app: &App,
    update_id: i64,
    chat_id: Option<i64>,
    attempts: i32,
    error: &anyhow::Error,
) -> Result<()> {
    let text = format!("{error:#}");
    let park = attempts >= app.settings.max_attempts;
    let backoff = app.settings.retry_base * 2u32.pow((attempts - 1).clamp(0, 10) as u32);
    let mut tx = pool.begin().await?;
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
            let lang = context::chat_language(&mut tx, chat)
                .await?
                .unwrap_or(Lang::Zh);
            let reference = format!("u{update_id}");
            let apology = texts::fill(texts::APOLOGY.get(lang), &[("ref", &reference)]);
            outbox::enqueue(
                &mut tx,
                Some(update_id),
                &Outgoing::reply(chat, Request::text(apology)),
            )
            .await?;
        }
    } else {
        tracing::warn!(update_id, attempts, error = %text, ?backoff, "update failed; will retry");
    }
    tx.commit().await?;
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

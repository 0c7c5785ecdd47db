//! Intake: long polling with getUpdates. Each batch is committed to the
//! inbox (and the next offset with it) before the getUpdates call that
//! confirms it to Telegram, so a crash at any instant loses no update
//! (invariant 1); a redelivered update hits the primary key and is ignored.

pub mod webhook;

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use sqlx::PgPool;
use teloxide::prelude::*;
use teloxide::types::AllowedUpdate;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::db::locks;
use crate::inbox;

const OFFSET_KEY: &str = "getupdates_offset";

/// What the bot asks Telegram for.
pub const ALLOWED_UPDATES: [AllowedUpdate; 6] = [
    AllowedUpdate::Message,
    AllowedUpdate::EditedMessage,
    AllowedUpdate::CallbackQuery,
    AllowedUpdate::MyChatMember,
    AllowedUpdate::ChannelPost,
    AllowedUpdate::EditedChannelPost,
];

/// How often the active poller checks it still holds its lock.
const LOCK_CHECK_EVERY: Duration = Duration::from_secs(5);

/// Polls Telegram until `stop` fires. Only one replica polls at a time.
///
/// When the database goes away (a restart, a failover) the batch in hand is
/// not confirmed to Telegram — the offset is stored with it — so it comes
/// again; the poller gives up its lock, whose connection may be dead, and
/// waits for the database and the lock again instead of failing `serve`.
///
/// `wake` wakes this process's processors after each stored batch,
/// `elsewhere` (a `db::notifier`) those of other replicas.
pub async fn run_polling(
    pool: PgPool,
    bot: Bot,
    poll_timeout: u32,
    wake: Arc<Notify>,
    elsewhere: Arc<Notify>,
    stop: CancellationToken,
) -> Result<()> {
    loop {
        let Some(mut leader) = locks::acquire(&pool, locks::INTAKE, &stop).await? else {
            return Ok(());
        };
        tracing::info!("intake is polling Telegram");
        if let Err(e) = bot.delete_webhook().await {
            tracing::warn!(error = %e, "could not remove a webhook before polling");
        }
        let wakes = [wake.as_ref(), elsewhere.as_ref()];
        match poll(&pool, &bot, poll_timeout, &wakes, &stop, &mut leader).await {
            Ok(Ended::Stopped) => return Ok(()),
            Ok(Ended::LostLock) => {
                tracing::warn!("intake lost its lock's connection; waiting for the lock again");
            }
            Err(e) if !crate::db::is_connection_error(&e) => return Err(e),
            Err(e) => {
                drop(leader);
                tracing::warn!(error = %format!("{e:#}"), "intake lost the database; waiting for it and the intake lock again");
                tokio::select! {
                    () = stop.cancelled() => return Ok(()),
                    () = tokio::time::sleep(Duration::from_millis(500)) => {}
                }
            }
        }
    }
}

/// Why polling stopped without an error.
enum Ended {
    Stopped,
    /// The lock's connection died: another replica may be polling now.
    LostLock,
}

/// Polls while this replica holds the intake lock, until `stop` fires, the
/// lock's connection dies, or the database fails.
async fn poll(
    pool: &PgPool,
    bot: &Bot,
    poll_timeout: u32,
    wakes: &[&Notify],
    stop: &CancellationToken,
    leader: &mut locks::Leader,
) -> Result<Ended> {
    let mut failures: u32 = 0;
    let mut lock_checked = Instant::now();
    // Read once per turn as the poller: while it holds the lock, nobody
    // else moves the offset, so after each stored batch it is known here.
    let mut offset = load_offset(pool).await?;
    loop {
        if lock_checked.elapsed() >= LOCK_CHECK_EVERY {
            lock_checked = Instant::now();
            if !leader.still_held().await {
                return Ok(Ended::LostLock);
            }
        }
        let updates = tokio::select! {
            () = stop.cancelled() => return Ok(Ended::Stopped),
            r = get_updates(bot, offset, poll_timeout) => r,
        };
        match updates {
            Ok(updates) => {
                failures = 0;
                if updates.is_empty() {
                    continue;
                }
                offset = offset.max(store_batch(pool, &updates).await?);
                for wake in wakes {
                    wake.notify_one();
                }
            }
            Err(e) => {
                failures += 1;
                let backoff = Duration::from_millis(250 * 2u64.pow(failures.min(7)));
                tracing::warn!(error = %format!("{e:#}"), ?backoff, "getUpdates failed");
                tokio::select! {
                    () = stop.cancelled() => return Ok(Ended::Stopped),
                    () = tokio::time::sleep(backoff) => {}
                }
            }
        }
    }
}

/// One long poll, read as Telegram sent it: teloxide's `get_updates` keeps
/// only its own reading of each update, which is not always what it reads
/// back (see `telegram::update`), so the JSON is fetched here and each
/// update read on its own — one teloxide cannot read does not hold up the
/// rest of its batch.
async fn get_updates(bot: &Bot, offset: i32, timeout: u32) -> Result<Vec<inbox::Incoming>> {
    // Not `Url::join`: `bot123:ABC/…` would read as a URL of scheme `bot123`.
    let url = format!(
        "{}/bot{}/getUpdates",
        bot.api_url().as_str().trim_end_matches('/'),
        bot.token()
    );
    let body = serde_json::json!({
        "offset": offset,
        "timeout": timeout,
        "allowed_updates": ALLOWED_UPDATES,
    });
    let answer = bot
        .client()
        .post(url)
        .json(&body)
        .timeout(Duration::from_secs(u64::from(timeout) + 10))
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("network: {}", e.without_url()))?;
    let status = answer.status();
    let answer: serde_json::Value = answer
        .json()
        .await
        .map_err(|e| anyhow::anyhow!("an unreadable answer ({status}): {}", e.without_url()))?;
    if answer.get("ok").and_then(serde_json::Value::as_bool) != Some(true) {
        anyhow::bail!(
            "Telegram answered {status}: {}",
            answer
                .get("description")
                .and_then(serde_json::Value::as_str)
                .unwrap_or("no description")
        );
    }
    let items = match answer.get("result") {
        Some(serde_json::Value::Array(items)) => items.clone(),
        _ => anyhow::bail!("getUpdates answered without a list of updates"),
    };
    Ok(items
        .into_iter()
        .filter_map(|raw| match inbox::Incoming::read(raw) {
            Ok(incoming) => {
                if let teloxide::types::UpdateKind::Error(_) = incoming.update.kind {
                    tracing::warn!(
                        update_id = incoming.update.id.0,
                        "an update teloxide cannot read is stored as it came"
                    );
                }
                Some(incoming)
            }
            Err(e) => {
                tracing::error!(error = %e, "getUpdates returned something that is no update; skipped");
                None
            }
        })
        .collect())
}

async fn load_offset(pool: &PgPool) -> Result<i32> {
    let value: Option<serde_json::Value> =
        sqlx::query_scalar!("SELECT value FROM bot_state WHERE key = $1", OFFSET_KEY)
            .fetch_optional(pool)
            .await
            .context("reading the getUpdates offset")?;
    Ok(value
        .and_then(|v| v.as_i64())
        .and_then(|v| i32::try_from(v).ok())
        .unwrap_or(0))
}

/// Stores a batch (one statement) and the offset past it in one
/// transaction; returns that offset.
pub async fn store_batch(pool: &PgPool, updates: &[inbox::Incoming]) -> Result<i32> {
    let mut tx = pool.begin().await?;
    // No NOTIFY in here: the caller wakes the processors after the commit.
    let new = inbox::insert_many(&mut tx, updates, false).await?;
    let next = updates
        .iter()
        .map(|u| i64::from(u.update.id.0) + 1)
        .max()
        .unwrap_or(0);
    sqlx::query!(
        "INSERT INTO bot_state (key, value) VALUES ($1, to_jsonb($2::bigint))
         ON CONFLICT (key) DO UPDATE
           SET value = to_jsonb(GREATEST(bot_state.value::bigint, $2::bigint)), updated_at = now()",
        OFFSET_KEY,
        next
    )
    .execute(&mut *tx)
    .await?;
    tx.commit()
        .await
        .context("committing updates to the inbox")?;
    crate::metrics::updates_received(new);
    Ok(i32::try_from(next).unwrap_or(i32::MAX))
}

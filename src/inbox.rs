//! The inbox table: every update Telegram gave us, stored before it is
//! confirmed (invariant 1), claimed by one processor at a time in per-chat
//! order, marked processed in the transaction that did its work, retried
//! with backoff and parked after too many failures. Every query on the
//! table lives here.

use anyhow::{Context as _, Result};
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use teloxide::types::UpdateKind;

pub use crate::telegram::update::Incoming;

/// The NOTIFY channel that wakes processors on other replicas.
pub const NOTIFY_CHANNEL: &str = "propdesk_inbox";

/// How long processed updates are kept. Telegram redelivers an update for at
/// most 24 hours, so the inbox key only needs to remember it that long; the
/// rest is for operators looking into what happened.
pub const RETENTION: chrono::Duration = chrono::Duration::days(30);

/// Inserts one update and, if it is new, wakes the processors of every
/// replica (on commit); returns false if it was already there (a redelivery).
pub async fn insert(conn: &mut PgConnection, update: &Incoming) -> Result<bool> {
    Ok(insert_many(conn, std::slice::from_ref(update), true).await? == 1)
}

/// Inserts a batch of updates in one statement; returns how many were new
/// (the rest were redeliveries). With `notify`, a new one wakes the
/// processors of every replica on commit; without, the caller wakes them
/// after its commit (a NOTIFY holds a database-wide lock through its
/// transaction's commit, so transactions that notify cannot share a WAL
/// flush with one another: see `db::notifier`).
pub async fn insert_many(
    conn: &mut PgConnection,
    updates: &[Incoming],
    notify: bool,
) -> Result<u64> {
    if updates.is_empty() {
        return Ok(0);
    }
    let mut ids = Vec::with_capacity(updates.len());
    let mut chats = Vec::with_capacity(updates.len());
    let mut users = Vec::with_capacity(updates.len());
    let mut kinds = Vec::with_capacity(updates.len());
    let mut payloads = Vec::with_capacity(updates.len());
    for Incoming { update, raw } in updates {
        ids.push(i64::from(update.id.0));
        chats.push(update.chat().map(|c| c.id.0));
        users.push(update.from().and_then(|u| i64::try_from(u.id.0).ok()));
        kinds.push(kind_name(&update.kind));
        // Telegram's own JSON, not teloxide's re-serialisation (see
        // `telegram::update`).
        let mut payload = raw.clone();
        scrub_nul(&mut payload);
        payloads.push(payload);
    }
    let row = sqlx::query!(
        r#"WITH stored AS (
               INSERT INTO inbox (update_id, chat_id, user_id, kind, payload)
               SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::jsonb[])
               ON CONFLICT (update_id) DO NOTHING
               RETURNING update_id),
           -- Referenced below so it runs: one NOTIFY, only when asked and
           -- something is new.
           woken AS (SELECT pg_notify($6, '') FROM stored WHERE $7 LIMIT 1)
           SELECT (SELECT count(*) FROM stored) AS "inserted!",
                  (SELECT count(*) FROM woken) AS "woken!""#,
        &ids,
        &chats as &[Option<i64>],
        &users as &[Option<i64>],
        &kinds as &[&str],
        &payloads,
        NOTIFY_CHANNEL,
        notify
    )
    .fetch_one(&mut *conn)
    .await
    .context("storing updates in the inbox")?;
    Ok(u64::try_from(row.inserted).unwrap_or(0))
}

/// Replaces NUL characters, which PostgreSQL's `text` and `jsonb` cannot
/// hold, with U+FFFD everywhere in `value` (keys too): a message with a NUL
/// in it is stored with the replacement character instead of failing its
/// whole batch, and everything read from it later has no NUL either.
pub fn scrub_nul(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::String(s) if s.contains('\0') => *s = s.replace('\0', "\u{FFFD}"),
        Value::Array(items) => items.iter_mut().for_each(scrub_nul),
        Value::Object(map) => {
            if map.keys().any(|k| k.contains('\0')) {
                let entries = std::mem::take(map);
                for (k, v) in entries {
                    map.insert(k.replace('\0', "\u{FFFD}"), v);
                }
            }
            map.values_mut().for_each(scrub_nul);
        }
        _ => {}
    }
}

/// Wakes the processors of every replica.
pub async fn notify(conn: &mut PgConnection) -> Result<()> {
    sqlx::query!("SELECT pg_notify($1, '')", NOTIFY_CHANNEL)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Telegram's name for the kind of update.
#[must_use]
pub fn kind_name(kind: &UpdateKind) -> &'static str {
    match kind {
        UpdateKind::Message(_) => "message",
        UpdateKind::EditedMessage(_) => "edited_message",
        UpdateKind::ChannelPost(_) => "channel_post",
        UpdateKind::EditedChannelPost(_) => "edited_channel_post",
        UpdateKind::CallbackQuery(_) => "callback_query",
        UpdateKind::MyChatMember(_) => "my_chat_member",
        UpdateKind::ChatMember(_) => "chat_member",
        UpdateKind::InlineQuery(_) => "inline_query",
        UpdateKind::BusinessConnection(_) => "business_connection",
        UpdateKind::BusinessMessage(_) => "business_message",
        UpdateKind::EditedBusinessMessage(_) => "edited_business_message",
        UpdateKind::DeletedBusinessMessages(_) => "deleted_business_messages",
        UpdateKind::MessageReaction(_) => "message_reaction",
        UpdateKind::MessageReactionCount(_) => "message_reaction_count",
        UpdateKind::ChosenInlineResult(_) => "chosen_inline_result",
        UpdateKind::ShippingQuery(_) => "shipping_query",
        UpdateKind::PreCheckoutQuery(_) => "pre_checkout_query",
        UpdateKind::PurchasedPaidMedia(_) => "purchased_paid_media",
        UpdateKind::Poll(_) => "poll",
        UpdateKind::PollAnswer(_) => "poll_answer",
        UpdateKind::ChatJoinRequest(_) => "chat_join_request",
        UpdateKind::ChatBoost(_) => "chat_boost",
        UpdateKind::RemovedChatBoost(_) => "removed_chat_boost",
        // A kind teloxide does not know, or one it could not read: stored
        // whole all the same (see `intake::webhook::parse_update`).
        UpdateKind::Error(_) => "unreadable",
    }
}

/// An update claimed for processing: its row stays locked by the claiming
/// transaction until that transaction records the outcome.
#[derive(Debug)]
pub struct Claimed {
    pub update_id: i64,
    pub chat_id: Option<i64>,
    /// Attempts before this one.
    pub attempts: i32,
    /// The update as stored, as text: teloxide's `Update` does not
    /// deserialize from a `serde_json::Value` (it needs borrowed strings).
    pub payload: String,
}

/// Claims up to `limit` open updates, each the oldest open update of its
/// chat (`FOR UPDATE SKIP LOCKED`), oldest first: one chat's updates go in
/// order — its next one is not a head until this claim's transaction ends —
/// while other chats go on in parallel, on any replica. The caller handles
/// them in one transaction, each in its own savepoint.
pub async fn claim_batch(tx: &mut PgConnection, limit: i64) -> Result<Vec<Claimed>> {
    // The head test is a scalar subquery, which PostgreSQL always runs as a
    // probe of `inbox_open_by_chat` per candidate. Written as NOT EXISTS it
    // becomes an anti-join whose plan follows the table's statistics: on a
    // young table (stale statistics) that plan scans the whole index per
    // candidate, and a claim that finds fewer free heads than it asks for
    // (the rest are locked by other workers) visits every open update —
    // 0.7 s a claim in a burst of 2,000 updates, against 5 ms this way.
    let rows = sqlx::query!(
        r#"SELECT i.update_id, i.chat_id, i.payload::text AS "payload!", i.attempts
             FROM inbox i
            WHERE i.processed_at IS NULL AND i.parked_at IS NULL AND i.next_attempt_at <= now()
              AND (i.chat_id IS NULL  -- no chat, no order to keep
                   OR i.update_id = (
                      SELECT j.update_id FROM inbox j
                       WHERE j.chat_id = i.chat_id
                         AND j.processed_at IS NULL AND j.parked_at IS NULL
                       ORDER BY j.chat_id, j.update_id
                       LIMIT 1))
            ORDER BY i.update_id
            LIMIT $1
              FOR UPDATE SKIP LOCKED"#,
        limit
    )
    .fetch_all(&mut *tx)
    .await
    .context("claiming updates")?;
    Ok(rows
        .into_iter()
        .map(|row| Claimed {
            update_id: row.update_id,
            chat_id: row.chat_id,
            attempts: row.attempts,
            payload: row.payload,
        })
        .collect())
}

/// Records that these updates' work committed (in the same transaction).
/// `processed_at` is when the batch's handling ended, just before its
/// commit (`now()` would be when its transaction began, before the claim).
pub async fn mark_processed(tx: &mut PgConnection, update_ids: &[i64]) -> Result<()> {
    if update_ids.is_empty() {
        return Ok(());
    }
    sqlx::query!(
        "UPDATE inbox SET processed_at = clock_timestamp(), attempts = attempts + 1, last_error = NULL
          WHERE update_id = ANY($1)",
        update_ids
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// A failed attempt: what went wrong, when to try again, and whether the
/// update is parked instead.
#[derive(Debug)]
pub struct Attempt<'a> {
    pub update_id: i64,
    /// Attempts including this one.
    pub attempts: i32,
    pub error: &'a str,
    pub retry_after: std::time::Duration,
    pub park: bool,
}

/// Records a failed attempt.
pub async fn record_failure(tx: &mut PgConnection, attempt: &Attempt<'_>) -> Result<()> {
    sqlx::query!(
        "UPDATE inbox
            SET attempts = $2, last_error = $3,
                next_attempt_at = now() + make_interval(secs => $4),
                parked_at = CASE WHEN $5 THEN now() ELSE NULL END
          WHERE update_id = $1",
        attempt.update_id,
        attempt.attempts,
        attempt.error,
        attempt.retry_after.as_secs_f64(),
        attempt.park
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
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
    let rows = sqlx::query!(
        r#"SELECT update_id, chat_id, kind, attempts, parked_at AS "parked_at!",
                COALESCE(last_error, '') AS "last_error!"
           FROM inbox WHERE parked_at IS NOT NULL ORDER BY parked_at, update_id"#
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Parked {
            update_id: r.update_id,
            chat_id: r.chat_id,
            kind: r.kind,
            attempts: r.attempts,
            parked_at: r.parked_at,
            last_error: r.last_error,
        })
        .collect())
}

/// Puts a parked update back in the queue with fresh attempts; false if
/// there was no such parked update.
pub async fn replay_parked(pool: &PgPool, update_id: i64) -> Result<bool> {
    let mut conn = pool.acquire().await?;
    let rows = sqlx::query!(
        "UPDATE inbox SET parked_at = NULL, attempts = 0, next_attempt_at = now()
          WHERE update_id = $1 AND parked_at IS NOT NULL AND processed_at IS NULL",
        update_id
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    notify(&mut conn).await?;
    Ok(rows == 1)
}

/// Deletes every processed update older than [`RETENTION`]; returns how
/// many (parked updates are kept).
pub async fn prune(pool: &PgPool, now: DateTime<Utc>) -> Result<u64> {
    crate::domain::retention::purge_inbox(pool, now - RETENTION).await
}

/// Whether an earlier update of `chat_id` belongs to the album `group`.
pub async fn album_seen_before(
    conn: &mut PgConnection,
    chat_id: i64,
    update_id: i64,
    group: &str,
) -> Result<bool> {
    Ok(sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM inbox
                         WHERE chat_id = $1 AND update_id < $2
                           AND payload->'message'->>'media_group_id' = $3) AS "exists!""#,
        chat_id,
        update_id,
        group
    )
    .fetch_one(&mut *conn)
    .await?)
}

/// The album of the chat's next open update after `update_id`, if any: an
/// album's parts arrive as separate updates.
pub async fn next_album(
    conn: &mut PgConnection,
    chat_id: i64,
    update_id: i64,
) -> Result<Option<String>> {
    let next: Option<Option<String>> = sqlx::query_scalar!(
        "SELECT payload->'message'->>'media_group_id' FROM inbox
          WHERE chat_id = $1 AND update_id > $2 AND processed_at IS NULL
          ORDER BY update_id LIMIT 1",
        chat_id,
        update_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    Ok(next.flatten())
}

/// The text of the message update `update_id` sent in `chat_id`: a button
/// may name the message it asks about, and must never read another chat's.
pub async fn text_of(
    conn: &mut PgConnection,
    chat_id: i64,
    update_id: i64,
) -> Result<Option<String>> {
    let text: Option<Option<String>> = sqlx::query_scalar!(
        "SELECT payload->'message'->>'text' FROM inbox WHERE update_id = $1 AND chat_id = $2",
        update_id,
        chat_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    Ok(text.flatten())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_becomes_the_replacement_character_in_values_and_keys() {
        let mut v = serde_json::json!({"a\0": ["x\0y", {"t": "\0"}], "n": 1});
        scrub_nul(&mut v);
        assert_eq!(
            v,
            serde_json::json!({"a\u{FFFD}": ["x\u{FFFD}y", {"t": "\u{FFFD}"}], "n": 1})
        );
        assert!(!v.to_string().contains("\\u0000"));
    }
}

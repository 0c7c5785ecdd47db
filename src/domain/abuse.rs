//! Abuse limits: bans, the per-person inbound limit and the daily ticket
//! cap — their SQL. The rules that use them are in
//! `processor::features::limits` and the staff `/ban` command.

use anyhow::Result;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

/// Whether `user_id` is banned: one read, no write.
pub async fn is_banned(conn: &mut PgConnection, user_id: i64) -> Result<bool> {
    let banned: Option<i32> = sqlx::query_scalar("SELECT 1 FROM bans WHERE user_id = $1")
        .bind(user_id)
        .fetch_optional(conn)
        .await?;
    Ok(banned.is_some())
}

/// A /ban or /unban, by `staff_id`.
#[derive(Debug, Clone, Copy)]
pub struct BanChange<'a> {
    pub user_id: i64,
    pub reason: &'a str,
    pub staff_id: i64,
    pub at: DateTime<Utc>,
}

/// Bans the person; false if they were banned already (nothing changes).
/// Audited either way it changes.
pub async fn ban(conn: &mut PgConnection, change: BanChange<'_>) -> Result<bool> {
    let new = sqlx::query(
        "INSERT INTO bans (user_id, reason, banned_by, banned_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (user_id) DO NOTHING",
    )
    .bind(change.user_id)
    .bind(change.reason)
    .bind(change.staff_id)
    .bind(change.at)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    if new {
        audit(conn, change, "ban").await?;
    }
    Ok(new)
}

/// Lifts a ban; false if the person was not banned.
pub async fn unban(conn: &mut PgConnection, change: BanChange<'_>) -> Result<bool> {
    let lifted = sqlx::query("DELETE FROM bans WHERE user_id = $1")
        .bind(change.user_id)
        .execute(&mut *conn)
        .await?
        .rows_affected()
        == 1;
    if lifted {
        audit(conn, change, "unban").await?;
    }
    Ok(lifted)
}

async fn audit(conn: &mut PgConnection, change: BanChange<'_>, action: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO ban_audit (user_id, action, reason, staff_id, at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(change.user_id)
    .bind(action)
    .bind(change.reason)
    .bind(change.staff_id)
    .bind(change.at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Messages `user_id` sent in their private chat in the minute up to and
/// including update `update_id`, judged by Telegram's send time (`sent_at`),
/// so a backlog delivered at once after an outage is not taken for a flood.
pub async fn messages_in_last_minute(
    conn: &mut PgConnection,
    user_id: i64,
    update_id: i64,
    sent_at: DateTime<Utc>,
) -> Result<i64> {
    let n: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM inbox
          WHERE user_id = $1 AND chat_id = $1 AND kind = 'message'
            AND update_id <= $2
            AND received_at >= (SELECT received_at FROM inbox WHERE update_id = $2) - interval '1 hour'
            AND (payload->'message'->>'date')::bigint > $3",
    )
    .bind(user_id)
    .bind(update_id)
    .bind(sent_at.timestamp() - 60)
    .fetch_one(conn)
    .await?;
    Ok(n)
}

/// Records a message past the limit at `sent_at`; true when it starts a
/// flood (none past the limit in the minute before), which gets the notice.
pub async fn mark_over_limit(
    conn: &mut PgConnection,
    user_id: i64,
    sent_at: DateTime<Utc>,
) -> Result<bool> {
    let previous: Option<DateTime<Utc>> =
        sqlx::query_scalar("SELECT over_at FROM inbound_limits WHERE user_id = $1 FOR UPDATE")
            .bind(user_id)
            .fetch_optional(&mut *conn)
            .await?;
    sqlx::query(
        "INSERT INTO inbound_limits (user_id, over_at) VALUES ($1, $2)
         ON CONFLICT (user_id) DO UPDATE SET over_at = GREATEST(inbound_limits.over_at, EXCLUDED.over_at)",
    )
    .bind(user_id)
    .bind(sent_at)
    .execute(&mut *conn)
    .await?;
    Ok(previous.is_none_or(|at| at < sent_at - chrono::Duration::minutes(1)))
}

/// Tickets filed for chat `owner_chat_id` since `since`, not counting one
/// filed by update `update_id` (a redelivery of the filing update).
pub async fn tickets_since(
    conn: &mut PgConnection,
    owner_chat_id: i64,
    since: DateTime<Utc>,
    update_id: i64,
) -> Result<i64> {
    let n: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM tickets
          WHERE owner_chat_id = $1 AND created_at >= $2
            AND source_update_id IS DISTINCT FROM $3",
    )
    .bind(owner_chat_id)
    .bind(since)
    .bind(update_id)
    .fetch_one(conn)
    .await?;
    Ok(n)
}

//! Abuse limits: bans and the per-person inbound limit — the SQL of
//! their tables (the inbound count reads the inbox, `inbox::messages_in_last_minute`;
//! the daily ticket cap counts tickets, `tickets::filed_since`). The rules
//! that use them are in `processor::features::limits` and the staff `/ban`
//! command.

use anyhow::Result;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

/// Whether `user_id` is banned: one read, no write.
pub async fn is_banned(conn: &mut PgConnection, user_id: i64) -> Result<bool> {
    let banned = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM bans WHERE user_id = $1) AS "banned!""#,
        user_id
    )
    .fetch_one(conn)
    .await?;
    Ok(banned)
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
    let new = sqlx::query!(
        "INSERT INTO bans (user_id, reason, banned_by, banned_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (user_id) DO NOTHING",
        change.user_id,
        change.reason,
        change.staff_id,
        change.at,
    )
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
    let lifted = sqlx::query!("DELETE FROM bans WHERE user_id = $1", change.user_id)
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
    sqlx::query!(
        "INSERT INTO ban_audit (user_id, action, reason, staff_id, at) VALUES ($1, $2, $3, $4, $5)",
        change.user_id,
        action,
        change.reason,
        change.staff_id,
        change.at,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a message past the limit at `sent_at`; true when it starts a
/// flood (none past the limit in the minute before), which gets the notice.
pub async fn mark_over_limit(
    conn: &mut PgConnection,
    user_id: i64,
    sent_at: DateTime<Utc>,
) -> Result<bool> {
    let previous = sqlx::query_scalar!(
        "SELECT over_at FROM inbound_limits WHERE user_id = $1 FOR UPDATE",
        user_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    sqlx::query!(
        "INSERT INTO inbound_limits (user_id, over_at) VALUES ($1, $2)
         ON CONFLICT (user_id) DO UPDATE SET over_at = GREATEST(inbound_limits.over_at, EXCLUDED.over_at)",
        user_id,
        sent_at,
    )
    .execute(&mut *conn)
    .await?;
    Ok(previous.is_none_or(|at| at < sent_at - chrono::Duration::minutes(1)))
}

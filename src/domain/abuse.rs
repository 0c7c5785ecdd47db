//! Abuse limits: bans and the per-person inbound limit — the SQL of
//! their tables (the inbound count reads the inbox, [`screen`]; the daily
//! ticket cap counts tickets, `tickets::filed_since`). The rules
//! that use them are in `processor::features::limits` and the staff `/ban`
//! command.

use std::collections::HashMap;

use anyhow::Result;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

/// What the limits ask about one update of a batch.
#[derive(Debug, Clone, Copy)]
pub struct Asked {
    pub update_id: i64,
    pub user_id: i64,
    /// For a message in a private chat: count the person's messages there
    /// sent after this instant (Unix seconds), up to this update.
    pub count_since: Option<i64>,
}

/// What the limits found for one update.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Screen {
    pub banned: bool,
    /// The person's messages in their private chat in the last minute,
    /// this one included (when asked).
    pub recent: Option<i64>,
}

/// Whether each update's sender is banned and, where asked, how many
/// messages they sent in the last minute: one read for a whole batch, no
/// write. The count reads the inbox (`inbox_by_user`, bounded to the hour
/// before the update) and judges by Telegram's send time, so a backlog
/// delivered at once after an outage is not taken for a flood.
pub async fn screen(conn: &mut PgConnection, asked: &[Asked]) -> Result<HashMap<i64, Screen>> {
    if asked.is_empty() {
        return Ok(HashMap::new());
    }
    let updates: Vec<i64> = asked.iter().map(|a| a.update_id).collect();
    let users: Vec<i64> = asked.iter().map(|a| a.user_id).collect();
    let since: Vec<Option<i64>> = asked.iter().map(|a| a.count_since).collect();
    let rows = sqlx::query!(
        r#"SELECT a.update_id AS "update_id!",
                  EXISTS (SELECT 1 FROM bans b WHERE b.user_id = a.user_id) AS "banned!",
                  CASE WHEN a.since IS NOT NULL THEN (
                      SELECT count(*) FROM inbox i
                       WHERE i.user_id = a.user_id AND i.chat_id = a.user_id
                         AND i.kind = 'message'
                         AND i.update_id <= a.update_id
                         AND i.received_at >= (SELECT received_at FROM inbox
                                                WHERE update_id = a.update_id) - interval '1 hour'
                         AND (i.payload->'message'->>'date')::bigint > a.since)
                  END AS recent
             FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS a (update_id, user_id, since)"#,
        &updates,
        &users,
        &since as &[Option<i64>],
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.update_id,
                Screen {
                    banned: r.banned,
                    recent: r.recent,
                },
            )
        })
        .collect())
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

//! The follow-up of a low rating as a task: a rating of 1–2 opens it (the
//! transition records `follow_up`), it is due `follow_up_hours` later (an
//! office setting), a supervisor's note or reopening finishes it, and past
//! its deadline the scheduler chases it.

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use super::TicketId;

/// Gives ticket `id`'s follow-up its deadline: a new one when none is
/// waiting, while one that is waiting keeps its own (a redelivered rating
/// does not move it). Returns the deadline in force.
pub async fn open(
    conn: &mut PgConnection,
    id: TicketId,
    due: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>> {
    let due = sqlx::query_scalar!(
        "UPDATE tickets
            SET follow_up_due_at = CASE WHEN follow_up_due_at IS NULL OR follow_up_done_at IS NOT NULL
                                        THEN $2 ELSE follow_up_due_at END,
                follow_up_chased_at = CASE WHEN follow_up_done_at IS NOT NULL
                                           THEN NULL ELSE follow_up_chased_at END,
                follow_up_done_at = NULL
          WHERE id = $1 AND follow_up_at IS NOT NULL
      RETURNING follow_up_due_at",
        id.0,
        due,
    )
    .fetch_optional(conn)
    .await
    .context("opening a follow-up")?;
    Ok(due.flatten())
}

/// Whether ticket `id` has a follow-up waiting to be done.
pub async fn is_open(conn: &mut PgConnection, id: TicketId) -> Result<bool> {
    let open = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM tickets
                           WHERE id = $1 AND follow_up_due_at IS NOT NULL
                             AND follow_up_done_at IS NULL) AS "open!""#,
        id.0
    )
    .fetch_one(conn)
    .await?;
    Ok(open)
}

/// Marks ticket `id`'s follow-up done; false when none was waiting.
pub async fn finish(conn: &mut PgConnection, id: TicketId, now: DateTime<Utc>) -> Result<bool> {
    let n = sqlx::query!(
        "UPDATE tickets SET follow_up_done_at = $2
          WHERE id = $1 AND follow_up_due_at IS NOT NULL AND follow_up_done_at IS NULL",
        id.0,
        now,
    )
    .execute(conn)
    .await
    .context("finishing a follow-up")?
    .rows_affected();
    Ok(n == 1)
}

/// An overdue follow-up and its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overdue {
    pub id: TicketId,
    pub due: DateTime<Utc>,
}

/// Follow-ups past their deadline, not done, and not chased in the last
/// `interval_minutes`, oldest first, locked for this transaction (other
/// replicas skip them).
pub async fn overdue(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    interval_minutes: u32,
    limit: i64,
) -> Result<Vec<Overdue>> {
    let rows = sqlx::query!(
        r#"SELECT id, follow_up_due_at AS "due!" FROM tickets
            WHERE follow_up_due_at < $1 AND follow_up_done_at IS NULL
              AND (follow_up_chased_at IS NULL
                   OR follow_up_chased_at <= $1 - make_interval(mins => $2))
            ORDER BY follow_up_due_at, id
            LIMIT $3
            FOR UPDATE SKIP LOCKED"#,
        now,
        i32::try_from(interval_minutes)?,
        limit,
    )
    .fetch_all(conn)
    .await
    .context("reading overdue follow-ups")?;
    Ok(rows
        .into_iter()
        .map(|r| Overdue {
            id: TicketId(r.id),
            due: r.due,
        })
        .collect())
}

/// Records that an overdue follow-up was chased now.
pub async fn chased(conn: &mut PgConnection, id: TicketId, now: DateTime<Utc>) -> Result<()> {
    sqlx::query!(
        "UPDATE tickets SET follow_up_chased_at = $2 WHERE id = $1",
        id.0,
        now
    )
    .execute(conn)
    .await?;
    Ok(())
}

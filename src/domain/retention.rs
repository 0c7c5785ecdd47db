//! Retention: `propdesk purge --older-than 180d` deletes the pipeline's old
//! rows that nothing needs any more — processed updates (not parked) and
//! delivered outbox rows that no other row references.
//!
//! An outbox row is kept while a foreign key points at it ([`REFERENCES`]:
//! a ticket's card, a relayed message staff may still reply to, a
//! broadcast's copies and progress message, a reminder) or a request not
//! yet settled names it as the message it edits or deletes. A test compares
//! [`REFERENCES`] with the database's foreign keys, so a new one is not
//! missed.

use anyhow::{bail, Context, Result};
use chrono::{DateTime, Duration, Utc};
use sqlx::PgPool;

/// Every column that references `outbox (id)` by a foreign key; the purge
/// keeps a row any of them points at.
pub const REFERENCES: &[(&str, &str)] = &[
    ("broadcast_recipients", "outbox_id"),
    ("broadcast_recipients", "recall_outbox_id"),
    ("broadcasts", "recall_outbox_id"),
    ("broadcasts", "status_outbox_id"),
    ("fee_reminders_sent", "outbox_id"),
    ("reminders", "outbox_id"),
    ("ticket_messages", "outbox_id"),
    ("tickets", "card_outbox_id"),
    ("tickets", "topic_outbox_id"),
];

/// The least `--older-than` accepted: Telegram may deliver an update again
/// for up to 24 hours, and the inbox's key is what recognises it.
pub const MINIMUM_AGE: Duration = Duration::days(1);

/// Reads an age such as `180d`, `26w` or `36h`.
pub fn parse_age(text: &str) -> Result<Duration> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let Ok(n) = number.parse::<i64>() else {
        bail!("{text:?} is not an age: write a number and a unit, e.g. 180d (days), 26w (weeks) or 48h (hours)");
    };
    let age = match unit {
        "d" => Duration::try_days(n),
        "w" => Duration::try_weeks(n),
        "h" => Duration::try_hours(n),
        _ => None,
    };
    let Some(age) = age else {
        bail!("{text:?} is not an age: write a number and a unit, e.g. 180d (days), 26w (weeks) or 48h (hours)");
    };
    if age < MINIMUM_AGE {
        bail!("--older-than {text} is too short: updates are kept at least 1 day (Telegram may deliver one again within 24 hours)");
    }
    Ok(age)
}

/// What a purge deleted (or, in a dry run, would delete).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    pub inbox: u64,
    pub outbox: u64,
}

/// Rows deleted per statement, so no delete holds its locks for long.
const BATCH: i64 = 10_000;

/// Deletes every processed update older than `cutoff`, `BATCH` rows per
/// statement so the table never sees one long delete; returns how many.
/// Parked updates are kept (`propdesk inbox` still shows them). Called by
/// the scheduler once a minute (`inbox::prune`, the inbox's own retention)
/// and by `propdesk purge` (the operator's cutoff).
pub async fn purge_inbox(pool: &PgPool, cutoff: DateTime<Utc>) -> Result<u64> {
    let mut deleted = 0;
    loop {
        let n = sqlx::query!(
            "DELETE FROM inbox WHERE update_id IN (
                SELECT update_id FROM inbox
                 WHERE processed_at < $1 AND parked_at IS NULL
                 LIMIT $2)",
            cutoff,
            BATCH
        )
        .execute(pool)
        .await?
        .rows_affected();
        deleted += n;
        if n < BATCH.unsigned_abs() {
            return Ok(deleted);
        }
    }
}

/// Deletes (or with `dry_run` counts) the rows older than `cutoff`.
pub async fn purge(pool: &PgPool, cutoff: DateTime<Utc>, dry_run: bool) -> Result<Purged> {
    if dry_run {
        let inbox = sqlx::query_scalar!(
            r#"SELECT count(*) AS "n!" FROM inbox
                WHERE processed_at < $1 AND parked_at IS NULL"#,
            cutoff
        )
        .fetch_one(pool)
        .await?;
        let outbox = sqlx::query_scalar!(
            r#"SELECT count(*) AS "n!" FROM outbox o
                WHERE o.status = 'sent' AND COALESCE(o.sent_at, o.created_at) < $1
                  AND NOT EXISTS (SELECT 1 FROM broadcast_recipients r WHERE r.outbox_id = o.id OR r.recall_outbox_id = o.id)
                  AND NOT EXISTS (SELECT 1 FROM broadcasts b WHERE b.status_outbox_id = o.id OR b.recall_outbox_id = o.id)
                  AND NOT EXISTS (SELECT 1 FROM fee_reminders_sent f WHERE f.outbox_id = o.id)
                  AND NOT EXISTS (SELECT 1 FROM reminders m WHERE m.outbox_id = o.id)
                  AND NOT EXISTS (SELECT 1 FROM ticket_messages t WHERE t.outbox_id = o.id)
                  AND NOT EXISTS (SELECT 1 FROM tickets k WHERE k.card_outbox_id = o.id OR k.topic_outbox_id = o.id)
                  AND NOT EXISTS (SELECT 1 FROM outbox e
                                   WHERE e.status IN ('pending', 'sending')
                                     AND ((e.request->'target'->>'outbox')::bigint = o.id
                                          OR e.thread_outbox_id = o.id))"#,
            cutoff
        )
        .fetch_one(pool)
        .await?;
        return Ok(Purged {
            inbox: u64::try_from(inbox).unwrap_or(0),
            outbox: u64::try_from(outbox).unwrap_or(0),
        });
    }
    let mut purged = Purged {
        inbox: purge_inbox(pool, cutoff)
            .await
            .context("purging the inbox")?,
        ..Purged::default()
    };
    loop {
        let n = sqlx::query!(
            "DELETE FROM outbox WHERE id IN (
                SELECT o.id FROM outbox o
                 WHERE o.status = 'sent' AND COALESCE(o.sent_at, o.created_at) < $1
                   AND NOT EXISTS (SELECT 1 FROM broadcast_recipients r WHERE r.outbox_id = o.id OR r.recall_outbox_id = o.id)
                   AND NOT EXISTS (SELECT 1 FROM broadcasts b WHERE b.status_outbox_id = o.id OR b.recall_outbox_id = o.id)
                   AND NOT EXISTS (SELECT 1 FROM fee_reminders_sent f WHERE f.outbox_id = o.id)
                   AND NOT EXISTS (SELECT 1 FROM reminders m WHERE m.outbox_id = o.id)
                   AND NOT EXISTS (SELECT 1 FROM ticket_messages t WHERE t.outbox_id = o.id)
                   AND NOT EXISTS (SELECT 1 FROM tickets k WHERE k.card_outbox_id = o.id OR k.topic_outbox_id = o.id)
                   AND NOT EXISTS (SELECT 1 FROM outbox e
                                    WHERE e.status IN ('pending', 'sending')
                                      AND ((e.request->'target'->>'outbox')::bigint = o.id
                                          OR e.thread_outbox_id = o.id))
                 LIMIT $2
                 FOR UPDATE SKIP LOCKED)",
            cutoff,
            BATCH
        )
        .execute(pool)
        .await
        .context("purging the outbox")?
        .rows_affected();
        purged.outbox += n;
        if n < BATCH.unsigned_abs() {
            break;
        }
    }
    Ok(purged)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_with_their_unit_and_short_ones_are_refused() {
        assert_eq!(parse_age("180d").unwrap(), Duration::days(180));
        assert_eq!(parse_age("2w").unwrap(), Duration::days(14));
        assert_eq!(parse_age("48h").unwrap(), Duration::hours(48));
        assert!(parse_age("12h").is_err());
        assert!(parse_age("180").is_err());
        assert!(parse_age("d").is_err());
        assert!(parse_age("99999999999999d").is_err());
    }
}

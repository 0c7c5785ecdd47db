//! Confirming a broadcast: the domain fixes its recipients, this queues one
//! broadcast-lane outbox row per recipient (the notice rendered in their
//! language) and the author's progress message, and the domain records it
//! as scheduled or sending. All in the caller's transaction.

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use super::present;
use crate::domain::broadcasts::{self as bc, NewBroadcast, Refusal, Schedule, Started, BATCH};
use crate::i18n::Lang;
use crate::outbox::{self, Lane, Outgoing, Request, NOTIFY_CHANNEL};
use crate::processor::context::chat_language;

/// Creates a broadcast and confirms it at once (what a confirmed draft does).
pub async fn create(
    conn: &mut PgConnection,
    schedule: Schedule,
    new: &NewBroadcast,
    now: DateTime<Utc>,
) -> Result<std::result::Result<Started, Refusal>> {
    let id = bc::insert_draft(conn, new).await?;
    confirm(conn, schedule, id, now).await
}

/// Confirms draft `id`: fixes its recipients (skipping, and counting, chats
/// that blocked the bot), writes one broadcast-lane outbox row per recipient
/// in batches, and sends the author the progress message. All in the
/// caller's transaction.
pub async fn confirm(
    conn: &mut PgConnection,
    schedule: Schedule,
    id: i64,
    now: DateTime<Utc>,
) -> Result<std::result::Result<Started, Refusal>> {
    let confirming = match bc::fix_recipients(conn, schedule, id, now).await? {
        Ok(c) => c,
        Err(refusal) => return Ok(Err(refusal)),
    };
    queue(conn, &confirming.broadcast, confirming.starts_at).await?;
    let skipped = bc::mark_confirmed(conn, &confirming, now).await?;

    // The author's progress message, edited in place by the scheduler.
    let author_chat_id = confirming.broadcast.author_chat_id;
    let lang = chat_language(conn, author_chat_id)
        .await?
        .unwrap_or(Lang::Zh);
    let b = bc::load_for_update(conn, id)
        .await?
        .context("broadcast vanished")?;
    let p = bc::progress(conn, id).await?;
    let text = present::progress_text(&b, &p, schedule, lang);
    let status_id = outbox::enqueue(
        conn,
        None,
        &Outgoing::reply(b.author_chat_id, Request::text(text.clone())),
    )
    .await?;
    bc::set_progress_message(conn, id, status_id, &text, now).await?;
    let starts_at = confirming.starts_at;
    let inserted = confirming.recipients;
    tracing::info!(
        broadcast = id,
        recipients = inserted,
        skipped_blocked = skipped,
        %starts_at,
        "broadcast confirmed"
    );
    Ok(Ok(Started {
        id,
        recipients: i64::try_from(inserted)?,
        skipped_blocked: skipped,
        starts_at,
        held: confirming.held,
    }))
}

/// One outbox row per recipient not yet queued (and not blocked), `BATCH`
/// per statement, each linked back to its recipient: a recipient's delivery
/// status is its outbox row's.
async fn queue(conn: &mut PgConnection, b: &bc::Broadcast, starts_at: DateTime<Utc>) -> Result<()> {
    // One request per language, keyed by its code: a recipient gets theirs.
    let requests = Lang::ALL
        .into_iter()
        .map(|lang| {
            let request = serde_json::to_value(present::owner_request(b, lang, false))?;
            Ok((lang.code().to_string(), request))
        })
        .collect::<serde_json::Result<serde_json::Map<_, _>>>()?;
    let requests = serde_json::Value::Object(requests);
    loop {
        let n = sqlx::query(
            "WITH batch AS (
                 SELECT id, chat_id, language FROM broadcast_recipients
                  WHERE broadcast_id = $1 AND outbox_id IS NULL AND NOT skipped_blocked
                  ORDER BY id LIMIT $2),
             ins AS (
                 INSERT INTO outbox (chat_id, lane, request, not_before, status)
                 SELECT chat_id, $3, COALESCE($4::jsonb -> language, $4::jsonb -> $5), $6, 'pending'
                   FROM batch ORDER BY id
                 RETURNING id, chat_id)
             UPDATE broadcast_recipients r SET outbox_id = ins.id
               FROM ins
              WHERE r.broadcast_id = $1 AND r.chat_id = ins.chat_id",
        )
        .bind(b.id)
        .bind(BATCH)
        .bind(Lane::Broadcast as i16)
        .bind(&requests)
        .bind(Lang::default().code())
        .bind(starts_at)
        .execute(&mut *conn)
        .await
        .context("queueing a broadcast")?
        .rows_affected();
        if n == 0 {
            break;
        }
    }
    sqlx::query("SELECT pg_notify($1, '')")
        .bind(NOTIFY_CHANNEL)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

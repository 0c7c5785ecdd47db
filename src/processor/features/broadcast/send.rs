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
use crate::outbox::{self, Batch, Lane, Outgoing, Request};
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
    let request = match present::progress_keyboard(&b, &p, lang) {
        Some(keyboard) => Request::text_with(text.clone(), keyboard),
        None => Request::text(text.clone()),
    };
    let status_id =
        outbox::enqueue(conn, None, &Outgoing::reply(b.author_chat_id, request)).await?;
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
    // One request per language, in the order of `Lang::ALL`: a recipient
    // gets theirs.
    let requests: Vec<Request> = Lang::ALL
        .into_iter()
        .map(|lang| present::owner_request(b, lang, false))
        .collect();
    let batch = Batch {
        lane: Lane::Broadcast,
        not_before: Some(starts_at),
        update_id: None,
        requests: &requests,
    };
    loop {
        let recipients = bc::unqueued(conn, b.id, BATCH).await?;
        if recipients.is_empty() {
            break;
        }
        let rows: Vec<(i64, usize)> = recipients
            .iter()
            .map(|r| (r.chat_id, r.lang().index()))
            .collect();
        let queued = outbox::enqueue_many(conn, &batch, &rows)
            .await
            .context("queueing a broadcast")?;
        let links: Vec<(i64, i64)> = queued.iter().map(|q| (q.chat_id, q.id)).collect();
        let linked = bc::link_outbox(conn, b.id, &links).await?;
        anyhow::ensure!(
            linked == u64::try_from(rows.len())?,
            "broadcast {}: {linked} of {} recipients linked to their sends",
            b.id,
            rows.len()
        );
    }
    Ok(())
}

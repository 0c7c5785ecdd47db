//! The broadcast job: moves scheduled broadcasts to sending when their time
//! comes, edits each author's progress message (at most once per
//! `PROGRESS_EVERY`, only when it changed) and marks a broadcast done with a
//! final edit when no recipient is waiting; and reports each recall once
//! Telegram answered every deletion.

use anyhow::Result;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use crate::domain::broadcasts::{self as bc, Schedule, PROGRESS_EVERY};
use crate::i18n::Lang;
use crate::outbox::{self, Lane, Outgoing, Request, Target};
use crate::processor::features::broadcast::present;
use crate::processor::{chat_language, App};

/// The job with the office's schedule settings. Returns the number of edits.
pub async fn run_due(conn: &mut PgConnection, app: &App, now: DateTime<Utc>) -> Result<u64> {
    let schedule = Schedule::load(conn, app.settings.timezone).await?;
    run_due_with(conn, schedule, now).await
}

/// `run_due` with the schedule settings passed in.
pub async fn run_due_with(
    conn: &mut PgConnection,
    schedule: Schedule,
    now: DateTime<Utc>,
) -> Result<u64> {
    let mut edits = 0;
    for mut b in bc::in_flight(conn).await? {
        let p = bc::progress(conn, b.id).await?;
        let status = bc::next_status(&b, &p, now);
        let done = status == "done";
        let status_changed = status != b.status;
        b.status.clone_from(&status);
        let due = b.progress_at.is_none_or(|t| now - t >= PROGRESS_EVERY);
        let lang = chat_language(conn, b.author_chat_id)
            .await?
            .unwrap_or(Lang::Zh);
        let text = present::progress_text(&b, &p, schedule, lang);
        let changed = b.progress_text.as_deref() != Some(text.as_str());
        let edit = changed && (due || done) && status != "scheduled";
        if edit {
            if let Some(target) = b.status_outbox_id {
                outbox::enqueue(
                    conn,
                    None,
                    &Outgoing::new(
                        b.author_chat_id,
                        Lane::Staff,
                        Request::EditMessageText {
                            target: Target::Outbox(target),
                            text: text.clone(),
                            reply_markup: present::progress_keyboard(&b, &p, lang),
                        },
                    ),
                )
                .await?;
                edits += 1;
            }
        }
        if edit || status_changed {
            bc::record_progress(conn, b.id, &status, edit.then_some(text.as_str()), now).await?;
        }
        if status_changed && status == "done" {
            tracing::info!(broadcast = b.id, ?p, "broadcast done");
        }
    }
    edits += finish_recalls(conn, now).await?;
    Ok(edits)
}

/// Recalls whose every deletion Telegram answered: the author's recall
/// message is edited to the counts, naming who still has a copy (too old
/// to delete, or refused).
async fn finish_recalls(conn: &mut PgConnection, now: DateTime<Utc>) -> Result<u64> {
    let mut edits = 0;
    for id in bc::recalls_in_flight(conn).await? {
        let r = bc::recall_progress(conn, id).await?;
        if r.pending > 0 {
            continue;
        }
        let Some(b) = bc::load_for_update(conn, id).await? else {
            continue;
        };
        let lang = chat_language(conn, b.author_chat_id)
            .await?
            .unwrap_or(Lang::Zh);
        let text = present::recall_text(id, &r, lang);
        if let Some(target) = b.recall_outbox_id {
            outbox::enqueue(
                conn,
                None,
                &Outgoing::new(
                    b.author_chat_id,
                    Lane::Staff,
                    Request::EditMessageText {
                        target: Target::Outbox(target),
                        text,
                        reply_markup: None,
                    },
                ),
            )
            .await?;
            edits += 1;
        }
        bc::finish_recall(conn, id, now).await?;
        tracing::info!(broadcast = id, ?r, "broadcast recall finished");
    }
    Ok(edits)
}

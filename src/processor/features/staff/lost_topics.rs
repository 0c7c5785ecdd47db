//! Ticket topics deleted by hand in Telegram. Telegram tells the bot
//! nothing when it happens; the next send into the topic is refused
//! ("message thread not found"), the sender records it as `topic lost`, and
//! the scheduler runs [`reopen_lost`]: a new topic, a note saying why, the
//! card again, and the refused messages sent again into it.

use anyhow::Result;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use super::{card, topic};
use crate::domain::tickets::{self, Ticket};
use crate::outbox::{self, Lane, Outgoing, Request, Target};
use crate::texts;

/// What [`reopen_lost`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reopened {
    /// New topics opened for topics deleted by hand.
    pub topics: usize,
    /// Messages sent again into them.
    pub resent: usize,
}

/// Topics deleted by hand in Telegram: for each ticket whose topic refused
/// a send (`topic lost`), a new topic opens with a note of what happened
/// and a fresh card (pinned, its photos below), and the refused messages
/// are sent again into it, in order. Runs in `conn`'s transaction (the
/// scheduler's).
pub async fn reopen_lost(
    conn: &mut PgConnection,
    app: &crate::processor::App,
    now: DateTime<Utc>,
) -> Result<Reopened> {
    let mut done = Reopened::default();
    for (topic_row, rows) in outbox::lost_topics(conn).await? {
        let ticket = match tickets::for_outbox_row(conn, topic_row).await? {
            Some(id) => tickets::load(conn, id).await?,
            None => None,
        };
        let Some((t, chat)) = ticket.and_then(|t| t.card_chat_id.map(|c| (t, c))) else {
            outbox::mark_topic_replaced(conn, &rows).await?;
            continue;
        };
        let current = t.topic.as_ref().map(|topic| topic.outbox_id);
        let new_topic = match current {
            // Already opened again: the rest follow into the new one.
            Some(row) if row != topic_row => row,
            _ => {
                done.topics += 1;
                open_again(conn, app, now, &t, chat).await?
            }
        };
        for row in &rows {
            if let Some(sent) = outbox::resend_in_thread(conn, *row, new_topic).await? {
                tickets::copy_links(conn, *row, sent).await?;
                done.resent += 1;
            }
        }
        outbox::mark_topic_replaced(conn, &rows).await?;
    }
    Ok(done)
}

/// A new topic for `t` in `chat`: the note that the old one was deleted,
/// the card (pinned) with its photos; closed at once if `t` is finished.
/// Returns its `createForumTopic` row.
async fn open_again(
    conn: &mut PgConnection,
    app: &crate::processor::App,
    now: DateTime<Utc>,
    t: &Ticket,
    chat: i64,
) -> Result<i64> {
    let lang = card::staff_chat_language(conn, chat).await?;
    let create = Request::CreateForumTopic {
        name: topic::name(t, lang),
        icon_color: Some(topic::colour(t)),
    };
    let row = outbox::enqueue(conn, None, &Outgoing::new(chat, Lane::Staff, create)).await?;
    tickets::set_topic(conn, t.id, row, t.status).await?;
    let thread = Some(Target::Outbox(row));
    let notice = texts::desk::TOPIC_OPENED_AGAIN.fill(lang, &[("id", &t.id.to_string())]);
    let out = Outgoing::new(chat, Lane::Staff, Request::text(notice)).in_thread(thread);
    outbox::enqueue(conn, None, &out).await?;
    let mut photos = tickets::photos(conn, t.id).await?;
    photos.truncate(usize::try_from(card::card_photos(t)).unwrap_or(0));
    let place = card::Place {
        chat,
        thread,
        lang,
        update_id: None,
    };
    card::post_in(conn, app, now, t, place, &photos).await?;
    if !t.status.is_active() {
        let close = Outgoing::new(chat, Lane::Staff, Request::CloseForumTopic).in_thread(thread);
        outbox::enqueue(conn, None, &close).await?;
        tickets::set_topic_shown(conn, t.id, t.status, true).await?;
    }
    tracing::warn!(
        ticket = t.id.0,
        chat,
        "a ticket's topic was deleted in Telegram; opened a new one"
    );
    Ok(row)
}

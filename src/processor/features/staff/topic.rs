//! A ticket's own forum topic in its staff chat, when that chat is a forum
//! supergroup: opened with the card (its first message, pinned), named
//! for the ticket and its status, closed when the ticket is finished and
//! reopened with it. A topic deleted by hand is `lost_topics`' job, what
//! staff write in a topic `in_topic`'s.

use anyhow::Result;
use sqlx::PgConnection;

use crate::domain::chats;
use crate::domain::tickets::{self, Ticket, TicketStatus};
use crate::i18n::Lang;
use crate::outbox::{self, Lane, Outgoing, Request, Target};
use crate::processor::context::Ctx;

/// Telegram's longest topic name.
const NAME_CHARS: usize = 128;

/// The topic icon colours Telegram allows, by priority: red, pink, blue,
/// green.
pub fn colour(t: &Ticket) -> u32 {
    match t.priority {
        tickets::Priority::Urgent => 0x00FB_6F5F,
        tickets::Priority::High => 0x00FF_93B2,
        tickets::Priority::Normal => 0x006F_B9F0,
        tickets::Priority::Low => 0x008E_EE98,
    }
}

/// The mark a topic's name starts with for each status.
#[must_use]
pub fn status_mark(status: TicketStatus) -> &'static str {
    match status {
        TicketStatus::Open => "🆕",
        TicketStatus::Claimed => "🔧",
        TicketStatus::Scheduled => "📅",
        TicketStatus::Resolved => "✅",
        TicketStatus::Closed => "🔒",
        TicketStatus::Cancelled => "✖️",
    }
}

/// `🆕 #12 报修 · 3-2-1101 · 厨房漏水`: status, number, kind, where, and
/// as much of the description as fits in Telegram's 128 characters.
#[must_use]
pub fn name(t: &Ticket, lang: Lang) -> String {
    let mut head = format!("{} {} {}", status_mark(t.status), t.id, t.kind.label(lang));
    if let Some(place) = t
        .unit_code
        .as_deref()
        .or(t.location.as_deref())
        .filter(|p| !p.trim().is_empty())
    {
        head.push_str(" · ");
        head.push_str(place.trim());
    }
    let description = t
        .description
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let full = if description.is_empty() {
        head
    } else {
        format!("{head} · {description}")
    };
    if full.chars().count() <= NAME_CHARS {
        return full;
    }
    let mut cut: String = full.chars().take(NAME_CHARS - 1).collect();
    cut.push('…');
    cut
}

/// The thread a ticket's messages in its staff chat go into: its topic's,
/// if it has one.
#[must_use]
pub fn thread(t: &Ticket) -> Option<Target> {
    t.topic
        .as_ref()
        .map(|topic| Target::Outbox(topic.outbox_id))
}

/// Opens a topic for `t` in `chat` when that chat is a forum, and returns
/// the thread its messages go into (the topic opens before they are sent).
pub async fn open(ctx: &mut Ctx<'_>, t: &Ticket, chat: i64, lang: Lang) -> Result<Option<Target>> {
    if !chats::is_forum(ctx.conn, chat).await? {
        return Ok(None);
    }
    let request = Request::CreateForumTopic {
        name: name(t, lang),
        icon_color: Some(colour(t)),
    };
    let row = ctx.send(Outgoing::new(chat, Lane::Staff, request)).await?;
    tickets::set_topic(ctx.conn, t.id, row, t.status).await?;
    Ok(Some(Target::Outbox(row)))
}

/// Brings the topic of `t` in line with it: renamed when its status
/// changed, closed once finished, reopened when active again (each asked
/// of Telegram once, as recorded on the ticket).
pub async fn sync(
    conn: &mut PgConnection,
    update_id: Option<i64>,
    t: &Ticket,
    chat: i64,
    lang: Lang,
) -> Result<()> {
    let Some(topic) = &t.topic else {
        return Ok(());
    };
    let finished = !t.status.is_active();
    if topic.status == Some(t.status) && topic.closed == finished {
        return Ok(());
    }
    let thread = Some(Target::Outbox(topic.outbox_id));
    let mut changes = Vec::new();
    if topic.closed && !finished {
        changes.push(Request::ReopenForumTopic);
    }
    if topic.status != Some(t.status) {
        changes.push(Request::EditForumTopic {
            name: name(t, lang),
        });
    }
    if !topic.closed && finished {
        changes.push(Request::CloseForumTopic);
    }
    for request in changes {
        let out = Outgoing::new(chat, Lane::Staff, request).in_thread(thread);
        outbox::enqueue(conn, update_id, &out).await?;
    }
    tickets::set_topic_shown(conn, t.id, t.status, finished).await
}

/// The ticket has moved to another chat: its old topic says where, and is
/// closed.
pub async fn leave(ctx: &mut Ctx<'_>, t: &Ticket, chat: i64, moved_to: &str) -> Result<()> {
    let Some(thread) = thread(t) else {
        return Ok(());
    };
    let name: String = format!("➡️ {} · {moved_to}", t.id)
        .chars()
        .take(NAME_CHARS)
        .collect();
    for request in [Request::EditForumTopic { name }, Request::CloseForumTopic] {
        ctx.send(Outgoing::new(chat, Lane::Staff, request).in_thread(Some(thread)))
            .await?;
    }
    Ok(())
}

//! What staff write in a ticket's topic. Plain words and photos go to the
//! owner as the office's reply; a line starting with the internal-note
//! marker (`//`) or `/note` stays internal; a ticket command without a
//! number (`/resolve fixed`, `/assign 3`, `/schedule 2026-05-20 10:00`) is
//! about the topic's ticket. Nobody types a ticket number in a topic.

use anyhow::Result;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, Message, MessageKind};
use teloxide::utils::command::BotCommands;

use super::commands::{self, StaffCommand};
use super::desk::{self, split_first, Desk};
use super::{replies, transitions};
use crate::domain::staff;
use crate::domain::tickets::{self, TicketId};
use crate::outbox::Request;
use crate::processor::context::Ctx;
use crate::processor::reply::Sender;
use crate::telegram::callback::Callback;
use crate::texts;

/// A line starting with this in a ticket's topic is an internal note.
pub const NOTE_MARKER: &str = "//";

/// The ticket whose topic `msg` is in, if it is in one.
pub async fn ticket_of(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    msg: &Message,
) -> Result<Option<TicketId>> {
    if from.private || !msg.is_topic_message {
        return Ok(None);
    }
    let Some(thread) = msg.thread_id else {
        return Ok(None);
    };
    // The topic's thread id is the id of the message that opened it, which
    // stands for the ticket (`tickets::set_topic`).
    tickets::for_message(ctx.conn, from.chat_id, thread.0 .0).await
}

/// A staff member's message in the topic of ticket `id`. False when it is
/// not theirs to handle here (someone not on the staff).
pub async fn on_message(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    msg: &Message,
    id: TicketId,
) -> Result<bool> {
    let Some(member) = staff::by_telegram_id(ctx.conn, from.user_id).await? else {
        return Ok(false);
    };
    let desk = Desk {
        staff: member,
        chat_id: from.chat_id,
        private: false,
        lang: desk::desk_lang(ctx, from).await?,
    };
    if !matches!(msg.kind, MessageKind::Common(_)) {
        // A topic closed, reopened or renamed by hand: nothing to answer.
        return Ok(true);
    }
    let text = msg.text().or(msg.caption()).unwrap_or_default().trim();
    let photo = desk::photo_of(msg);
    if text.is_empty() && photo.is_none() {
        desk.say_phrase(ctx, texts::desk::TOPIC_TEXT_OR_PHOTO, &[])
            .await?;
        return Ok(true);
    }
    if let Some(note) = text.strip_prefix(NOTE_MARKER) {
        transitions::note(ctx, &desk, &format!("{} {}", id.0, note.trim())).await?;
        return Ok(true);
    }
    if text.starts_with('/') {
        let Ok(command) = StaffCommand::parse(text, &ctx.app.settings.bot_username) else {
            return Ok(false);
        };
        commands::run(ctx, &desk, about(command, id), photo, Some(id)).await?;
        return Ok(true);
    }
    let Some(t) = tickets::load(ctx.conn, id).await? else {
        return Ok(false);
    };
    if !t.status.is_active() {
        let n = id.0.to_string();
        let said = texts::desk::TOPIC_FINISHED.fill(
            desk.lang,
            &[
                ("id", &id.to_string()),
                ("status", t.status.label(desk.lang)),
                ("n", &n),
            ],
        );
        let reopen = InlineKeyboardButton::callback(
            texts::desk::BUTTON_REOPEN.get(desk.lang),
            Callback::StaffReopen(id).encode(),
        );
        ctx.reply(
            desk.chat_id,
            Request::text_with(said, InlineKeyboardMarkup::new([[reopen]])),
        )
        .await?;
        return Ok(true);
    }
    replies::reply(ctx, &desk, &t, text, photo).await?;
    Ok(true)
}

/// `command` about ticket `id`: a command that names a ticket first gets
/// `id` put first, unless it already names it.
#[must_use]
pub fn about(command: StaffCommand, id: TicketId) -> StaffCommand {
    let with = |arg: String| {
        let (first, _) = split_first(&arg);
        if TicketId::parse(first) == Some(id) {
            arg
        } else {
            format!("{} {}", id.0, arg.trim()).trim_end().to_string()
        }
    };
    match command {
        StaffCommand::Claim(a) => StaffCommand::Claim(with(a)),
        StaffCommand::Release(a) => StaffCommand::Release(with(a)),
        StaffCommand::Assign(a) => StaffCommand::Assign(with(a)),
        StaffCommand::Transfer(a) => StaffCommand::Transfer(with(a)),
        StaffCommand::Reply(a) => StaffCommand::Reply(with(a)),
        StaffCommand::Note(a) => StaffCommand::Note(with(a)),
        StaffCommand::Resolve(a) => StaffCommand::Resolve(with(a)),
        StaffCommand::Reopen(a) => StaffCommand::Reopen(with(a)),
        StaffCommand::Schedule(a) => StaffCommand::Schedule(with(a)),
        StaffCommand::Ticket(a) => StaffCommand::Ticket(with(a)),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_in_a_topic_is_about_its_ticket() {
        let id = TicketId(12);
        assert_eq!(
            about(StaffCommand::Resolve("fixed the tap".into()), id),
            StaffCommand::Resolve("12 fixed the tap".into())
        );
        assert_eq!(
            about(StaffCommand::Resolve(String::new()), id),
            StaffCommand::Resolve("12".into())
        );
        assert_eq!(
            about(StaffCommand::Assign("3".into()), id),
            StaffCommand::Assign("12 3".into())
        );
        assert_eq!(
            about(StaffCommand::Claim("#12".into()), id),
            StaffCommand::Claim("#12".into())
        );
        assert_eq!(
            about(StaffCommand::Schedule("2026-05-20 10:00".into()), id),
            StaffCommand::Schedule("12 2026-05-20 10:00".into())
        );
        assert_eq!(about(StaffCommand::Next, id), StaffCommand::Next);
        assert_eq!(
            about(StaffCommand::Canned("water".into()), id),
            StaffCommand::Canned("water".into())
        );
    }
}

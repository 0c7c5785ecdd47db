//! The staff queue feature: filing tickets (called by the dialogues), the
//! card in the staff group, staff commands and buttons, and the owner's
//! side of a ticket. The router hands it messages and `t:` buttons.
//!
//! Staff are named in commands by staff number (`#3` or `3`), by Telegram
//! `@username` (remembered when they write to the bot), or by their exact
//! roster name.

pub mod card;
pub mod commands;
pub mod notify;
pub mod owner;

use anyhow::Result;
use teloxide::types::{CallbackQuery, Message, User};
use teloxide::utils::command::BotCommands;

pub use crate::domain::tickets::Actor;
pub use commands::StaffCommand;
pub use owner::{my_tickets, owner_follow_up};

use super::context::Ctx;
use super::router::{answer, Sender};
use crate::domain::office_settings;
use crate::domain::staff;
use crate::domain::tickets::{self, NewTicket, TicketId};
use crate::i18n::MAX_TEXT;
use crate::telegram::callback::Callback;
use crate::telegram::outbox::Request;
use crate::texts::{self, fill};

/// A filed ticket, for the owner's confirmation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FiledTicket {
    pub id: TicketId,
    /// False when this update had filed it already (a redelivery).
    pub created: bool,
}

/// Files a ticket for the update being handled: inserts it (once per
/// update), its first event and photos, with its deadlines from the office
/// settings, and queues its card to the staff group. The caller sends
/// the owner's confirmation with `FiledTicket::id` (shown as `#12`).
pub async fn file_ticket(ctx: &mut Ctx<'_>, new: NewTicket) -> Result<FiledTicket> {
    let actor = Actor::Owner(new.owner_chat_id);
    file_ticket_as(ctx, new, actor).await
}

/// `file_ticket` on behalf of `actor` (staff filing a phone report).
pub async fn file_ticket_as(
    ctx: &mut Ctx<'_>,
    new: NewTicket,
    actor: Actor,
) -> Result<FiledTicket> {
    let deadline = office_settings::load(ctx.conn)
        .await?
        .deadline(new.kind, new.priority);
    let (id, created) =
        tickets::insert(ctx.conn, Some(ctx.update_id), ctx.now, &new, deadline).await?;
    if !created {
        return Ok(FiledTicket { id, created });
    }
    tickets::add_event(
        ctx.conn,
        id,
        ctx.now,
        actor,
        "filed",
        Some(&new.description),
        false,
        serde_json::json!({ "channel": new.channel.as_str() }),
    )
    .await?;
    for photo in &new.attachments {
        tickets::attach(ctx.conn, id, photo, ctx.now).await?;
    }
    card::post(ctx, id, &new.attachments).await?;
    tracing::info!(ticket = id.0, kind = new.kind.as_str(), "ticket filed");
    Ok(FiledTicket { id, created })
}

/// Sends a plain text (split if too long) in the reply lane.
pub async fn say(ctx: &mut Ctx<'_>, chat: i64, text: String) -> Result<()> {
    for part in split_text(&text) {
        ctx.reply(chat, Request::text(part)).await?;
    }
    Ok(())
}

/// `text` in pieces Telegram accepts, cut at line ends where possible;
/// nothing is dropped.
#[must_use]
pub fn split_text(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut len = 0;
    for line in text.split_inclusive('\n') {
        for ch in line.chars() {
            if len == MAX_TEXT {
                // Prefer the last line break in this part.
                match current.rfind('\n') {
                    Some(i) if i > 0 => {
                        let rest = current.split_off(i + 1);
                        parts.push(std::mem::replace(&mut current, rest));
                        len = current.chars().count();
                    }
                    _ => {
                        parts.push(std::mem::take(&mut current));
                        len = 0;
                    }
                }
            }
            current.push(ch);
            len += 1;
        }
    }
    if !current.is_empty() || parts.is_empty() {
        parts.push(current);
    }
    parts
}

/// A text request split into as many as it takes.
#[must_use]
pub fn split_request(request: Request) -> Vec<Request> {
    match request {
        Request::SendMessage { text, .. } if text.chars().count() > MAX_TEXT => {
            split_text(&text).into_iter().map(Request::text).collect()
        }
        other => vec![other],
    }
}

/// Remembers a staff member's @username when they write.
pub async fn remember(ctx: &mut Ctx<'_>, user: &User) -> Result<()> {
    let id = i64::try_from(user.id.0)?;
    staff::remember_username(ctx.conn, id, user.username.as_deref()).await
}

/// A message in any chat: a staff command, or a staff member's Telegram
/// reply to a bot message that stands for a ticket. True if handled here.
pub async fn on_message(ctx: &mut Ctx<'_>, from: &Sender, msg: &Message) -> Result<bool> {
    let Some(text) = msg.text().or(msg.caption()) else {
        return on_reply(ctx, from, msg, "").await;
    };
    if !text.starts_with('/') {
        return on_reply(ctx, from, msg, text).await;
    }
    // In the staff group, /help lists the staff commands.
    if !from.private && is_help(text, &ctx.app.settings.bot_username) {
        let lang = desk_lang(ctx, from).await?;
        ctx.send(crate::telegram::outbox::Outgoing::new(
            from.chat_id,
            crate::telegram::outbox::Lane::Staff,
            crate::telegram::outbox::Request::text(crate::texts::STAFF_HELP.get(lang)),
        ))
        .await?;
        return Ok(true);
    }
    let Ok(command) = StaffCommand::parse(text, &ctx.app.settings.bot_username) else {
        return Ok(false);
    };
    let who = staff::by_telegram_id(ctx.conn, from.user_id).await?;
    let Some(member) = who else {
        commands::refuse(
            ctx,
            from.chat_id,
            from.lang,
            from.user_id,
            None,
            &format!("{command:?}"),
            staff::StaffRole::Assistant,
        )
        .await?;
        return Ok(true);
    };
    let desk = commands::Desk {
        staff: member,
        chat_id: from.chat_id,
        private: from.private,
        lang: desk_lang(ctx, from).await?,
    };
    commands::run(ctx, &desk, command, commands::photo_of(msg)).await?;
    Ok(true)
}

/// `/help` or `/help@<this bot>`.
fn is_help(text: &str, bot_username: &str) -> bool {
    let word = text.split_whitespace().next().unwrap_or_default();
    match word.split_once('@') {
        Some((command, bot)) => command == "/help" && bot.eq_ignore_ascii_case(bot_username),
        None => word == "/help",
    }
}

async fn desk_lang(ctx: &mut Ctx<'_>, from: &Sender) -> Result<crate::i18n::Lang> {
    if from.private {
        Ok(from.lang)
    } else {
        card::staff_language(ctx, from.chat_id).await
    }
}

/// A staff member's Telegram reply to a card or relayed message → `/reply`.
async fn on_reply(ctx: &mut Ctx<'_>, from: &Sender, msg: &Message, text: &str) -> Result<bool> {
    let Some(original) = msg.reply_to_message() else {
        return Ok(false);
    };
    let Some(id) = tickets::for_message(ctx.conn, from.chat_id, original.id.0).await? else {
        return Ok(false);
    };
    let Some(member) = staff::by_telegram_id(ctx.conn, from.user_id).await? else {
        // Not staff: in a group it is chatter; in private it is not ours.
        return Ok(!from.private);
    };
    let desk = commands::Desk {
        staff: member,
        chat_id: from.chat_id,
        private: from.private,
        lang: desk_lang(ctx, from).await?,
    };
    let Some(t) = tickets::load(ctx.conn, id).await? else {
        return Ok(false);
    };
    commands::reply(ctx, &desk, &t, text, commands::photo_of(msg)).await?;
    Ok(true)
}

/// A ticket button. Staff buttons: claim, assign (picker), give to a picked
/// member, queue page. Owner buttons: see `owner::on_button`.
pub async fn on_button(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    q: &CallbackQuery,
    button: Callback,
) -> Result<()> {
    let data = q.data.as_deref().unwrap_or_default();
    if !matches!(
        button,
        Callback::Claim(_) | Callback::Assign(_) | Callback::GiveTo { .. } | Callback::QueuePage(_)
    ) {
        return owner::on_button(ctx, from.chat_id, from.lang, q, button).await;
    }
    let Some(member) = staff::by_telegram_id(ctx.conn, from.user_id).await? else {
        tracing::warn!(
            user_id = from.user_id,
            data,
            "staff button pressed by someone not on the staff"
        );
        return answer(ctx, q, Some(texts::STAFF_ONLY.get(from.lang))).await;
    };
    let desk = commands::Desk {
        staff: member,
        chat_id: from.chat_id,
        private: from.private,
        lang: desk_lang(ctx, from).await?,
    };
    let lang = desk.lang;
    let needed = match button {
        Callback::Claim(_) => staff::StaffRole::Butler,
        Callback::Assign(_) | Callback::GiveTo { .. } => staff::StaffRole::Supervisor,
        _ => staff::StaffRole::Assistant,
    };
    if desk.staff.role < needed {
        tracing::warn!(user_id = from.user_id, data, role = ?desk.staff.role, "staff button refused");
        let text = fill(
            texts::STAFF_ROLE_TOO_LOW.get(lang),
            &[
                ("role", desk.staff.role.label(lang)),
                ("needed", needed.label(lang)),
            ],
        );
        return answer_alert(ctx, q, &text).await;
    }
    match button {
        Callback::Claim(id) => {
            match tickets::claim(ctx.conn, id, desk.staff.telegram_user_id, ctx.now).await? {
                tickets::ClaimOutcome::Claimed => {
                    commands::after_taken(
                        ctx,
                        id,
                        &desk.staff,
                        Actor::Staff(desk.staff.telegram_user_id),
                        "claimed",
                    )
                    .await?;
                    let text = fill(texts::CLAIMED_BY_YOU.get(lang), &[("id", &id.to_string())]);
                    answer(ctx, q, Some(&text)).await
                }
                tickets::ClaimOutcome::NotFound => {
                    answer(ctx, q, Some(texts::BUTTON_EXPIRED.get(lang))).await
                }
                tickets::ClaimOutcome::Taken { status, assignee } => {
                    let text = commands::taken_text(ctx, lang, id, status, assignee).await?;
                    answer_alert(ctx, q, &text).await
                }
            }
        }
        Callback::Assign(id) => {
            let picker = commands::assign_picker(ctx, lang, id).await?;
            answer(ctx, q, None).await?;
            ctx.reply(
                from.chat_id,
                Request::text_with(
                    fill(texts::PICK_ASSIGNEE.get(lang), &[("id", &id.to_string())]),
                    picker,
                ),
            )
            .await?;
            Ok(())
        }
        Callback::GiveTo {
            ticket: id,
            staff_no,
        } => {
            let Some(target) = staff::find(ctx.conn, &format!("#{staff_no}")).await? else {
                return answer(ctx, q, Some(texts::BUTTON_EXPIRED.get(lang))).await;
            };
            let Some(t) = tickets::load(ctx.conn, id).await? else {
                return answer(ctx, q, Some(texts::BUTTON_EXPIRED.get(lang))).await;
            };
            answer(ctx, q, None).await?;
            commands::assign_to(ctx, &desk, &t, &target).await
        }
        Callback::QueuePage(page) => {
            answer(ctx, q, None).await?;
            match &q.message {
                Some(m) => commands::turn_page(ctx, from.chat_id, m.id().0, lang, page).await,
                None => Ok(()),
            }
        }
        _ => answer(ctx, q, Some(texts::BUTTON_EXPIRED.get(lang))).await,
    }
}

async fn answer_alert(ctx: &mut Ctx<'_>, q: &CallbackQuery, text: &str) -> Result<()> {
    let chat_id = q
        .message
        .as_ref()
        .map_or(i64::try_from(q.from.id.0)?, |m| m.chat().id.0);
    // answerCallbackQuery text is limited to 200 characters.
    let text: String = text.chars().take(200).collect();
    ctx.reply(
        chat_id,
        Request::AnswerCallbackQuery {
            callback_query_id: q.id.0.clone(),
            text: Some(text),
            show_alert: true,
        },
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_texts_split_without_losing_a_character() {
        let text = format!("{}\n{}", "a".repeat(3000), "b".repeat(3000));
        let parts = split_text(&text);
        assert_eq!(parts.len(), 2);
        assert!(parts.iter().all(|p| p.chars().count() <= MAX_TEXT));
        assert_eq!(parts.concat(), text);
        let one_line = "字".repeat(9000);
        let parts = split_text(&one_line);
        assert_eq!(parts.len(), 3);
        assert_eq!(parts.concat(), one_line);
        assert_eq!(split_text("hi"), vec!["hi".to_string()]);
    }

    #[test]
    fn staff_commands_parse_with_arguments() {
        assert_eq!(
            StaffCommand::parse("/claim 12", "bot").ok(),
            Some(StaffCommand::Claim("12".into()))
        );
        assert_eq!(
            StaffCommand::parse("/reply@bot 12 hello there", "bot").ok(),
            Some(StaffCommand::Reply("12 hello there".into()))
        );
        assert_eq!(
            StaffCommand::parse("/next", "bot").ok(),
            Some(StaffCommand::Next)
        );
        assert!(StaffCommand::parse("/start", "bot").is_err());
    }
}

//! The staff queue feature: filing tickets (called by the dialogues), the
//! card in the staff group, staff commands and buttons, and the owner's
//! side of a ticket. The router hands it messages and `t:` buttons.
//!
//! Staff are named in commands by staff number (`#3` or `3`), by Telegram
//! `@username` (remembered when they write to the bot), or by their exact
//! roster name.

pub mod admin;
pub mod ban;
pub mod canned;
pub mod card;
pub mod commands;
pub mod desk;
pub mod followup;
pub mod in_topic;
pub mod lost_topics;
pub mod menus;
pub mod newticket;
pub mod notify;
pub mod outcome;
pub mod owner;
pub mod phone;
pub mod queue;
pub mod replies;
pub mod topic;
pub mod transfer;
pub mod transitions;

use anyhow::Result;
use sqlx::PgConnection;
use teloxide::types::{CallbackQuery, Message, Update, UpdateKind};
use teloxide::utils::command::BotCommands;

pub use crate::domain::tickets::Actor;
pub use commands::{StaffCommand, COMMANDS};
use desk::{answer_alert, desk_lang};
pub use desk::{file_ticket, file_ticket_as, say, split_text, Desk, FiledTicket};
pub use owner::{my_tickets, owner_follow_up};

use crate::domain::staff;
use crate::domain::tickets::{self, transition};
use crate::outbox::Request;
use crate::processor::context::Ctx;
use crate::processor::reply::{answer, Sender};
use crate::telegram::callback::Callback;
use crate::texts::{self, fill};

/// Remembers staff members' @usernames as the messages of a batch show
/// them (before the batch is handled; a person not on the staff changes
/// nothing).
pub async fn remember(conn: &mut PgConnection, updates: &[(i64, &Update)]) -> Result<()> {
    let seen: Vec<(i64, Option<String>)> = updates
        .iter()
        .filter_map(|(_, update)| match &update.kind {
            UpdateKind::Message(msg) => msg.from.as_ref(),
            _ => None,
        })
        .filter_map(|user| Some((i64::try_from(user.id.0).ok()?, user.username.clone())))
        .collect();
    staff::remember_usernames(conn, &seen).await
}

/// A message in any chat: a staff member's words in a ticket's topic, a
/// staff command, or a staff member's Telegram reply to a bot message that
/// stands for a ticket. True if handled here.
pub async fn on_message(ctx: &mut Ctx<'_>, from: &Sender, msg: &Message) -> Result<bool> {
    if let Some(id) = in_topic::ticket_of(ctx, from, msg).await? {
        if in_topic::on_message(ctx, from, msg, id).await? {
            return Ok(true);
        }
    }
    let Some(text) = msg.text().or(msg.caption()) else {
        return on_reply(ctx, from, msg, "").await;
    };
    if !text.starts_with('/') {
        return on_reply(ctx, from, msg, text).await;
    }
    // In the staff group, /help lists the staff commands.
    if !from.private && is_help(text, &ctx.app.settings.bot_username) {
        let lang = desk_lang(ctx, from).await?;
        ctx.send(crate::outbox::Outgoing::new(
            from.chat_id,
            crate::outbox::Lane::Staff,
            crate::outbox::Request::text(crate::texts::STAFF_HELP.get(lang)),
        ))
        .await?;
        return Ok(true);
    }
    if ban::on_command(ctx, from, text).await? {
        return Ok(true);
    }
    let Ok(command) = StaffCommand::parse(text, &ctx.app.settings.bot_username) else {
        return Ok(false);
    };
    let who = staff::by_telegram_id(ctx.conn, from.user_id).await?;
    let Some(member) = who else {
        desk::refuse(
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
    let desk = Desk {
        staff: member,
        chat_id: from.chat_id,
        private: from.private,
        lang: desk_lang(ctx, from).await?,
    };
    let replied_to = match (&command, msg.reply_to_message()) {
        (StaffCommand::Canned(_), Some(original)) => {
            tickets::for_message(ctx.conn, from.chat_id, original.id.0).await?
        }
        _ => None,
    };
    commands::run(ctx, &desk, command, desk::photo_of(msg), replied_to).await?;
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
    let desk = Desk {
        staff: member,
        chat_id: from.chat_id,
        private: from.private,
        lang: desk_lang(ctx, from).await?,
    };
    let Some(t) = tickets::load(ctx.conn, id).await? else {
        return Ok(false);
    };
    replies::reply(ctx, &desk, &t, text, desk::photo_of(msg)).await?;
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
        Callback::Claim(_)
            | Callback::Assign(_)
            | Callback::GiveTo { .. }
            | Callback::QueuePage(_)
            | Callback::CannedPick(_)
            | Callback::CannedSend { .. }
            | Callback::FollowUpCall(_)
            | Callback::FollowUpNote(_)
            | Callback::FollowUpReopen(_)
            | Callback::StaffReopen(_)
            | Callback::NewTicketForm { .. }
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
    let desk = Desk {
        staff: member,
        chat_id: from.chat_id,
        private: from.private,
        lang: desk_lang(ctx, from).await?,
    };
    let lang = desk.lang;
    let needed = match button {
        Callback::Claim(_) => staff::StaffRole::Butler,
        Callback::Assign(_)
        | Callback::GiveTo { .. }
        | Callback::FollowUpCall(_)
        | Callback::FollowUpNote(_)
        | Callback::FollowUpReopen(_)
        | Callback::StaffReopen(_) => staff::StaffRole::Supervisor,
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
            let claim = transition::Transition::Claim;
            match transition::perform(ctx.conn, id, claim, desk.actor(), ctx.now).await? {
                Ok(done) => {
                    outcome::apply(ctx, &done).await?;
                    let text = outcome::confirmation(ctx, lang, &done).await?;
                    answer(ctx, q, Some(&text)).await
                }
                Err(transition::Refusal::NotFound) => {
                    answer(ctx, q, Some(texts::BUTTON_EXPIRED.get(lang))).await
                }
                Err(refusal) => {
                    let m = transition::Move::Claim;
                    let text = outcome::refusal_text(ctx, lang, id, m, refusal).await?;
                    answer_alert(ctx, q, &text).await
                }
            }
        }
        Callback::Assign(id) => {
            let picker = queue::assign_picker(ctx, lang, id).await?;
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
            answer(ctx, q, None).await?;
            let to = target.telegram_user_id;
            outcome::at_desk(ctx, &desk, id, transition::Transition::Assign { to })
                .await
                .map(drop)
        }
        Callback::CannedPick(_) | Callback::CannedSend { .. } => {
            canned::on_button(ctx, &desk, q, button).await
        }
        Callback::FollowUpCall(_) | Callback::FollowUpNote(_) => {
            followup::on_button(ctx, &desk, q, button).await
        }
        Callback::FollowUpReopen(id) | Callback::StaffReopen(id) => {
            // A supervisor's reopening also finishes the low-rating
            // follow-up (`outcome::apply`).
            answer(ctx, q, None).await?;
            let Some(t) = tickets::load(ctx.conn, id).await? else {
                return Ok(());
            };
            let deadline = crate::domain::office_settings::load(ctx.conn)
                .await?
                .deadline(t.kind, t.priority);
            outcome::at_desk(ctx, &desk, id, transition::Transition::Reopen { deadline })
                .await
                .map(drop)
        }
        Callback::NewTicketForm { step, press } => {
            newticket::on_button(ctx, &desk, q, step, press).await
        }
        Callback::QueuePage(page) => {
            answer(ctx, q, None).await?;
            match &q.message {
                Some(m) => queue::turn_page(ctx, from.chat_id, m.id().0, lang, page).await,
                None => Ok(()),
            }
        }
        _ => answer(ctx, q, Some(texts::BUTTON_EXPIRED.get(lang))).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

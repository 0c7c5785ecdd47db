//! Low ratings reach a person: a rating of 1–2 goes privately to the
//! supervisors (and managers) with the ticket, its history and three
//! buttons — call the owner back (their number, recorded as seen), reopen,
//! or note what came of it. The follow-up is a task due `follow_up_hours`
//! later (an office setting); a note or a reopening by a supervisor
//! finishes it, and past its deadline the scheduler chases it
//! ([`chase_overdue`]).

use anyhow::Result;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use teloxide::types::{CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message};

use super::desk::Desk;
use super::phone::{self, Via};
use super::{card, queue};
use crate::domain::departments::Department;
use crate::domain::office_settings;
use crate::domain::staff::{self, StaffRole};
use crate::domain::tickets::{self, follow_up, Actor, Ticket, TicketId};
use crate::i18n::Lang;
use crate::outbox::{self, Lane, Outgoing, Request};
use crate::processor::context::{App, Ctx};
use crate::processor::conversation::{self, Key, Waiting};
use crate::processor::reply::{answer, Sender};
use crate::telegram::callback::Callback;
use crate::texts;

/// Follow-ups chased per tick (the rest wait for the next).
const BATCH: i64 = 50;

/// The three buttons of a follow-up.
fn buttons(id: TicketId, lang: Lang) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new([
        vec![
            InlineKeyboardButton::callback(
                texts::desk::BUTTON_CALL_BACK.get(lang),
                Callback::FollowUpCall(id).encode(),
            ),
            InlineKeyboardButton::callback(
                texts::desk::BUTTON_FOLLOW_UP_REOPEN.get(lang),
                Callback::FollowUpReopen(id).encode(),
            ),
        ],
        vec![InlineKeyboardButton::callback(
            texts::desk::BUTTON_FOLLOW_UP_NOTE.get(lang),
            Callback::FollowUpNote(id).encode(),
        )],
    ])
}

/// The supervisors (and managers) of `department` who have a private chat
/// with the bot, each with their language: those the roster puts in that
/// department, else those in none (office-wide), else all of them.
async fn supervisors(conn: &mut PgConnection, department: Department) -> Result<Vec<(i64, Lang)>> {
    let mut own = Vec::new();
    let mut office_wide = Vec::new();
    let mut all = Vec::new();
    for s in staff::reachable_with_role_at_least(conn, StaffRole::Supervisor).await? {
        let entry = (s.telegram_user_id, s.language.unwrap_or(Lang::Zh));
        match s.department {
            Some(d) if d == department => own.push(entry),
            Some(_) => {}
            None => office_wide.push(entry),
        }
        all.push(entry);
    }
    Ok([own, office_wide, all]
        .into_iter()
        .find(|group| !group.is_empty())
        .unwrap_or_default())
}

/// A rating of 1–2 just landed on `t`: the follow-up gets its deadline and
/// each supervisor the ticket, its history and the buttons.
pub async fn low_rating(ctx: &mut Ctx<'_>, t: &Ticket, stars: i16) -> Result<()> {
    let hours = office_settings::load(ctx.conn).await?.follow_up_hours;
    let due = ctx.now + chrono::Duration::hours(i64::from(hours));
    let Some(due) = follow_up::open(ctx.conn, t.id, due).await? else {
        return Ok(());
    };
    let tz = ctx.app.settings.timezone;
    let assignee = card::assignee_of(ctx, t).await?;
    for (chat, lang) in supervisors(ctx.conn, t.department).await? {
        let header = texts::desk::LOW_RATING_SUPERVISOR.fill(
            lang,
            &[
                ("id", &t.id.to_string()),
                ("stars", &stars.to_string()),
                ("due", &card::local(due, tz)),
            ],
        );
        let body = card::render(t, assignee.as_ref(), lang, ctx.now, tz);
        let history = queue::history(ctx, t.id, lang).await?;
        send(
            ctx.conn,
            Some(ctx.update_id),
            chat,
            t.id,
            format!("{header}\n\n{body}\n\n{history}"),
            lang,
        )
        .await?;
    }
    Ok(())
}

/// The owner's comment on a low rating, to the same supervisors.
pub async fn low_rating_comment(ctx: &mut Ctx<'_>, t: &Ticket, text: &str) -> Result<()> {
    for (chat, lang) in supervisors(ctx.conn, t.department).await? {
        let line = format!(
            "{} {}",
            t.id,
            texts::desk::LOW_RATING_COMMENT.fill(lang, &[("text", text)])
        );
        let row = outbox::enqueue(
            ctx.conn,
            Some(ctx.update_id),
            &Outgoing::new(chat, Lane::Staff, Request::text(line)),
        )
        .await?;
        tickets::link_message(ctx.conn, row, t.id).await?;
    }
    Ok(())
}

/// A follow-up message with its buttons, linked to the ticket (a Telegram
/// reply to it answers the owner). Long texts are cut into parts; the
/// buttons go under the last.
async fn send(
    conn: &mut PgConnection,
    update_id: Option<i64>,
    chat: i64,
    id: TicketId,
    text: String,
    lang: Lang,
) -> Result<()> {
    let parts = super::desk::split_text(&text);
    let last = parts.len().saturating_sub(1);
    for (i, part) in parts.into_iter().enumerate() {
        let request = if i == last {
            Request::text_with(part, buttons(id, lang))
        } else {
            Request::text(part)
        };
        let row =
            outbox::enqueue(conn, update_id, &Outgoing::new(chat, Lane::Staff, request)).await?;
        tickets::link_message(conn, row, id).await?;
    }
    Ok(())
}

/// The follow-up buttons (supervisors only; the caller checked the role).
pub async fn on_button(
    ctx: &mut Ctx<'_>,
    desk: &Desk,
    q: &CallbackQuery,
    button: Callback,
) -> Result<()> {
    let id = match button {
        Callback::FollowUpCall(id) | Callback::FollowUpNote(id) | Callback::FollowUpReopen(id) => {
            id
        }
        _ => return answer(ctx, q, Some(texts::BUTTON_EXPIRED.get(desk.lang))).await,
    };
    let Some(t) = tickets::load(ctx.conn, id).await? else {
        return answer(ctx, q, Some(texts::BUTTON_EXPIRED.get(desk.lang))).await;
    };
    answer(ctx, q, None).await?;
    let ids = id.to_string();
    match button {
        Callback::FollowUpCall(_) => {
            let Some(number) =
                phone::reveal(ctx, &desk.staff, &t, desk.private, Via::CallBack).await?
            else {
                return desk
                    .say_phrase(ctx, texts::desk::NO_PHONE, &[("id", &ids)])
                    .await;
            };
            let who = card::contact(&t)
                .map(|(_, name, _)| name)
                .unwrap_or_default();
            let text = texts::desk::CALL_BACK.fill(
                desk.lang,
                &[("id", &ids), ("who", &who), ("phone", &number)],
            );
            let note = InlineKeyboardMarkup::new([[InlineKeyboardButton::callback(
                texts::desk::BUTTON_FOLLOW_UP_NOTE.get(desk.lang),
                Callback::FollowUpNote(id).encode(),
            )]]);
            ctx.reply(desk.chat_id, Request::text_with(text, note))
                .await?;
            Ok(())
        }
        Callback::FollowUpNote(_) => {
            if !follow_up::is_open(ctx.conn, id).await? {
                return desk
                    .say_phrase(ctx, texts::desk::FOLLOW_UP_NOT_OPEN, &[("id", &ids)])
                    .await;
            }
            let key = Key {
                chat_id: desk.chat_id,
                user_id: desk.staff.telegram_user_id,
            };
            conversation::wait_for(ctx, key, &Waiting::FollowUpNote { ticket: id.0 }).await?;
            desk.say_phrase(ctx, texts::desk::ASK_FOLLOW_UP_NOTE, &[("id", &ids)])
                .await
        }
        // The Reopen button is the desk's (`staff::on_button`): a
        // supervisor's reopening finishes the follow-up (`outcome::apply`).
        _ => Ok(()),
    }
}

/// A supervisor's answer to "what came of the follow-up": recorded as an
/// internal note, and the follow-up is done. True when it was the answer.
pub async fn on_waiting(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    msg: &Message,
    ticket: i64,
) -> Result<bool> {
    let key = Key {
        chat_id: from.chat_id,
        user_id: from.user_id,
    };
    let text = msg.text().unwrap_or_default().trim().to_string();
    if text.starts_with('/') {
        conversation::clear(ctx.conn, key).await?;
        return Ok(false);
    }
    let id = TicketId(ticket);
    let Some(member) = staff::by_telegram_id(ctx.conn, from.user_id).await? else {
        conversation::clear(ctx.conn, key).await?;
        return Ok(false);
    };
    let lang = card::staff_language(ctx, from.chat_id).await?;
    if text.is_empty() {
        let ask = texts::desk::ASK_FOLLOW_UP_NOTE.fill(lang, &[("id", &id.to_string())]);
        ctx.reply(from.chat_id, Request::text(ask)).await?;
        return Ok(true);
    }
    conversation::clear(ctx.conn, key).await?;
    tickets::add_event(
        ctx.conn,
        id,
        ctx.now,
        Actor::Staff(member.telegram_user_id),
        "follow_up_note",
        Some(&text),
        true,
        serde_json::Value::Null,
    )
    .await?;
    follow_up::finish(ctx.conn, id, ctx.now).await?;
    tracing::info!(
        ticket = id.0,
        by = member.staff_no,
        "low-rating follow-up recorded"
    );
    let done = texts::desk::FOLLOW_UP_DONE.fill(lang, &[("id", &id.to_string())]);
    ctx.reply(from.chat_id, Request::text(done)).await?;
    Ok(true)
}

/// Follow-ups past their deadline: each supervisor is reminded, with the
/// buttons, at most once per ping interval. Returns how many were chased.
pub async fn chase_overdue(
    conn: &mut PgConnection,
    app: &App,
    now: DateTime<Utc>,
) -> Result<usize> {
    let interval = office_settings::load(conn).await?.ping_interval_minutes;
    let due = follow_up::overdue(conn, now, interval, BATCH).await?;
    let tz = app.settings.timezone;
    for overdue in &due {
        let department = tickets::load(conn, overdue.id)
            .await?
            .map(|t| t.department)
            .unwrap_or_default();
        for (chat, lang) in supervisors(conn, department).await? {
            let text = texts::desk::FOLLOW_UP_CHASE.fill(
                lang,
                &[
                    ("id", &overdue.id.to_string()),
                    ("due", &card::local(overdue.due, tz)),
                ],
            );
            send(conn, None, chat, overdue.id, text, lang).await?;
        }
        follow_up::chased(conn, overdue.id, now).await?;
        tickets::add_event(
            conn,
            overdue.id,
            now,
            Actor::System,
            "follow_up_overdue",
            None,
            true,
            serde_json::Value::Null,
        )
        .await?;
    }
    Ok(due.len())
}

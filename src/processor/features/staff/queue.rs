//! Staff views of the queue: `/queue` (paged), `/mine`, `/ticket N` (the
//! card with its whole history) and the staff picker of the Assign button.

use anyhow::Result;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use super::desk::{chat_department, split_text, ticket_arg, Desk};
use super::{card, phone};
use crate::domain::staff::{self, StaffRole};
use crate::domain::tickets::{self, Ticket, TicketId};
use crate::i18n::Lang;
use crate::outbox::{Lane, Outgoing, Request, Target};
use crate::processor::context::Ctx;
use crate::telegram::callback::Callback;
use crate::texts;

/// Tickets per `/queue` page.
pub const PAGE: i64 = 10;

/// `/queue [page]`.
pub async fn queue(ctx: &mut Ctx<'_>, desk: &Desk, page: &str) -> Result<()> {
    let page = page.trim().parse::<i64>().unwrap_or(1).max(1);
    let (text, markup) = queue_page(ctx, desk.chat_id, desk.lang, page).await?;
    let request = Request::SendMessage {
        text,
        reply_markup: markup.map(Into::into),
        reply_to: None,
    };
    ctx.reply(desk.chat_id, request).await?;
    Ok(())
}

/// One line per ticket: `#12 🚨 报修 3-2-1101 · 2 小时 · 待认领`.
fn line(t: &Ticket, lang: Lang, now: chrono::DateTime<chrono::Utc>) -> String {
    let overdue = t.status.is_active()
        && (t.due_resolve_at.is_some_and(|d| d < now)
            || (t.first_response_at.is_none() && t.due_response_at.is_some_and(|d| d < now)));
    format!(
        "{}{} {} {} {} · {} · {}",
        if overdue { "⏰ " } else { "" },
        t.id,
        t.priority.label(lang),
        t.kind.label(lang),
        t.unit_code.as_deref().unwrap_or("-"),
        card::age(t.created_at, now, lang),
        t.status.label(lang)
    )
}

/// A page of `/queue` and its Prev / Next buttons.
/// In a department's own chat, only that department's tickets.
pub async fn queue_page(
    ctx: &mut Ctx<'_>,
    chat: i64,
    lang: Lang,
    page: i64,
) -> Result<(String, Option<InlineKeyboardMarkup>)> {
    let department = chat_department(ctx, chat).await?;
    let (list, total) = tickets::queue(ctx.conn, department, PAGE, (page - 1) * PAGE).await?;
    if total == 0 {
        return Ok((texts::QUEUE_EMPTY.get(lang).to_string(), None));
    }
    let pages = (total + PAGE - 1) / PAGE;
    let mut text = texts::QUEUE_HEADER.fill(
        lang,
        &[
            ("total", &total.to_string()),
            ("page", &page.to_string()),
            ("pages", &pages.to_string()),
        ],
    );
    for t in &list {
        text.push('\n');
        text.push_str(&line(t, lang, ctx.now));
    }
    let mut row = Vec::new();
    if page > 1 {
        row.push(InlineKeyboardButton::callback(
            texts::BUTTON_PREV.get(lang),
            Callback::QueuePage(page - 1).encode(),
        ));
    }
    if page < pages {
        row.push(InlineKeyboardButton::callback(
            texts::BUTTON_NEXT.get(lang),
            Callback::QueuePage(page + 1).encode(),
        ));
    }
    Ok((
        text,
        (!row.is_empty()).then(|| InlineKeyboardMarkup::new([row])),
    ))
}

pub async fn mine(ctx: &mut Ctx<'_>, desk: &Desk) -> Result<()> {
    let list = tickets::held_by(ctx.conn, desk.staff.telegram_user_id).await?;
    if list.is_empty() {
        return desk.say_phrase(ctx, texts::MINE_EMPTY, &[]).await;
    }
    let mut text = texts::MINE_HEADER.get(desk.lang).to_string();
    for t in &list {
        text.push('\n');
        text.push_str(&line(t, desk.lang, ctx.now));
    }
    for part in split_text(&text) {
        desk.say(ctx, part).await?;
    }
    Ok(())
}

/// `/ticket N`: the card, the full description and the whole history
/// (internal notes included — this is staff only).
pub async fn show(ctx: &mut Ctx<'_>, desk: &Desk, arg: &str) -> Result<()> {
    let Some(t) = ticket_arg(ctx, desk, arg).await? else {
        return Ok(());
    };
    let lang = desk.lang;
    let tz = ctx.app.settings.timezone;
    let assignee = card::assignee_of(ctx, &t).await?;
    let phone = phone::reveal(
        ctx,
        &desk.staff,
        &t,
        desk.private,
        phone::Via::TicketCommand,
    )
    .await?;
    let photos = tickets::photos(ctx.conn, t.id).await?;
    let view = card::View::Private {
        phone: phone.as_deref(),
        photos_below: true,
    };
    let mut text = card::render_view(&t, assignee.as_ref(), lang, ctx.now, tz, view);
    if t.description.chars().count() > 1500 {
        text.push_str(&format!("\n\n{}", t.description));
    }
    text.push_str(&format!("\n\n{}", history(ctx, t.id, lang).await?));
    for part in split_text(&text) {
        desk.say(ctx, part).await?;
    }
    // Every photo of the ticket, as the card says: below it.
    card::send_photos(ctx, desk.chat_id, t.id, &photos, &t.id.to_string()).await
}

/// A ticket's whole history (internal lines marked 🔒), one event a line,
/// under its heading: staff only.
pub async fn history(ctx: &mut Ctx<'_>, id: TicketId, lang: Lang) -> Result<String> {
    let tz = ctx.app.settings.timezone;
    let mut text = texts::HISTORY.get(lang).to_string();
    for e in tickets::history(ctx.conn, id).await? {
        let who = match (e.actor_kind.as_str(), e.actor_id) {
            ("staff", Some(id)) => match staff::by_telegram_id(ctx.conn, id).await? {
                Some(s) => s.display(lang),
                None => format!("staff {id}"),
            },
            ("owner", _) => texts::ACTOR_OWNER.get(lang).to_string(),
            _ => texts::ACTOR_SYSTEM.get(lang).to_string(),
        };
        text.push_str(&format!(
            "\n{} {}{} {}{}",
            card::local(e.at, tz),
            if e.internal { "🔒 " } else { "" },
            who,
            e.kind,
            e.body.map(|b| format!(": {b}")).unwrap_or_default()
        ));
    }
    Ok(text)
}

/// The staff picker shown by the Assign button (supervisors only).
pub async fn assign_picker(
    ctx: &mut Ctx<'_>,
    lang: Lang,
    id: TicketId,
) -> Result<InlineKeyboardMarkup> {
    let people = staff::with_role_at_least(ctx.conn, StaffRole::Butler).await?;
    let buttons: Vec<InlineKeyboardButton> = people
        .iter()
        .take(30)
        .map(|s| {
            InlineKeyboardButton::callback(
                format!("{} #{} {}", s.role.label(lang), s.staff_no, s.name),
                Callback::GiveTo {
                    ticket: id,
                    staff_no: s.staff_no,
                }
                .encode(),
            )
        })
        .collect();
    Ok(InlineKeyboardMarkup::new(
        buttons.chunks(2).map(<[_]>::to_vec),
    ))
}

/// Edits a `/queue` message to show another page.
pub async fn turn_page(
    ctx: &mut Ctx<'_>,
    chat: i64,
    message_id: i32,
    lang: Lang,
    page: i64,
) -> Result<()> {
    let (text, markup) = queue_page(ctx, chat, lang, page.max(1)).await?;
    ctx.send(Outgoing::new(
        chat,
        Lane::Reply,
        Request::EditMessageText {
            target: Target::Message(message_id),
            text,
            reply_markup: markup,
        },
    ))
    .await?;
    Ok(())
}

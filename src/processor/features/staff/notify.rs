//! What a ticket's changes tell its owner (in the owner's language, signed
//! by the office) and the staff who hold it.

use anyhow::Result;
use chrono::{DateTime, Utc};
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use super::phone::{self, Via};
use super::{card, desk::split_text};
use crate::domain::staff::Staff;
use crate::domain::tickets::{self, Ticket, TicketId};
use crate::i18n::Lang;
use crate::outbox::{Lane, Outgoing, Request};
use crate::processor::context::{chat_language, Ctx};
use crate::telegram::callback::Callback;
use crate::texts::{self, fill, Phrase};

async fn owner_lang(ctx: &mut Ctx<'_>, owner: i64) -> Result<Lang> {
    Ok(chat_language(ctx.conn, owner).await?.unwrap_or(Lang::Zh))
}

/// A status push to the owner of `t` (nothing if it has no owner chat).
async fn push(
    ctx: &mut Ctx<'_>,
    t: &Ticket,
    phrase: Phrase,
    vars: &[(&str, &str)],
    markup: Option<InlineKeyboardMarkup>,
) -> Result<()> {
    let Some(owner) = t.owner_chat_id else {
        return Ok(());
    };
    let lang = owner_lang(ctx, owner).await?;
    let mut all = vec![("id", t.id.to_string())];
    all.extend(vars.iter().map(|(k, v)| (*k, (*v).to_string())));
    let pairs: Vec<(&str, &str)> = all.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let text = phrase.fill(lang, &pairs);
    let request = Request::SendMessage {
        text,
        reply_markup: markup.map(Into::into),
        reply_to: None,
    };
    ctx.reply(owner, request).await?;
    Ok(())
}

/// Taken (claimed or assigned); the caller tells only the first taking.
pub async fn owner_taken(ctx: &mut Ctx<'_>, t: &Ticket, holder: &Staff) -> Result<()> {
    let Some(owner) = t.owner_chat_id else {
        return Ok(());
    };
    let lang = owner_lang(ctx, owner).await?;
    push(
        ctx,
        t,
        texts::PUSH_TAKEN,
        &[("who", &holder.signature(lang))],
        None,
    )
    .await
}

/// A staff reply, split if longer than Telegram allows; returns the number
/// of messages.
pub async fn owner_reply(
    ctx: &mut Ctx<'_>,
    t: &Ticket,
    from: &Staff,
    text: &str,
    photo: Option<&str>,
) -> Result<usize> {
    let Some(owner) = t.owner_chat_id else {
        return Ok(0);
    };
    let lang = owner_lang(ctx, owner).await?;
    let header = fill(
        texts::REPLY_HEADER.get(lang),
        &[("who", &from.signature(lang)), ("id", &t.id.to_string())],
    );
    let full = if text.is_empty() {
        header
    } else {
        format!("{header}\n{text}")
    };
    let mut parts = split_text(&full);
    if let Some(p) = photo {
        // A caption holds 1024 characters; a longer text follows the photo.
        let caption = (full.chars().count() <= 1024).then(|| full.clone());
        if caption.is_some() {
            parts.clear();
        }
        ctx.reply(
            owner,
            Request::SendPhoto {
                photo: p.to_string(),
                caption,
                reply_markup: None,
            },
        )
        .await?;
    }
    let n = parts.len().max(1);
    for part in parts {
        ctx.reply(owner, Request::text(part)).await?;
    }
    Ok(n)
}

pub async fn owner_scheduled(ctx: &mut Ctx<'_>, t: &Ticket, at: DateTime<Utc>) -> Result<()> {
    let when = card::local(at, ctx.app.settings.timezone);
    push(ctx, t, texts::PUSH_SCHEDULED, &[("at", &when)], None).await
}

pub async fn owner_reopened(ctx: &mut Ctx<'_>, t: &Ticket) -> Result<()> {
    push(ctx, t, texts::PUSH_REOPENED, &[], None).await
}

/// Resolved: the note (and photo of the finished work), then 1–5 rating
/// buttons.
pub async fn owner_resolved(
    ctx: &mut Ctx<'_>,
    t: &Ticket,
    by: &Staff,
    note: &str,
    photo: Option<&str>,
) -> Result<()> {
    let Some(owner) = t.owner_chat_id else {
        return Ok(());
    };
    let lang = owner_lang(ctx, owner).await?;
    if !note.is_empty() || photo.is_some() {
        owner_reply(ctx, t, by, note, photo).await?;
    }
    push(
        ctx,
        t,
        texts::PUSH_RESOLVED,
        &[],
        Some(rating_buttons(t.id, lang)),
    )
    .await
}

/// ⭐1 … ⭐5.
#[must_use]
pub fn rating_buttons(id: TicketId, _lang: Lang) -> InlineKeyboardMarkup {
    let row: Vec<InlineKeyboardButton> = (1..=5)
        .map(|stars| {
            let data = Callback::Rate { ticket: id, stars }.encode();
            InlineKeyboardButton::callback(format!("{stars}⭐"), data)
        })
        .collect();
    InlineKeyboardMarkup::new([row])
}

/// Tells the staff member who now holds ticket `id` — who claimed it
/// (`Via::Claimed`) or was given it (`Via::Assigned`) — in their private
/// chat, if they have one with the bot: the card with the owner's full
/// number (recorded in the ticket's audit trail), which they can reply to.
pub async fn holder_notice(ctx: &mut Ctx<'_>, id: TicketId, to: &Staff, via: Via) -> Result<()> {
    if !crate::domain::chats::has_open_private_chat(ctx.conn, to.telegram_user_id).await? {
        return Ok(());
    }
    let Some(t) = tickets::load(ctx.conn, id).await? else {
        return Ok(());
    };
    let lang = owner_lang(ctx, to.telegram_user_id).await?;
    let phone = phone::reveal(ctx, to, &t, true, via).await?;
    let header = match via {
        Via::Assigned => texts::ASSIGNED_TO_YOU,
        _ => texts::desk::HOLDER_NOTICE,
    };
    let view = card::View::Private {
        phone: phone.as_deref(),
        photos_below: false,
    };
    let text = format!(
        "{}\n\n{}",
        header.fill(lang, &[("id", &id.to_string())]),
        card::render_view(&t, Some(to), lang, ctx.now, ctx.app.settings.timezone, view)
    );
    let request = Request::text_with(
        text,
        InlineKeyboardMarkup::new([[card::canned_button(t.id, lang)]]),
    );
    let row = ctx
        .send(Outgoing::new(to.telegram_user_id, Lane::Staff, request))
        .await?;
    tickets::link_message(ctx.conn, row, id).await
}

/// A notice about `id` in its staff chat, where its card is (in its topic
/// if it has one; linked, so replies reach the owner).
pub async fn staff_group(
    ctx: &mut Ctx<'_>,
    id: TicketId,
    phrase: Phrase,
    vars: &[(&str, &str)],
) -> Result<()> {
    let Some(t) = tickets::load(ctx.conn, id).await? else {
        return Ok(());
    };
    let Some((chat, thread)) = card::ticket_place(ctx.conn, ctx.app, &t).await? else {
        return Ok(());
    };
    let lang = card::staff_language(ctx, chat).await?;
    let mut all = vec![("id", id.to_string())];
    all.extend(vars.iter().map(|(k, v)| (*k, (*v).to_string())));
    let pairs: Vec<(&str, &str)> = all.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let request = Request::text(phrase.fill(lang, &pairs));
    let out = Outgoing::new(chat, Lane::Staff, request).in_thread(thread);
    let row = ctx.send(out).await?;
    tickets::link_message(ctx.conn, row, id).await
}

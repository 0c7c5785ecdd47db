//! The owner's side of a ticket: /mytickets, cancelling with a reason,
//! rating, reopening, and follow-up messages relayed to whoever holds it.

use anyhow::Result;
use chrono::Duration;
use teloxide::types::{CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message};

use super::{card, commands::photo_of, notify, Actor};
use crate::domain::office_settings;
use crate::domain::tickets::{self, PromptPurpose, Ticket, TicketId, TicketStatus};
use crate::i18n::Lang;
use crate::processor::context::{chat_language, Ctx};
use crate::processor::router::{answer, remove_buttons};
use crate::telegram::outbox::{Lane, Outgoing, Request};
use crate::texts::{self, fill};

/// `/mytickets`: the owner's last tickets with their status, and buttons to
/// cancel an active one or reopen a recently resolved one.
pub async fn my_tickets(ctx: &mut Ctx<'_>, chat_id: i64, lang: Lang) -> Result<()> {
    let list = tickets::of_owner(ctx.conn, chat_id, 10).await?;
    if list.is_empty() {
        ctx.reply(chat_id, Request::text(texts::MYTICKETS_EMPTY.get(lang)))
            .await?;
        return Ok(());
    }
    let window = i64::from(office_settings::load(ctx.conn).await?.reopen_days);
    let tz = ctx.app.settings.timezone;
    let mut text = texts::MYTICKETS_HEADER.get(lang).to_string();
    let mut rows = Vec::new();
    for t in &list {
        text.push_str(&format!(
            "\n{} · {} · {} · {}",
            t.id,
            t.kind.label(lang),
            t.status.label(lang),
            card::local(t.created_at, tz)
        ));
        if t.status.is_active() {
            rows.push(vec![InlineKeyboardButton::callback(
                fill(
                    texts::BUTTON_CANCEL_TICKET.get(lang),
                    &[("id", &t.id.to_string())],
                ),
                format!("t:x:{}", t.id.0),
            )]);
        } else if may_reopen(t, ctx.now, window) {
            rows.push(vec![InlineKeyboardButton::callback(
                fill(
                    texts::BUTTON_REOPEN_TICKET.get(lang),
                    &[("id", &t.id.to_string())],
                ),
                format!("t:o:{}", t.id.0),
            )]);
        }
    }
    let request = if rows.is_empty() {
        Request::text(text)
    } else {
        Request::text_with(text, InlineKeyboardMarkup::new(rows))
    };
    ctx.reply(chat_id, request).await?;
    Ok(())
}

fn may_reopen(t: &Ticket, now: chrono::DateTime<chrono::Utc>, days: i64) -> bool {
    t.status == TicketStatus::Resolved
        && t.resolved_at
            .is_some_and(|r| now - r <= Duration::days(days))
}

/// The ticket a button names, if it belongs to the owner pressing it (a
/// forged button for someone else's ticket finds nothing).
async fn own_ticket(ctx: &mut Ctx<'_>, chat_id: i64, id: &str) -> Result<Option<Ticket>> {
    let Some(id) = TicketId::parse(id) else {
        return Ok(None);
    };
    Ok(tickets::load(ctx.conn, id)
        .await?
        .filter(|t| t.owner_chat_id == Some(chat_id)))
}

/// Owner buttons: `x` cancel, `r` rate, `o` reopen, `s` skip the comment.
pub async fn on_button(
    ctx: &mut Ctx<'_>,
    chat_id: i64,
    lang: Lang,
    q: &CallbackQuery,
    action: &str,
    rest: &str,
) -> Result<()> {
    let (id, arg) = rest.split_once(':').unwrap_or((rest, ""));
    let Some(t) = own_ticket(ctx, chat_id, id).await? else {
        tracing::warn!(chat_id, data = ?q.data, "ticket button for a ticket that is not this owner's");
        return answer(ctx, q, Some(texts::BUTTON_EXPIRED.get(lang))).await;
    };
    match action {
        "x" if t.status.is_active() => {
            tickets::set_prompt(
                ctx.conn,
                chat_id,
                t.id,
                PromptPurpose::CancelReason,
                ctx.now + ctx.app.settings.prompt_ttl,
            )
            .await?;
            answer(ctx, q, None).await?;
            say(
                ctx,
                chat_id,
                fill(
                    texts::ASK_CANCEL_REASON.get(lang),
                    &[("id", &t.id.to_string())],
                ),
            )
            .await
        }
        "r" => rate(ctx, chat_id, lang, q, &t, arg).await,
        "o" => {
            let office = office_settings::load(ctx.conn).await?;
            let window = i64::from(office.reopen_days);
            let deadline = office.deadline(t.kind, t.priority);
            if !may_reopen(&t, ctx.now, window)
                || !tickets::reopen(ctx.conn, t.id, ctx.now, deadline).await?
            {
                return answer(ctx, q, Some(texts::CANNOT_REOPEN.get(lang))).await;
            }
            tickets::add_event(
                ctx.conn,
                t.id,
                ctx.now,
                Actor::Owner(Some(chat_id)),
                "reopened",
                None,
                false,
                serde_json::Value::Null,
            )
            .await?;
            card::refresh(ctx, t.id).await?;
            notify::staff_group(ctx, t.id, texts::STAFF_OWNER_REOPENED, &[]).await?;
            answer(ctx, q, None).await?;
            notify_reopened(ctx, &t).await
        }
        "s" => {
            tickets::clear_prompt(ctx.conn, chat_id).await?;
            answer(ctx, q, None).await?;
            say(ctx, chat_id, texts::THANKS_FOR_RATING.get(lang).to_string()).await
        }
        _ => answer(ctx, q, Some(texts::BUTTON_EXPIRED.get(lang))).await,
    }
}

async fn notify_reopened(ctx: &mut Ctx<'_>, t: &Ticket) -> Result<()> {
    notify::owner_reopened(ctx, t).await
}

async fn rate(
    ctx: &mut Ctx<'_>,
    chat_id: i64,
    lang: Lang,
    q: &CallbackQuery,
    t: &Ticket,
    arg: &str,
) -> Result<()> {
    let Some(stars) = arg.parse::<i16>().ok().filter(|s| (1..=5).contains(s)) else {
        return answer(ctx, q, Some(texts::BUTTON_EXPIRED.get(lang))).await;
    };
    if !tickets::rate(ctx.conn, t.id, ctx.now, stars).await? {
        return answer(ctx, q, Some(texts::ALREADY_RATED.get(lang))).await;
    }
    let low = stars <= 2;
    tickets::add_event(
        ctx.conn,
        t.id,
        ctx.now,
        Actor::Owner(Some(chat_id)),
        "rated",
        Some(&stars.to_string()),
        false,
        serde_json::json!({ "rating": stars }),
    )
    .await?;
    answer(ctx, q, None).await?;
    remove_buttons(ctx, q).await?;
    card::refresh(ctx, t.id).await?;
    tickets::set_prompt(
        ctx.conn,
        chat_id,
        t.id,
        PromptPurpose::RatingComment,
        ctx.now + ctx.app.settings.prompt_ttl,
    )
    .await?;
    let skip = InlineKeyboardMarkup::new([[InlineKeyboardButton::callback(
        texts::BUTTON_SKIP.get(lang),
        format!("t:s:{}", t.id.0),
    )]]);
    if low {
        tickets::add_event(
            ctx.conn,
            t.id,
            ctx.now,
            Actor::System,
            "follow_up",
            Some(&stars.to_string()),
            true,
            serde_json::Value::Null,
        )
        .await?;
        notify::staff_group(
            ctx,
            t.id,
            texts::STAFF_LOW_RATING,
            &[("stars", &stars.to_string())],
        )
        .await?;
        let markup = InlineKeyboardMarkup::new([
            vec![InlineKeyboardButton::callback(
                fill(
                    texts::BUTTON_REOPEN_TICKET.get(lang),
                    &[("id", &t.id.to_string())],
                ),
                format!("t:o:{}", t.id.0),
            )],
            vec![InlineKeyboardButton::callback(
                texts::BUTTON_SKIP.get(lang),
                format!("t:s:{}", t.id.0),
            )],
        ]);
        ctx.reply(
            chat_id,
            Request::text_with(texts::LOW_RATING_SORRY.get(lang), markup),
        )
        .await?;
    } else {
        ctx.reply(
            chat_id,
            Request::text_with(texts::ASK_RATING_COMMENT.get(lang), skip),
        )
        .await?;
    }
    Ok(())
}

async fn say(ctx: &mut Ctx<'_>, chat: i64, text: String) -> Result<()> {
    ctx.reply(chat, Request::text(text)).await?;
    Ok(())
}

/// An owner's message outside any dialogue: the answer to a pending
/// question (cancel reason, rating comment), or a follow-up on their active
/// ticket, attached to it and relayed to the holder (or the staff group).
/// Returns false when it is neither, so the caller can start a new
/// conversation.
pub async fn owner_follow_up(ctx: &mut Ctx<'_>, owner_chat_id: i64, msg: &Message) -> Result<bool> {
    let lang = chat_language(ctx.conn, owner_chat_id)
        .await?
        .unwrap_or(Lang::Zh);
    let text = msg
        .text()
        .or(msg.caption())
        .unwrap_or_default()
        .trim()
        .to_string();
    let photo = photo_of(msg);
    if !text.is_empty() {
        if let Some((id, purpose)) = tickets::take_prompt(ctx.conn, owner_chat_id, ctx.now).await? {
            return answer_prompt(ctx, owner_chat_id, lang, id, purpose, &text).await;
        }
    }
    if text.is_empty() && photo.is_none() {
        return Ok(false);
    }
    let Some(t) = tickets::latest_active_of_owner(ctx.conn, owner_chat_id).await? else {
        return Ok(false);
    };
    tickets::add_event(
        ctx.conn,
        t.id,
        ctx.now,
        Actor::Owner(Some(owner_chat_id)),
        "owner_message",
        (!text.is_empty()).then_some(text.as_str()),
        false,
        serde_json::json!({ "photo": photo }),
    )
    .await?;
    if let Some(p) = &photo {
        tickets::attach(ctx.conn, t.id, p, ctx.now).await?;
    }
    relay_to_staff(ctx, &t, &text, photo.as_deref()).await?;
    say(
        ctx,
        owner_chat_id,
        fill(
            texts::FOLLOW_UP_RELAYED.get(lang),
            &[("id", &t.id.to_string())],
        ),
    )
    .await?;
    Ok(true)
}

async fn answer_prompt(
    ctx: &mut Ctx<'_>,
    chat: i64,
    lang: Lang,
    id: TicketId,
    purpose: PromptPurpose,
    text: &str,
) -> Result<bool> {
    match purpose {
        PromptPurpose::CancelReason => {
            if !tickets::cancel(ctx.conn, id, ctx.now).await? {
                say(
                    ctx,
                    chat,
                    fill(texts::CANNOT_CANCEL.get(lang), &[("id", &id.to_string())]),
                )
                .await?;
                return Ok(true);
            }
            tickets::add_event(
                ctx.conn,
                id,
                ctx.now,
                Actor::Owner(Some(chat)),
                "cancelled",
                Some(text),
                false,
                serde_json::Value::Null,
            )
            .await?;
            card::refresh(ctx, id).await?;
            say(
                ctx,
                chat,
                fill(texts::CANCELLED_OK.get(lang), &[("id", &id.to_string())]),
            )
            .await?;
        }
        PromptPurpose::RatingComment => {
            tickets::set_rating_comment(ctx.conn, id, text).await?;
            tickets::add_event(
                ctx.conn,
                id,
                ctx.now,
                Actor::Owner(Some(chat)),
                "rating_comment",
                Some(text),
                false,
                serde_json::Value::Null,
            )
            .await?;
            let low: bool = sqlx::query_scalar(
                "SELECT COALESCE(rating <= 2, FALSE) FROM tickets WHERE id = $1",
            )
            .bind(id.0)
            .fetch_one(&mut *ctx.conn)
            .await?;
            if low {
                notify::staff_group(ctx, id, texts::STAFF_RATING_COMMENT, &[("text", text)])
                    .await?;
            }
            say(ctx, chat, texts::THANKS_FOR_RATING.get(lang).to_string()).await?;
        }
    }
    Ok(true)
}

/// To the holder's private chat when they have one with the bot, else the
/// staff group; linked to the ticket so a Telegram reply answers the owner.
async fn relay_to_staff(
    ctx: &mut Ctx<'_>,
    t: &Ticket,
    text: &str,
    photo: Option<&str>,
) -> Result<()> {
    let holder_chat = match t.assignee {
        Some(a) => {
            sqlx::query_scalar::<_, i64>(
                "SELECT chat_id FROM chats WHERE chat_id = $1 AND blocked_at IS NULL",
            )
            .bind(a)
            .fetch_optional(&mut *ctx.conn)
            .await?
        }
        None => None,
    };
    let Some(chat) = holder_chat.or(ctx.app.settings.staff_chat_id) else {
        tracing::warn!(
            ticket = t.id.0,
            "owner follow-up has nowhere to go: no holder chat, no staff group"
        );
        return Ok(());
    };
    let lang = card::staff_language(ctx, chat).await?;
    let header = fill(
        texts::RELAYED_HEADER.get(lang),
        &[
            ("id", &t.id.to_string()),
            ("unit", t.unit_code.as_deref().unwrap_or("-")),
        ],
    );
    let body = if text.is_empty() {
        header
    } else {
        format!("{header}\n{text}")
    };
    let request = match photo {
        Some(p) if body.chars().count() <= 1024 => Request::SendPhoto {
            photo: p.to_string(),
            caption: Some(body),
            reply_markup: None,
        },
        Some(p) => {
            let row = ctx
                .send(Outgoing::new(
                    chat,
                    Lane::Staff,
                    Request::SendPhoto {
                        photo: p.to_string(),
                        caption: None,
                        reply_markup: None,
                    },
                ))
                .await?;
            tickets::link_message(ctx.conn, row, t.id).await?;
            Request::text(body)
        }
        None => Request::text(body),
    };
    for request in super::split_request(request) {
        let row = ctx.send(Outgoing::new(chat, Lane::Staff, request)).await?;
        tickets::link_message(ctx.conn, row, t.id).await?;
    }
    Ok(())
}

//! `/forgetme`: an owner asks for their personal data to be erased. The
//! bot explains what goes and what stays and asks twice, by buttons; the
//! second button carries the nonce the first press stored and works for
//! ten minutes (`domain::erasure_requests`). Then `domain::erasure::forget`
//! erases them in this update's transaction, the staff group is told (that
//! an erasure happened, not whose), and the owner is told it is done.
//!
//! A press in a group, a forged or replayed second button, or one pressed
//! too late erases nothing and says why.

use anyhow::Result;
use teloxide::types::{CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message};

use crate::domain::erasure::{self, RequestedBy};
use crate::domain::erasure_requests::{self, Second, CONFIRM_WITHIN};
use crate::outbox::{Lane, Outgoing, Request};
use crate::processor::commands::{Chats, Command, Feature, Who};
use crate::processor::context::Ctx;
use crate::processor::reply::{answer, remove_buttons, Sender};
use crate::telegram::callback::Callback;
use crate::texts::{self, erasure as t, fill};

/// `/forgetme`, in a private chat, for anyone.
pub const COMMANDS: &[Command] =
    &[
        Command::new("forgetme", Feature::Erasure, Chats::Private, Who::Anyone)
            .described(t::CMD_FORGETME),
    ];

/// `/forgetme`: the first question.
pub async fn on_message(ctx: &mut Ctx<'_>, from: &Sender, _msg: &Message) -> Result<bool> {
    let lang = from.lang;
    let buttons = InlineKeyboardMarkup::new([[
        InlineKeyboardButton::callback(
            t::BUTTON_CONTINUE.get(lang),
            Callback::ForgetContinue.encode(),
        ),
        InlineKeyboardButton::callback(t::BUTTON_KEEP.get(lang), Callback::ForgetKeep.encode()),
    ]]);
    ctx.reply(from.chat_id, Request::text_with(t::ASK.get(lang), buttons))
        .await?;
    Ok(true)
}

/// The buttons of both questions.
pub async fn on_button(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    q: &CallbackQuery,
    button: Callback,
) -> Result<()> {
    let lang = from.lang;
    // Only in the person's own private chat, and only ever about the
    // person who pressed.
    if !from.private || from.chat_id != from.user_id {
        return answer(ctx, q, Some(t::PRIVATE_ONLY.get(lang))).await;
    }
    let minutes = CONFIRM_WITHIN.num_minutes().to_string();
    match button {
        Callback::ForgetContinue => {
            let nonce = erasure_requests::confirm_first(ctx.conn, from.user_id, ctx.now).await?;
            answer(ctx, q, None).await?;
            remove_buttons(ctx, q).await?;
            let buttons = InlineKeyboardMarkup::new([[
                InlineKeyboardButton::callback(
                    t::BUTTON_ERASE.get(lang),
                    Callback::ForgetErase(nonce).encode(),
                ),
                InlineKeyboardButton::callback(
                    t::BUTTON_KEEP.get(lang),
                    Callback::ForgetKeep.encode(),
                ),
            ]]);
            let text = fill(t::ASK_AGAIN.get(lang), &[("minutes", &minutes)]);
            ctx.reply(from.chat_id, Request::text_with(text, buttons))
                .await?;
        }
        Callback::ForgetKeep => {
            erasure_requests::withdraw(ctx.conn, from.user_id).await?;
            answer(ctx, q, None).await?;
            remove_buttons(ctx, q).await?;
            ctx.reply(from.chat_id, Request::text(t::KEPT.get(lang)))
                .await?;
        }
        Callback::ForgetErase(nonce) => {
            match erasure_requests::take(ctx.conn, from.user_id, nonce, ctx.now).await? {
                Second::Invalid => {
                    answer(ctx, q, None).await?;
                    ctx.reply(from.chat_id, Request::text(t::NOT_VALID.get(lang)))
                        .await?;
                }
                Second::Expired => {
                    answer(ctx, q, None).await?;
                    remove_buttons(ctx, q).await?;
                    let text = fill(t::EXPIRED.get(lang), &[("minutes", &minutes)]);
                    ctx.reply(from.chat_id, Request::text(text)).await?;
                }
                Second::Valid => erase(ctx, from, q).await?,
            }
        }
        _ => answer(ctx, q, Some(texts::BUTTON_EXPIRED.get(lang))).await?,
    }
    Ok(())
}

/// Erases the person, then answers: what was sent to them before is gone,
/// what is queued now (these answers) still goes.
async fn erase(ctx: &mut Ctx<'_>, from: &Sender, q: &CallbackQuery) -> Result<()> {
    let erased = erasure::forget(
        ctx.conn,
        from.user_id,
        Some(ctx.update_id),
        RequestedBy::Owner,
    )
    .await?;
    tracing::info!(
        tickets = erased.tickets,
        updates = erased.updates,
        "an owner's personal data was erased at their request"
    );
    let tickets = erased.tickets.to_string();
    answer(ctx, q, None).await?;
    remove_buttons(ctx, q).await?;
    let done = t::DONE.fill(from.lang, &[("tickets", &tickets)]);
    ctx.reply(from.chat_id, Request::text(done)).await?;
    if let Some(staff) = ctx.app.settings.staff_chat_id {
        let lang = super::staff::card::staff_language(ctx, staff).await?;
        let notice = t::STAFF_NOTICE.fill(lang, &[("tickets", &tickets)]);
        ctx.send(Outgoing::new(staff, Lane::Staff, Request::text(notice)))
            .await?;
    }
    Ok(())
}

//! Free text: a private message outside any question is read by the intents
//! the dialogue files declare (`engine::intent`) and starts the dialogue it
//! means, with what it already says filled in — an emergency with the duty
//! phone at once. Words that fit two intents, or a message about two
//! problems, get a question with buttons; nothing we know, the menu.
//!
//! Bad input is answered and nothing is stored: a message too long to be
//! one request, one without a single letter or digit (emoji), a sticker.
//! The buttons carry the message's update id, not its text: on a press the
//! text is read back from the inbox (of the same chat only), so asking
//! stores no conversation.

use anyhow::Result;
use teloxide::types::{CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup};

use super::{dialogue, menu};
use crate::domain::{people, units};
use crate::engine::intent::{Intent, Route};
use crate::outbox::Request;
use crate::processor::context::Ctx;
use crate::processor::main_menu::main_menu;
use crate::processor::reply::{answer, remove_buttons, Sender};
use crate::telegram::callback::Callback;
use crate::texts::{self, Phrase};

/// The longest message read as one request: a description takes at most
/// this much (the `details` questions of the dialogue files).
pub const MAX_FREE_TEXT: usize = 2000;

/// A private text that no question was waiting for.
pub async fn on_text(ctx: &mut Ctx<'_>, from: &Sender, text: &str) -> Result<()> {
    let lang = from.lang;
    let len = text.chars().count();
    if len > MAX_FREE_TEXT {
        let (len, max) = (len.to_string(), MAX_FREE_TEXT.to_string());
        let reply = texts::intents::TOO_LONG.fill(lang, &[("len", &len), ("max", &max)]);
        return with_menu(ctx, from, reply).await;
    }
    if !text.chars().any(char::is_alphanumeric) {
        return with_menu(ctx, from, texts::intents::NO_WORDS.get(lang).to_string()).await;
    }
    let app = ctx.app;
    match app.dialogues.intents().route(text) {
        Route::Nothing => menu::on_text(ctx, from, text).await,
        Route::One(intent) => start(ctx, from, intent, text).await,
        Route::Ambiguous(offered) => ask(ctx, from, &offered, texts::intents::WHICH_ONE).await,
        Route::Several(offered) => ask(ctx, from, &offered, texts::intents::WHICH_FIRST).await,
    }
}

/// A sticker outside any question.
pub async fn on_sticker(ctx: &mut Ctx<'_>, from: &Sender) -> Result<()> {
    with_menu(
        ctx,
        from,
        texts::intents::STICKER.get(from.lang).to_string(),
    )
    .await
}

/// Whether `text` reads as an emergency.
#[must_use]
pub fn is_urgent(ctx: &Ctx<'_>, text: &str) -> bool {
    matches!(ctx.app.dialogues.intents().route(text), Route::One(i) if i.is_urgent())
}

/// The duty phone, at once, for an emergency that went somewhere else
/// than the urgent repair (a follow-up on an open ticket, the offer to
/// reopen one).
pub async fn duty_phone_now(ctx: &mut Ctx<'_>, from: &Sender) -> Result<()> {
    let phone = ctx.app.settings.duty_phone.clone();
    let text = texts::intents::URGENT.fill(from.lang, &[("duty_phone", &phone)]);
    ctx.reply(from.chat_id, Request::text(text)).await?;
    Ok(())
}

/// A button of [`ask`]: the intent meant, or none of them.
pub async fn on_button(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    q: &CallbackQuery,
    button: Callback,
) -> Result<()> {
    let lang = from.lang;
    let (update, name) = match button {
        Callback::Intent { update, name } => (update, name),
        Callback::IntentNone => {
            answer(ctx, q, None).await?;
            remove_buttons(ctx, q).await?;
            return with_menu(ctx, from, texts::MENU.get(lang).to_string()).await;
        }
        _ => return answer(ctx, q, Some(texts::BUTTON_EXPIRED.get(lang))).await,
    };
    let app = ctx.app;
    let intent = app.dialogues.intents().get(&name);
    let text = crate::inbox::text_of(ctx.conn, from.chat_id, update).await?;
    let (Some(intent), Some(text)) = (intent, text) else {
        // Pruned from the inbox, a dialogue file changed, or forged.
        return answer(ctx, q, Some(texts::BUTTON_EXPIRED.get(lang))).await;
    };
    answer(ctx, q, None).await?;
    remove_buttons(ctx, q).await?;
    start(ctx, from, intent, &text).await
}

/// Starts `intent`'s dialogue with what `text` says (a repair of a kind an
/// outage is declared for is offered to join it by the dialogue).
async fn start(ctx: &mut Ctx<'_>, from: &Sender, intent: &Intent, text: &str) -> Result<()> {
    if intent.is_urgent() && asks_unit_first(ctx, from).await? {
        duty_phone_now(ctx, from).await?;
    }
    dialogue::start_prefilled(ctx, from, &intent.dialogue, &intent.prefill(text)).await
}

/// Whether the dialogue will first ask which unit (the person has several):
/// an emergency's duty phone must not wait behind that question.
async fn asks_unit_first(ctx: &mut Ctx<'_>, from: &Sender) -> Result<bool> {
    let Some(person) = people::find_person_by_telegram_id(ctx.conn, from.user_id).await? else {
        return Ok(false);
    };
    Ok(units::units_of_person(ctx.conn, person.id).await?.len() > 1)
}

/// `question` with a button per intent offered (dialogue · label) and one
/// for none of them.
async fn ask(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    offered: &[&Intent],
    question: Phrase,
) -> Result<()> {
    let lang = from.lang;
    let mut rows: Vec<Vec<InlineKeyboardButton>> = offered
        .iter()
        .map(|i| {
            let title = ctx
                .app
                .dialogues
                .get(&i.dialogue)
                .map_or(i.dialogue.as_str(), |d| d.title.get(lang));
            let label = texts::intents::OPTION
                .fill(lang, &[("dialogue", title), ("label", i.label.get(lang))]);
            let data = Callback::Intent {
                update: ctx.update_id,
                name: i.name.clone(),
            };
            vec![InlineKeyboardButton::callback(label, data.encode())]
        })
        .collect();
    rows.push(vec![InlineKeyboardButton::callback(
        texts::intents::NONE_OF_THESE.get(lang),
        Callback::IntentNone.encode(),
    )]);
    ctx.reply(
        from.chat_id,
        Request::text_with(question.get(lang), InlineKeyboardMarkup::new(rows)),
    )
    .await?;
    Ok(())
}

async fn with_menu(ctx: &mut Ctx<'_>, from: &Sender, text: String) -> Result<()> {
    ctx.reply(from.chat_id, Request::text_with(text, main_menu(from.lang)))
        .await?;
    Ok(())
}

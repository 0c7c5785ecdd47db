//! Arrears reminders offered to whoever was just bound to a unit (by
//! staff or by an invitation), and their answer. A leaf: the rest of
//! `household` uses it, it uses none of them.

use anyhow::Result;
use teloxide::types::{CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup};

use crate::domain::{office_settings, people};
use crate::i18n::Lang;
use crate::outbox::Request;
use crate::processor::context::Ctx;
use crate::processor::reply::{answer, remove_buttons, Sender};
use crate::telegram::callback::Callback;
use crate::texts;

/// What "reminders on" or "off" means now, in `lang` (the quiet hours
/// named when on).
pub async fn reminders_state(ctx: &mut Ctx<'_>, lang: Lang, on: bool) -> Result<String> {
    Ok(if on {
        let quiet = office_settings::load(ctx.conn).await?.quiet_hours.label();
        texts::reminders::REMINDERS_ON.fill(lang, &[("quiet", &quiet)])
    } else {
        texts::reminders::REMINDERS_OFF.get(lang).to_string()
    })
}

/// Asks someone just bound whether they want arrears reminders.
pub(super) async fn offer_reminders(ctx: &mut Ctx<'_>, chat_id: i64, lang: Lang) -> Result<()> {
    let keyboard = InlineKeyboardMarkup::new([[
        InlineKeyboardButton::callback(
            texts::household::BUTTON_REMINDERS_ON.get(lang),
            Callback::Reminders(true).encode(),
        ),
        InlineKeyboardButton::callback(
            texts::household::BUTTON_REMINDERS_OFF.get(lang),
            Callback::Reminders(false).encode(),
        ),
    ]]);
    ctx.reply(
        chat_id,
        Request::text_with(texts::household::REMINDERS_ASK.get(lang), keyboard),
    )
    .await?;
    Ok(())
}

pub(super) async fn chosen(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    q: &CallbackQuery,
    on: bool,
) -> Result<()> {
    answer(ctx, q, None).await?;
    let Some(person) = people::find_person_by_telegram_id(ctx.conn, from.user_id).await? else {
        let text = texts::reminders::REMINDERS_NOT_REGISTERED.get(from.lang);
        return ctx.reply(from.chat_id, Request::text(text)).await.map(drop);
    };
    people::set_fee_reminders(ctx.conn, person.id, on).await?;
    remove_buttons(ctx, q).await?;
    let text = reminders_state(ctx, from.lang, on).await?;
    ctx.reply(from.chat_id, Request::text(text)).await?;
    Ok(())
}

//! Who sent an update and the small answers every feature gives: a leaf
//! below the features, so they need not import the router that dispatches
//! to them.

use anyhow::Result;
use teloxide::types::CallbackQuery;

use super::context::Ctx;
use super::conversation::Key;
use crate::i18n::Lang;
use crate::outbox::{Request, Target};

/// Who sent an update and how to answer them.
#[derive(Debug, Clone)]
pub struct Sender {
    pub chat_id: i64,
    pub user_id: i64,
    pub private: bool,
    pub lang: Lang,
}

impl Sender {
    /// Whose conversation this sender's messages belong to.
    #[must_use]
    pub fn key(&self) -> Key {
        Key {
            chat_id: self.chat_id,
            user_id: self.user_id,
        }
    }
}

/// Sends `text` to `chat`, without buttons.
pub async fn say(ctx: &mut Ctx<'_>, chat: i64, text: impl Into<String>) -> Result<()> {
    ctx.reply(chat, Request::text(text)).await?;
    Ok(())
}

/// Answers a button press (Telegram shows a spinner until we do).
pub async fn answer(ctx: &mut Ctx<'_>, q: &CallbackQuery, text: Option<&str>) -> Result<()> {
    let chat_id = q
        .message
        .as_ref()
        .map_or(i64::try_from(q.from.id.0)?, |m| m.chat().id.0);
    ctx.reply(
        chat_id,
        Request::AnswerCallbackQuery {
            callback_query_id: q.id.0.clone(),
            text: text.map(str::to_string),
            show_alert: false,
        },
    )
    .await?;
    Ok(())
}

/// Takes the buttons off the message that was pressed, so the choice is
/// made once and the owner sees it was taken.
pub async fn remove_buttons(ctx: &mut Ctx<'_>, q: &CallbackQuery) -> Result<()> {
    if let Some(m) = &q.message {
        ctx.reply(
            m.chat().id.0,
            Request::EditMessageReplyMarkup {
                target: Target::Message(m.id().0),
                reply_markup: None,
            },
        )
        .await?;
    }
    Ok(())
}

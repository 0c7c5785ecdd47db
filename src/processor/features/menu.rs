//! The front door: /start, /help, /menu, /lang, the main menu and what an
//! owner gets for text the bot does not expect.

use anyhow::Result;
use teloxide::types::{CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup};
use teloxide::utils::command::BotCommands;

pub use crate::processor::main_menu::{main_menu, MENU_ITEMS};

use crate::i18n::Lang;
use crate::outbox::Request;
use crate::processor::commands::{Chats, Command, Feature, Who};
use crate::processor::context::Ctx;
use crate::processor::reply::{answer, Sender};
use crate::telegram::callback::{Callback, MenuItem};
use crate::texts;

/// Commands every private chat may use.
#[derive(BotCommands, Debug, Clone, PartialEq, Eq)]
#[command(rename_rule = "lowercase")]
pub enum OwnerCommand {
    Start(String),
    Help,
    Menu,
    Cancel,
    Mytickets,
    Lang,
    Reminders(String),
    Household,
}

/// The owners' commands, in the order Telegram's menu lists them.
pub const COMMANDS: &[Command] = &[
    owner("start").described(texts::CMD_START),
    owner("menu").described(texts::CMD_MENU),
    owner("mytickets").described(texts::CMD_MYTICKETS),
    owner("cancel").described(texts::CMD_CANCEL),
    owner("reminders").described(texts::reminders::CMD_REMINDERS),
    owner("household").described(texts::household::CMD_HOUSEHOLD),
    owner("lang").described(texts::CMD_LANG),
    owner("help").described(texts::CMD_HELP),
];

const fn owner(name: &'static str) -> Command {
    Command::new(name, Feature::Menu, Chats::Private, Who::Anyone)
}

pub async fn on_command(ctx: &mut Ctx<'_>, from: &Sender, text: &str) -> Result<()> {
    let command = OwnerCommand::parse(text, &ctx.app.settings.bot_username);
    let lang = from.lang;
    let request = match command {
        Ok(OwnerCommand::Start(_) | OwnerCommand::Menu) => {
            Request::text_with(texts::WELCOME.get(lang), main_menu(lang))
        }
        // Staff get the staff help in their private chat too.
        Ok(OwnerCommand::Help)
            if crate::domain::staff::by_telegram_id(ctx.conn, from.user_id)
                .await?
                .is_some() =>
        {
            Request::text(texts::STAFF_HELP.get(lang))
        }
        Ok(OwnerCommand::Help) => Request::text_with(texts::HELP.get(lang), main_menu(lang)),
        Ok(OwnerCommand::Cancel) => {
            Request::text_with(texts::NOTHING_TO_CANCEL.get(lang), main_menu(lang))
        }
        Ok(OwnerCommand::Mytickets) => {
            return super::staff::my_tickets(ctx, from.chat_id, lang).await
        }
        Ok(OwnerCommand::Reminders(arg)) => {
            return super::reminders::on_command(ctx, from, &arg).await
        }
        Ok(OwnerCommand::Household) => return super::household::on_command(ctx, from).await,
        Ok(OwnerCommand::Lang) => Request::text_with(
            texts::LANGUAGE_CHOOSE.get(lang),
            InlineKeyboardMarkup::new([Lang::ALL.map(|l| {
                InlineKeyboardButton::callback(
                    texts::LANGUAGE_NAME.get(l),
                    Callback::Language(l).encode(),
                )
            })]),
        ),
        Err(_) => Request::text(texts::UNKNOWN_COMMAND.get(lang)),
    };
    ctx.reply(from.chat_id, request).await?;
    Ok(())
}

pub async fn on_text(ctx: &mut Ctx<'_>, from: &Sender, _text: &str) -> Result<()> {
    ctx.reply(
        from.chat_id,
        Request::text_with(texts::UNKNOWN_TEXT.get(from.lang), main_menu(from.lang)),
    )
    .await?;
    Ok(())
}

pub async fn on_menu_button(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    q: &CallbackQuery,
    item: MenuItem,
) -> Result<()> {
    answer(ctx, q, None).await?;
    if item == MenuItem::Tickets {
        return super::staff::my_tickets(ctx, from.chat_id, from.lang).await;
    }
    match super::dialogue::dialogue_for_menu(item.as_str()) {
        Some(id) => super::dialogue::start_dialogue(ctx, from, id).await,
        None => Ok(()),
    }
}

pub async fn on_language_button(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    q: &CallbackQuery,
    lang: Lang,
) -> Result<()> {
    crate::domain::chats::set_language(ctx.conn, from.chat_id, lang).await?;
    answer(ctx, q, None).await?;
    ctx.reply(
        from.chat_id,
        Request::text_with(texts::LANGUAGE_SET.get(lang), main_menu(lang)),
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse_with_and_without_arguments_and_bot_name() {
        assert_eq!(
            OwnerCommand::parse("/start", "propdesk_bot").unwrap(),
            OwnerCommand::Start(String::new())
        );
        assert_eq!(
            OwnerCommand::parse("/start ref42", "propdesk_bot").unwrap(),
            OwnerCommand::Start("ref42".into())
        );
        assert_eq!(
            OwnerCommand::parse("/help@propdesk_bot", "propdesk_bot").unwrap(),
            OwnerCommand::Help
        );
        assert!(OwnerCommand::parse("/frobnicate", "propdesk_bot").is_err());
    }

    #[test]
    fn menu_buttons_fit_telegrams_limits() {
        for lang in [Lang::Zh, Lang::En] {
            let menu = main_menu(lang);
            assert_eq!(menu.inline_keyboard.len(), 4);
            for row in &menu.inline_keyboard {
                for b in row {
                    if let teloxide::types::InlineKeyboardButtonKind::CallbackData(d) = &b.kind {
                        assert!(d.len() <= 64);
                    }
                }
            }
        }
    }
}

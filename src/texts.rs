//! The bot's own texts (dialogue texts live in `dialogues/`), each in both
//! languages, kept in one place so none exists in only one.

use crate::i18n::Lang;

/// A fixed text in Chinese and English.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Phrase {
    pub zh: &'static str,
    pub en: &'static str,
}

impl Phrase {
    #[must_use]
    pub fn get(self, lang: Lang) -> &'static str {
        match lang {
            Lang::Zh => self.zh,
            Lang::En => self.en,
        }
    }
}

macro_rules! phrases {
    ($($name:ident => $zh:expr, $en:expr;)*) => {
        $(pub const $name: Phrase = Phrase { zh: $zh, en: $en };)*
        /// Every phrase, for the completeness test.
        pub const ALL: &[Phrase] = &[$($name),*];
    };
}

phrases! {
    WELCOME =>
        "您好！这里是物业客服中心。请选择您要办理的事项：",
        "Hello! This is the property service desk. What can we help you with?";
    HELP =>
        "我可以帮您：投诉、报修与咨询、查询物业费、参加满意度调查、投递意见箱、查看我的工单。\n\n\
         命令：/menu 主菜单 · /mytickets 我的工单 · /cancel 取消当前操作 · /lang 切换语言 · /help 帮助",
        "I can help you with: complaints, repairs and questions, fees, the satisfaction survey, \
         the suggestion box, and your tickets.\n\n\
         Commands: /menu main menu · /mytickets my tickets · /cancel stop what you are doing · \
         /lang language · /help this help";
    MENU => "主菜单：", "Main menu:";
    MENU_COMPLAINT => "投诉", "Complaint";
    MENU_REPAIR => "报修 / 咨询", "Repair / question";
    MENU_FEES => "物业费", "Fees";
    MENU_SURVEY => "满意度调查", "Survey";
    MENU_SUGGESTION => "意见箱", "Suggestion box";
    MENU_TICKETS => "我的工单", "My tickets";
    COMING_SOON =>
        "这项服务即将开通，敬请期待。如有急事请致电物业服务中心。",
        "This service is coming soon. For anything urgent, please call the property office.";
    UNKNOWN_TEXT =>
        "抱歉，我没有理解。请从下面的菜单选择，或发送 /help 查看帮助。",
        "Sorry, I did not understand that. Please choose from the menu below, or send /help.";
    UNKNOWN_COMMAND =>
        "没有这个命令。发送 /help 查看可用的命令。",
        "There is no such command. Send /help to see the commands you can use.";
    UNSUPPORTED_MESSAGE =>
        "抱歉，我暂时只能处理文字、照片、位置和联系人。请从菜单选择您要办理的事项。",
        "Sorry, I can only handle text, photos, locations and contacts. Please choose from the menu.";
    EDITED_MESSAGE =>
        "您修改了已发送的消息，但修改不会被记录。如需更正，请重新发送。",
        "You edited a message, but edits are not recorded. Please send the correction as a new message.";
    APOLOGY =>
        "抱歉，处理您的消息时出了问题，我们已记录（编号 {ref}）。请稍后再试，或致电物业服务中心。",
        "Sorry, something went wrong with your message. We have logged it (reference {ref}). \
         Please try again later or call the property office.";
    NOTHING_TO_CANCEL =>
        "当前没有进行中的操作。", "There is nothing to cancel.";
    BUTTON_EXPIRED =>
        "这个按钮已过期。", "This button has expired.";
    LANGUAGE_CHOOSE => "请选择语言：", "Choose your language:";
    LANGUAGE_SET => "已切换为中文。", "Language set to English.";
    CMD_START => "开始 / 主菜单", "Start / main menu";
    CMD_HELP => "帮助", "Help";
    CMD_MENU => "主菜单", "Main menu";
    CMD_CANCEL => "取消当前操作", "Cancel what you are doing";
    CMD_MYTICKETS => "我的工单", "My tickets";
    CMD_LANG => "切换语言 / Language", "Language / 切换语言";
}

/// `text` with `{name}` replaced by `value` for each pair.
#[must_use]
pub fn fill(text: &str, vars: &[(&str, &str)]) -> String {
    let mut out = text.to_string();
    for (name, value) in vars {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_phrase_exists_in_both_languages() {
        for p in ALL {
            assert!(!p.zh.trim().is_empty() && !p.en.trim().is_empty(), "{p:?}");
            assert!(p.zh.chars().count() <= 4096 && p.en.chars().count() <= 4096);
        }
    }

    #[test]
    fn fill_substitutes_named_values() {
        assert_eq!(fill("ref {ref}.", &[("ref", "u42")]), "ref u42.");
    }
}

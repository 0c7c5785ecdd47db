//! The languages every text exists in, and how a person's is chosen.

use serde::{Deserialize, Serialize};

/// Telegram's limit on a message's text, in characters (a photo caption's
/// is 1024). Every text the bot sends stays within it.
pub const MAX_TEXT: usize = 4096;

/// A language the bot speaks. Simplified Chinese is the default.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub enum Lang {
    /// Simplified Chinese (`zh`).
    #[default]
    #[serde(rename = "zh")]
    Zh,
    #[serde(rename = "en")]
    En,
    /// Traditional Chinese (`zh-Hant`): Taiwan, Hong Kong, Macau, and anyone
    /// whose Telegram asks for Traditional script.
    #[serde(rename = "zh-Hant")]
    ZhHant,
}

impl Lang {
    /// Every language, in the order `propdesk check` reports them. Adding a
    /// language is a variant here, its code in [`Lang::code`], and its texts
    /// in `dialogues/`.
    pub const ALL: [Lang; 3] = [Lang::Zh, Lang::En, Lang::ZhHant];

    /// The language's place in [`Lang::ALL`].
    #[must_use]
    pub fn index(self) -> usize {
        self as usize
    }

    /// The language for Telegram's `language_code` (an IETF tag such as
    /// `en-US`, `zh-hans` or `zh-hant`): English for `en…`; Traditional
    /// Chinese for `zh-hant` and the regions that write it (`zh-tw`,
    /// `zh-hk`, `zh-mo`); Simplified Chinese for every other code.
    #[must_use]
    pub fn from_language_code(code: Option<&str>) -> Lang {
        let code = code.unwrap_or_default().to_ascii_lowercase();
        let mut parts = code.split(['-', '_']);
        match (parts.next(), parts.next()) {
            (Some("en"), _) => Lang::En,
            (Some("zh"), Some("hant" | "tw" | "hk" | "mo")) => Lang::ZhHant,
            _ => Lang::Zh,
        }
    }

    /// Parses the short code stored in the database (`zh` / `en`).
    #[must_use]
    pub fn parse(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.code() == code)
    }

    /// The code in the database and in `dialogues/` (`zh`, `en`,
    /// `zh-Hant`).
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
            Lang::ZhHant => "zh-Hant",
        }
    }

    /// The two-letter code Telegram takes for per-language command menus
    /// (setMyCommands accepts ISO 639-1 only), or `None` for a language that
    /// has no code of its own there: Traditional Chinese readers get the
    /// `zh` menu.
    #[must_use]
    pub fn telegram_menu_code(self) -> Option<&'static str> {
        match self {
            Lang::Zh => Some("zh"),
            Lang::En => Some("en"),
            Lang::ZhHant => None,
        }
    }
}

/// A text in every language, in the order of [`Lang::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Text(Vec<String>);

impl Text {
    /// The text whose `lang` version is `text(lang)`.
    #[must_use]
    pub fn from_fn(text: impl FnMut(Lang) -> String) -> Text {
        Text(Lang::ALL.map(text).into())
    }

    #[must_use]
    pub fn get(&self, lang: Lang) -> &str {
        self.0.get(lang.index()).map_or("", String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn telegram_codes_choose_english_traditional_or_simplified_chinese() {
        assert_eq!(Lang::from_language_code(Some("en")), Lang::En);
        assert_eq!(Lang::from_language_code(Some("en-GB")), Lang::En);
        assert_eq!(Lang::from_language_code(Some("zh-hans")), Lang::Zh);
        assert_eq!(Lang::from_language_code(Some("zh-CN")), Lang::Zh);
        assert_eq!(Lang::from_language_code(Some("zh")), Lang::Zh);
        for hant in ["zh-hant", "zh-Hant", "zh-TW", "zh-hk", "zh_HK", "zh-mo"] {
            assert_eq!(Lang::from_language_code(Some(hant)), Lang::ZhHant, "{hant}");
        }
        assert_eq!(Lang::from_language_code(Some("ru")), Lang::Zh);
        assert_eq!(Lang::from_language_code(None), Lang::Zh);
    }

    #[test]
    fn codes_round_trip_through_the_database_and_json() {
        for lang in Lang::ALL {
            assert_eq!(Lang::parse(lang.code()), Some(lang));
            let json = serde_json::to_value(lang).unwrap();
            assert_eq!(json, lang.code());
            assert_eq!(serde_json::from_value::<Lang>(json).unwrap(), lang);
        }
    }
}

//! The two languages every text exists in, and how an owner's is chosen.

use serde::{Deserialize, Serialize};

/// Telegram's limit on a message's text, in characters (a photo caption's
/// is 1024). Every text the bot sends stays within it.
pub const MAX_TEXT: usize = 4096;

/// A language the bot speaks. Chinese is the default.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    /// Every language, in the order `propdesk check` reports them. Adding a
    /// language is a variant here, its code in [`Lang::code`], and its texts
    /// in `dialogues/`.
    pub const ALL: [Lang; 2] = [Lang::Zh, Lang::En];

    /// The language's place in [`Lang::ALL`].
    #[must_use]
    pub fn index(self) -> usize {
        self as usize
    }

    /// The language for Telegram's `language_code` (an IETF tag such as
    /// `en-US` or `zh-hans`); anything not English is served in Chinese.
    #[must_use]
    pub fn from_language_code(code: Option<&str>) -> Lang {
        let code = code.unwrap_or_default().to_ascii_lowercase();
        Lang::ALL
            .into_iter()
            .find(|l| code.split(['-', '_']).next() == Some(l.code()))
            .unwrap_or_default()
    }

    /// Parses the short code stored in the database (`zh` / `en`).
    #[must_use]
    pub fn parse(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.code() == code)
    }

    /// The short code: in the database, in `dialogues/` and in Telegram's
    /// `language_code`.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
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
    fn english_codes_choose_english_and_everything_else_chinese() {
        assert_eq!(Lang::from_language_code(Some("en")), Lang::En);
        assert_eq!(Lang::from_language_code(Some("en-GB")), Lang::En);
        assert_eq!(Lang::from_language_code(Some("zh-hans")), Lang::Zh);
        assert_eq!(Lang::from_language_code(Some("ru")), Lang::Zh);
        assert_eq!(Lang::from_language_code(None), Lang::Zh);
    }
}

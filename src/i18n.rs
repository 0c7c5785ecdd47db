//! The two languages every text exists in, and how an owner's is chosen.

use serde::{Deserialize, Serialize};

/// Telegram's limit on a message's text, in characters (a photo caption's
/// is 1024). Every text the bot sends stays within it.
pub const MAX_TEXT: usize = 4096;

/// A language the bot speaks. Chinese is the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    /// The language for Telegram's `language_code` (an IETF tag such as
    /// `en-US` or `zh-hans`); anything not English is served in Chinese.
    #[must_use]
    pub fn from_language_code(code: Option<&str>) -> Lang {
        match code {
            Some(c) if c.to_ascii_lowercase().starts_with("en") => Lang::En,
            _ => Lang::Zh,
        }
    }

    /// Parses the short code stored in the database (`zh` / `en`).
    #[must_use]
    pub fn parse(code: &str) -> Option<Lang> {
        match code {
            "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }
}

/// A text in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Text {
    pub zh: String,
    pub en: String,
}

impl Text {
    #[must_use]
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
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

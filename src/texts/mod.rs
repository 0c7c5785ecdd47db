//! The bot's own texts — everything it says that is not part of a dialogue
//! file — as one catalogue: the data is `dialogues/texts.toml` (every key,
//! every language, `{placeholders}`), the code reaches it through the typed
//! keys below, and `propdesk check` holds the two against each other.
//!
//! `serve` and `console` install the dialogue folder's `texts.toml` at
//! start-up ([`install`]); until then (unit tests, tools) the repository's
//! own file, compiled in, answers.

mod catalogue;
mod fill;
mod key;
mod keys;

pub use catalogue::{check_file, install, load, Catalogue, Problem, FILE_NAME};
pub use fill::{fill, placeholders};
pub use key::{Kind, Phrase};
pub use keys::*;

use crate::i18n::Lang;

impl Phrase {
    /// The text in `lang`, placeholders still in braces (see [`fill`]).
    #[must_use]
    pub fn get(self, lang: Lang) -> &'static str {
        catalogue::current().text(self, lang)
    }

    /// The text in `lang` with its placeholders filled.
    #[must_use]
    pub fn fill(self, lang: Lang, values: &[(&str, &str)]) -> String {
        fill(self.get(lang), values)
    }
}

/// The short name of a weekday (`labels.monday` …).
#[must_use]
pub fn weekday(day: chrono::Weekday) -> Phrase {
    use chrono::Weekday;
    match day {
        Weekday::Mon => labels::MONDAY,
        Weekday::Tue => labels::TUESDAY,
        Weekday::Wed => labels::WEDNESDAY,
        Weekday::Thu => labels::THURSDAY,
        Weekday::Fri => labels::FRIDAY,
        Weekday::Sat => labels::SATURDAY,
        Weekday::Sun => labels::SUNDAY,
    }
}

/// The short name of a month, 1 to 12 (`labels.january` …).
#[must_use]
pub fn month(month: u32) -> Phrase {
    const MONTHS: [Phrase; 12] = [
        labels::JANUARY,
        labels::FEBRUARY,
        labels::MARCH,
        labels::APRIL,
        labels::MAY,
        labels::JUNE,
        labels::JULY,
        labels::AUGUST,
        labels::SEPTEMBER,
        labels::OCTOBER,
        labels::NOVEMBER,
        labels::DECEMBER,
    ];
    let i = usize::try_from(month.clamp(1, 12) - 1).unwrap_or_default();
    MONTHS[i]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_substitutes_named_values() {
        assert_eq!(fill("ref {ref}.", &[("ref", "u42")]), "ref u42.");
    }

    #[test]
    fn fill_leaves_braces_in_values_alone() {
        assert_eq!(
            fill("{a} and {b}", &[("a", "{b}"), ("b", "x")]),
            "{b} and x"
        );
    }

    #[test]
    #[should_panic(expected = "placeholders")]
    #[cfg(debug_assertions)]
    fn fill_without_a_placeholder_the_text_has_is_a_bug() {
        let _ = fill("ticket {id} for {who}", &[("id", "1")]);
    }

    #[test]
    #[should_panic(expected = "placeholders")]
    #[cfg(debug_assertions)]
    fn fill_with_a_placeholder_the_text_lacks_is_a_bug() {
        let _ = fill("ticket {id}", &[("id", "1"), ("who", "x")]);
    }

    /// Every key, every language: filling its declared placeholders leaves
    /// no brace behind and trips no assertion.
    #[test]
    fn every_key_fills_with_its_declared_placeholders() {
        for phrase in ALL {
            let values: Vec<(&str, &str)> =
                phrase.placeholders().iter().map(|p| (*p, "X")).collect();
            for lang in Lang::ALL {
                let text = phrase.fill(lang, &values);
                assert!(
                    !text.trim().is_empty(),
                    "{} ({})",
                    phrase.key(),
                    lang.code()
                );
                assert!(
                    placeholders(&text).is_empty(),
                    "{} ({}): {text}",
                    phrase.key(),
                    lang.code()
                );
            }
        }
    }

    #[test]
    fn keys_are_unique() {
        let mut keys: Vec<String> = ALL.iter().map(|p| p.key()).collect();
        let n = keys.len();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), n);
    }
}

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
mod plural;

pub use catalogue::{check_file, install, load, Catalogue, Problem, FILE_NAME};
pub use fill::{fill, placeholders};
pub use key::{Kind, Phrase};
pub use keys::*;
pub use plural::Plural;

use crate::i18n::Lang;

impl Phrase {
    /// The text in `lang`, placeholders still in braces (see [`fill`]). A
    /// text that counts something has a form per number: it is read with
    /// [`Phrase::fill`] (a debug build stops here on one).
    #[must_use]
    pub fn get(self, lang: Lang) -> &'static str {
        debug_assert!(
            self.count().is_none(),
            "{} has plural forms: use Phrase::fill, which picks the form for the count",
            self.key()
        );
        catalogue::current().text(self, lang, Plural::Other)
    }

    /// The text in `lang` with its placeholders filled, in the plural form
    /// its count (the value of its `per` placeholder) takes.
    #[must_use]
    pub fn fill(self, lang: Lang, values: &[(&str, &str)]) -> String {
        let category = self
            .count()
            .and_then(|count| values.iter().find(|(name, _)| *name == count))
            .map_or(Plural::Other, |(_, n)| Plural::of(lang, n));
        fill(catalogue::current().text(self, lang, category), values)
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

    /// Every key, every language, every plural form: filling its declared
    /// placeholders leaves no brace behind and trips no assertion.
    #[test]
    fn every_key_fills_with_its_declared_placeholders() {
        for (phrase, n) in ALL.iter().flat_map(|p| [(p, "X"), (p, "1"), (p, "2")]) {
            let values: Vec<(&str, &str)> = phrase.placeholders().iter().map(|p| (*p, n)).collect();
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

    /// A key that counts names one of its own placeholders as the count.
    #[test]
    fn counts_are_placeholders() {
        for phrase in ALL {
            if let Some(count) = phrase.count() {
                assert!(phrase.placeholders().contains(&count), "{}", phrase.key());
            }
        }
    }

    /// English says "1 copy" and "2 copies"; Chinese says "份" for both.
    #[test]
    fn a_counted_text_takes_the_form_of_its_number() {
        let recalled = |lang, n: &str| {
            notices::RECALLED.fill(lang, &[("n", "7"), ("deleted", n), ("asked", n)])
        };
        assert!(recalled(Lang::En, "1").contains("1 of 1 copy deleted"));
        assert!(recalled(Lang::En, "2").contains("2 of 2 copies deleted"));
        assert!(recalled(Lang::Zh, "1").contains("1/1 份"));
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

//! Plural forms: which form of a text a number takes in each language.
//! English says "1 copy" but "2 copies"; Chinese has one form for every
//! number ("1 份", "2 份"). A catalogue key that counts something names the
//! placeholder that holds the count (`per "count"` in `keys.rs`); its text
//! in a language with plural forms is a table of them,
//! `en = { one = "{count} copy", other = "{count} copies" }`.

use crate::i18n::Lang;

/// A plural category (CLDR's names; only the ones our languages use).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Plural {
    One,
    Other,
}

impl Plural {
    /// The name written in `texts.toml`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Plural::One => "one",
            Plural::Other => "other",
        }
    }

    #[must_use]
    pub fn parse(name: &str) -> Option<Plural> {
        [Plural::One, Plural::Other]
            .into_iter()
            .find(|p| p.name() == name)
    }

    /// The categories `lang` distinguishes; a language with only `Other`
    /// writes one text for every number.
    #[must_use]
    pub fn categories(lang: Lang) -> &'static [Plural] {
        match lang {
            Lang::En => &[Plural::One, Plural::Other],
            Lang::Zh | Lang::ZhHant => &[Plural::Other],
        }
    }

    /// The category of the count written `value` in `lang` (CLDR: English
    /// "one" is exactly 1). A value that is not a whole number takes
    /// `Other`.
    #[must_use]
    pub fn of(lang: Lang, value: &str) -> Plural {
        match (lang, value.trim().parse::<i64>()) {
            (Lang::En, Ok(1)) => Plural::One,
            _ => Plural::Other,
        }
    }
}

/// One language's text of a key: one form, or one per plural category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forms {
    /// `Other`: the form for any number, and the only one a language
    /// without plural forms has.
    pub other: String,
    /// `One`, in the languages that have it.
    pub one: Option<String>,
}

impl Forms {
    /// The same text for every number.
    #[must_use]
    pub fn single(text: String) -> Forms {
        Forms {
            other: text,
            one: None,
        }
    }

    /// The form of `category` (`Other` when there is no such form).
    #[must_use]
    pub fn get(&self, category: Plural) -> &str {
        match category {
            Plural::One => self.one.as_deref().unwrap_or(&self.other),
            Plural::Other => &self.other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_one_is_exactly_one_and_chinese_has_no_plural() {
        assert_eq!(Plural::of(Lang::En, "1"), Plural::One);
        for n in ["0", "2", "11", "21", "1.5", "X"] {
            assert_eq!(Plural::of(Lang::En, n), Plural::Other, "{n}");
        }
        for lang in [Lang::Zh, Lang::ZhHant] {
            assert_eq!(Plural::of(lang, "1"), Plural::Other);
            assert_eq!(Plural::categories(lang), &[Plural::Other]);
        }
    }
}

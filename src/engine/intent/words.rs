//! How a declared word or pattern is found in an owner's message: the text
//! is normalised once (lower case, full-width letters and digits made
//! half-width, curly apostrophes straight, runs of white space one space),
//! then each term finds its hits as byte spans of that normalised text.
//!
//! - A word in Latin letters matches whole words only, with its usual
//!   endings (`leak` → leaks, leaked, leaking, leaky; `clog` → clogged;
//!   `smoke` → smoking), and a typo of a long word (one letter wrong from
//!   six letters on, two neighbours swapped from five). A letter missing or
//!   extra is not taken for a typo: too many real words are one letter off
//!   another (`garage`, `garbage`).
//! - Any other word (Chinese) matches wherever it occurs.
//! - A pattern is a regular expression over the normalised text.

use std::ops::Range;

use regex_lite::Regex;

/// One thing an intent looks for.
#[derive(Debug, Clone)]
pub enum Term {
    /// Whole words in Latin letters, lower case (`tap`, `stuck in the lift`).
    Latin(String),
    /// Anything else, lower case, found anywhere (`漏水`).
    Chars(String),
    /// A regular expression, case-insensitive, over the normalised text.
    Pattern(Regex),
}

impl Term {
    /// The term for a declared keyword: Latin-letter words or characters.
    #[must_use]
    pub fn keyword(word: &str) -> Term {
        let word = normalize(word.trim());
        if word.is_ascii() {
            Term::Latin(word)
        } else {
            Term::Chars(word)
        }
    }

    /// How much a hit of this term at `span` of `text` counts: a pattern
    /// says more than a word, and a word that names where something is
    /// ("in the lift", "电梯里") less than one that names what is wrong.
    #[must_use]
    pub fn weight(&self, text: &str, span: &Range<usize>) -> u32 {
        match self {
            Term::Pattern(_) => 4,
            Term::Latin(_) if names_a_place_latin(text, span) => 1,
            Term::Chars(_) if names_a_place_chars(text, span) => 1,
            Term::Latin(_) | Term::Chars(_) => 2,
        }
    }

    /// Every place the term is found in `text` (normalised), and whether
    /// it is there as written (not a typo).
    #[must_use]
    pub fn hits(&self, text: &str) -> Vec<(Range<usize>, bool)> {
        let exact = |spans: Vec<Range<usize>>| spans.into_iter().map(|s| (s, true)).collect();
        match self {
            Term::Chars(word) => exact(
                text.match_indices(word.as_str())
                    .map(|(i, w)| i..i + w.len())
                    .collect(),
            ),
            Term::Pattern(re) => exact(
                re.find_iter(text)
                    .filter(|m| !m.is_empty())
                    .map(|m| m.range())
                    .collect(),
            ),
            Term::Latin(word) => {
                let hits = latin_hits(text, word);
                if hits.is_empty() && !word.contains(' ') {
                    typo_hits(text, word)
                        .into_iter()
                        .map(|s| (s, false))
                        .collect()
                } else {
                    exact(hits)
                }
            }
        }
    }
}

/// Lower case, full-width ASCII made half-width, `’` made `'`, white space
/// runs made one space. Byte offsets of hits refer to this text.
#[must_use]
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        let c = match c {
            // Full-width forms of ASCII (！ to ～) and the ideographic space.
            '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
            '\u{3000}' => ' ',
            '\u{2018}' | '\u{2019}' | '`' => '\'',
            other => other,
        };
        if c.is_whitespace() {
            if !space && !out.is_empty() {
                out.push(' ');
            }
            space = true;
            continue;
        }
        space = false;
        out.extend(c.to_lowercase());
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// Endings a Latin word may take and still be the word.
const ENDINGS: [&str; 10] = ["s", "es", "ed", "d", "ing", "y", "er", "ers", "ies", "ied"];

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

/// Whole-word hits of `word` with its usual endings.
fn latin_hits(text: &str, word: &str) -> Vec<Range<usize>> {
    let mut stems = vec![(word, false)];
    // smoke → smoking, smoked: the `e` goes before `-ing`/`-ed`.
    if let Some(stem) = word.strip_suffix('e') {
        if stem.len() >= 3 && !stem.ends_with(' ') {
            stems.push((stem, true));
        }
    }
    let mut hits = Vec::new();
    for (stem, dropped_e) in stems {
        for (i, _) in text.match_indices(stem) {
            if text[..i].chars().next_back().is_some_and(is_word_char) {
                continue;
            }
            let end = i + stem.len();
            let rest: String = text[end..]
                .chars()
                .take_while(|c| c.is_ascii_alphabetic())
                .collect();
            let fits = if dropped_e {
                matches!(rest.as_str(), "ing" | "ed")
            } else {
                rest.is_empty() || takes_ending(stem, &rest)
            };
            // A digit right after (`lift2`) is part of another word.
            let digit_after = text[end + rest.len()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit());
            if fits && !digit_after {
                hits.push(i..end + rest.len());
            }
        }
    }
    hits
}

/// Whether `rest` is an ending of `stem`: one of [`ENDINGS`], or the last
/// consonant doubled before one (`clog` → `clogged`, `drip` → `dripping`).
fn takes_ending(stem: &str, rest: &str) -> bool {
    if ENDINGS.contains(&rest) {
        return true;
    }
    let Some(last) = stem.chars().next_back() else {
        return false;
    };
    rest.strip_prefix(last)
        .is_some_and(|r| matches!(r, "ed" | "ing" | "er" | "y"))
}

/// Words of the text that are `word` mistyped.
fn typo_hits(text: &str, word: &str) -> Vec<Range<usize>> {
    let n = word.chars().count();
    if n < 5 {
        return Vec::new();
    }
    let mut hits = Vec::new();
    let mut start = None;
    for (i, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        match (c.is_ascii_alphabetic(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                if is_typo_of(&text[s..i], word) {
                    hits.push(s..i);
                }
                start = None;
            }
            _ => {}
        }
    }
    hits
}

/// `typed` is `word` (or `word` with an ending) with one slip: two letters
/// swapped, or — for words of six letters or more — one letter wrong.
fn is_typo_of(typed: &str, word: &str) -> bool {
    let forms = std::iter::once(typed).chain(ENDINGS.iter().filter_map(|e| typed.strip_suffix(e)));
    forms.into_iter().any(|form| {
        let (a, b): (Vec<char>, Vec<char>) = (form.chars().collect(), word.chars().collect());
        if a == b || a.len() != b.len() {
            return false;
        }
        match distance(&a, &b) {
            Slip::Swap => true,
            Slip::Edit => b.len() >= 6,
            Slip::More => false,
        }
    })
}

enum Slip {
    Swap,
    Edit,
    More,
}

/// Whether `a` differs from `b` (as long) by one swap of neighbours, one
/// letter, or more.
fn distance(a: &[char], b: &[char]) -> Slip {
    let diff: Vec<usize> = (0..a.len().min(b.len()))
        .filter(|&i| a[i] != b[i])
        .collect();
    match diff.as_slice() {
        [_] => Slip::Edit,
        [i, j] if *j == i + 1 && a[*i] == b[*j] && a[*j] == b[*i] => Slip::Swap,
        _ => Slip::More,
    }
}

/// Words before a noun that make it a place: "in the lift", "all over the
/// car park", "near my door".
const PLACE_BEFORE: [&str; 16] = [
    "in", "at", "on", "near", "by", "outside", "inside", "over", "into", "from", "around",
    "across", "behind", "beside", "under", "to",
];
const ARTICLES: [&str; 7] = ["the", "my", "our", "a", "this", "that", "your"];

/// Whether the Latin words at `span` are where something is: a place word
/// ([`PLACE_BEFORE`]) just before, perhaps with an article and one more word
/// ("in the underground car park").
fn names_a_place_latin(text: &str, span: &Range<usize>) -> bool {
    let before: Vec<&str> = text[..span.start]
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
        .rev()
        .take(3)
        .collect();
    let place = |w: Option<&&str>| w.is_some_and(|w| PLACE_BEFORE.contains(w));
    let article = |w: Option<&&str>| w.is_some_and(|w| ARTICLES.contains(w));
    place(before.first())
        || (article(before.first()) && place(before.get(1)))
        || (article(before.get(1)) && place(before.get(2)))
}

/// Whether the characters at `span` are where something is: `在`/`到`/`从`
/// just before, or `里`/`内`/`中`/`旁`/`边`/`口` just after (`电梯里`).
fn names_a_place_chars(text: &str, span: &Range<usize>) -> bool {
    let after = text[span.end..].chars().next();
    let before = text[..span.start].chars().next_back();
    matches!(after, Some('里' | '内' | '中' | '旁' | '边' | '口'))
        || matches!(before, Some('在' | '到' | '从' | '往'))
}

/// Words that join two clauses: a message that names two problems usually
/// has one of them, or punctuation, between them.
const JOINERS: [&str; 13] = [
    " and ",
    " also ",
    " plus ",
    " as well as ",
    " besides ",
    "还有",
    "另外",
    "而且",
    "以及",
    "同时",
    "顺便",
    "并且",
    "此外",
];

/// Where each clause of the (normalised) text starts, in order, from 0.
#[must_use]
pub fn clause_starts(text: &str) -> Vec<usize> {
    let mut starts = vec![0];
    for (i, c) in text.char_indices() {
        if matches!(
            c,
            ',' | '，' | '。' | '.' | ';' | '；' | '!' | '！' | '?' | '？' | '、' | '\n'
        ) {
            starts.push(i + c.len_utf8());
        }
    }
    for joiner in JOINERS {
        starts.extend(text.match_indices(joiner).map(|(i, _)| i));
    }
    starts.sort_unstable();
    starts.dedup();
    starts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(term: &str, text: &str) -> bool {
        // Typos count here too: `Intents` drops a typo that is another
        // term's exact word.
        !Term::keyword(term).hits(&normalize(text)).is_empty()
    }

    #[test]
    fn latin_words_match_whole_words_with_their_endings() {
        assert!(found("leak", "my tap is leaking"));
        assert!(found("leak", "Leaks again"));
        assert!(found("leak", "a leaky pipe"));
        assert!(found("clog", "the drain is clogged"));
        assert!(found("drip", "dripping all night"));
        assert!(found("smoke", "something is smoking"));
        assert!(found("stuck in the lift", "we are STUCK IN THE LIFT"));
        assert!(!found("tap", "the taxi stopped"));
        assert!(!found("gas", "the gasket is worn"));
        assert!(!found("lift", "uplifting news"));
        assert!(!found("fire", "fireworks last night"));
    }

    #[test]
    fn a_long_word_is_found_through_one_slip() {
        assert!(found("elevator", "elevater broken"));
        assert!(found("leaking", "the pipe is leeking"));
        assert!(found("noise", "nosie from upstairs"), "two letters swapped");
        assert!(found("garbage", "garbige everywhere"));
        assert!(
            !found("smell", "a small problem"),
            "five letters: swaps only"
        );
        assert!(
            !found("garbage", "in the garage"),
            "a letter missing is no typo"
        );
        assert!(!found("power", "the tower crane"));
        assert!(!found("lock", "look at this"), "short words are exact");
    }

    #[test]
    fn a_word_that_names_a_place_counts_less() {
        let weight = |term: &str, text: &str| {
            let text = normalize(text);
            let t = Term::keyword(term);
            let (span, _) = t.hits(&text).into_iter().next().unwrap();
            t.weight(&text, &span)
        };
        assert_eq!(weight("lift", "the lift is broken"), 2);
        assert_eq!(weight("lift", "dog pee in the lift"), 1);
        assert_eq!(weight("car park", "all over the underground car park"), 1);
        assert_eq!(weight("电梯", "电梯坏了"), 2);
        assert_eq!(weight("电梯", "电梯里有人吐了"), 1);
        assert_eq!(weight("电梯", "狗在电梯尿尿"), 1);
    }

    #[test]
    fn chinese_words_match_anywhere() {
        assert!(found("漏水", "楼上漏水了"));
        assert!(found("电梯", "3号楼电梯坏了"));
        assert!(!found("电梯", "电题又坏了"));
    }

    #[test]
    fn normalising_folds_case_width_and_spaces() {
        assert_eq!(
            normalize("  ＭＹ  Tap\u{3000}is ’leaking’ "),
            "my tap is 'leaking'"
        );
        assert_eq!(normalize("电梯，坏了！"), "电梯,坏了!");
    }

    #[test]
    fn clauses_split_at_punctuation_and_joining_words() {
        let text = normalize("the lift is broken and also the dog barks. 还有垃圾");
        let starts = clause_starts(&text);
        assert!(starts.len() >= 4, "{starts:?}");
        assert_eq!(starts[0], 0);
    }
}

//! Reading and checking `texts.toml`: one text per key and language, each
//! problem as `file:line: message`, and the catalogue the running bot reads.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, OnceLock};

use regex::Regex;
use toml::de::{DeTable, DeValue};

use super::fill::placeholders;
use super::key::{Kind, Phrase};
use super::keys::ALL;
use super::plural::{Forms, Plural};
use crate::i18n::Lang;

/// The catalogue's file name inside the dialogue folder.
pub const FILE_NAME: &str = "texts.toml";

/// The repository's own catalogue, compiled in: what answers until a
/// folder's file is installed.
const BUILT_IN: &str = include_str!("../../dialogues/texts.toml");

/// One thing wrong with the catalogue; displays as `file:line: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: PathBuf,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)
    }
}

/// Every text of every key the code uses, in every language.
#[derive(Debug, Default)]
pub struct Catalogue {
    /// (section, constant name) → one text (its plural forms) per
    /// [`Lang::ALL`].
    texts: HashMap<(&'static str, &'static str), Vec<Forms>>,
}

impl Catalogue {
    /// Reads a catalogue; any problem refuses the whole file.
    pub fn parse(file: &Path, src: &str) -> Result<Catalogue, Vec<Problem>> {
        let mut cx = Cx {
            file,
            src,
            problems: Vec::new(),
            texts: HashMap::new(),
        };
        cx.document();
        if cx.problems.is_empty() {
            Ok(Catalogue { texts: cx.texts })
        } else {
            Err(cx.problems)
        }
    }

    /// The text of `phrase` in `lang`, in its form for `category` (see
    /// `plural`). A key the catalogue lacks (impossible once it passed
    /// [`Catalogue::parse`]) shows as its key, never panics.
    #[must_use]
    pub fn text(&'static self, phrase: Phrase, lang: Lang, category: Plural) -> &'static str {
        self.texts
            .get(&(phrase.section(), phrase.name()))
            .and_then(|by_lang| by_lang.get(lang.index()))
            .map_or(phrase.name(), |forms| forms.get(category))
    }
}

static INSTALLED: OnceLock<Catalogue> = OnceLock::new();
static BUILT_IN_CATALOGUE: LazyLock<Catalogue> =
    LazyLock::new(|| Catalogue::parse(Path::new(FILE_NAME), BUILT_IN).unwrap_or_default());

/// The catalogue texts are read from: the installed one, else the built-in.
pub(super) fn current() -> &'static Catalogue {
    INSTALLED.get().unwrap_or(&BUILT_IN_CATALOGUE)
}

/// Makes `catalogue` the one every [`Phrase::get`] reads, for the rest of
/// the process. The first install wins (a process serves one folder);
/// returns whether this one did.
pub fn install(catalogue: Catalogue) -> bool {
    INSTALLED.set(catalogue).is_ok()
}

/// Reads and checks `dir/texts.toml`.
pub fn load(dir: &Path) -> Result<Catalogue, Vec<Problem>> {
    let file = dir.join(FILE_NAME);
    let problem = |message: String| Problem {
        file: file.clone(),
        line: 1,
        message,
    };
    let src = match std::fs::read(&file) {
        Ok(bytes) => String::from_utf8(bytes)
            .map_err(|_| vec![problem("the file is not UTF-8 text".into())])?,
        Err(e) => {
            return Err(vec![problem(format!(
                "cannot read the text catalogue: {e}"
            ))])
        }
    };
    Catalogue::parse(&file, &src)
}

/// All problems of `dir/texts.toml`; empty when it is fine.
#[must_use]
pub fn check_file(dir: &Path) -> Vec<Problem> {
    load(dir).err().unwrap_or_default()
}

struct Cx<'a> {
    file: &'a Path,
    src: &'a str,
    problems: Vec<Problem>,
    texts: HashMap<(&'static str, &'static str), Vec<Forms>>,
}

type Spanned<T> = toml::Spanned<T>;

impl Cx<'_> {
    fn line(&self, offset: usize) -> usize {
        let end = offset.min(self.src.len());
        self.src.as_bytes()[..end]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1
    }

    fn report(&mut self, offset: usize, message: String) {
        let line = self.line(offset);
        self.problems.push(Problem {
            file: self.file.to_path_buf(),
            line,
            message,
        });
    }

    fn document(&mut self) {
        let root = match DeTable::parse(self.src) {
            Ok(root) => root,
            Err(e) => {
                let offset = e.span().map_or(0, |s| s.start);
                self.report(offset, e.message().trim().to_string());
                return;
            }
        };
        let mut section_lines: HashMap<String, usize> = HashMap::new();
        let mut seen: Vec<(&str, String)> = Vec::new();
        for (key, value) in root.get_ref() {
            match value.get_ref() {
                DeValue::Table(table) if is_section(table) => {
                    section_lines.insert(key.get_ref().to_string(), key.span().start);
                    for (name, entry) in table {
                        seen.push((key.get_ref(), name.get_ref().to_ascii_uppercase()));
                        self.entry(key.get_ref(), name, entry);
                    }
                }
                _ => {
                    seen.push(("", key.get_ref().to_ascii_uppercase()));
                    self.entry("", key, value);
                }
            }
        }
        for phrase in ALL {
            if !seen
                .iter()
                .any(|(s, n)| *s == phrase.section() && n == phrase.name())
            {
                let at = section_lines.get(phrase.section()).copied().unwrap_or(0);
                self.report(
                    at,
                    format!(
                        "missing key `{}`: the code needs it (placeholders: {})",
                        phrase.key(),
                        list(phrase.placeholders())
                    ),
                );
            }
        }
    }

    /// One `key = { zh = "…", en = "…" }` (or `[key]` table) in `section`.
    fn entry(
        &mut self,
        section: &str,
        name: &Spanned<std::borrow::Cow<'_, str>>,
        value: &Spanned<DeValue<'_>>,
    ) {
        let at = name.span().start;
        let key = if section.is_empty() {
            name.get_ref().to_string()
        } else {
            format!("{section}.{}", name.get_ref())
        };
        let Some(phrase) = ALL.iter().copied().find(|p| {
            p.section() == section
                && p.name().eq_ignore_ascii_case(name.get_ref())
                && p.key() == key
        }) else {
            self.report(
                at,
                format!("unknown key `{key}`: the code has no such text"),
            );
            return;
        };
        let DeValue::Table(table) = value.get_ref() else {
            self.report(
                at,
                format!("`{key}` needs a text per language: {key} = {{ zh = \"…\", en = \"…\", zh-Hant = \"…\" }}"),
            );
            return;
        };
        for (code, _) in table {
            if Lang::parse(code.get_ref()).is_none() {
                let known: Vec<&str> = Lang::ALL.iter().map(|l| l.code()).collect();
                self.report(
                    code.span().start,
                    format!(
                        "`{key}`: unknown language `{}` (languages: {})",
                        code.get_ref(),
                        known.join(", ")
                    ),
                );
            }
        }
        let mut by_lang = Vec::with_capacity(Lang::ALL.len());
        for lang in Lang::ALL {
            let text = table
                .iter()
                .find(|(code, _)| code.get_ref() == lang.code())
                .map(|(_, v)| v);
            match text {
                Some(value) => {
                    if let Some(forms) = self.forms(phrase, &key, lang, value) {
                        by_lang.push(forms);
                    }
                }
                None => self.report(
                    at,
                    format!("missing language: `{key}` has no `{}` text", lang.code()),
                ),
            }
        }
        if by_lang.len() == Lang::ALL.len() {
            self.texts
                .insert((phrase.section(), phrase.name()), by_lang);
        }
    }

    /// One language's text of `phrase`: a string, or for a key that counts
    /// (`per` in `keys.rs`) in a language with plural forms, a table of
    /// them (`{ one = "…", other = "…" }`). `None` after a problem.
    fn forms(
        &mut self,
        phrase: Phrase,
        key: &str,
        lang: Lang,
        value: &Spanned<DeValue<'_>>,
    ) -> Option<Forms> {
        let code = lang.code();
        let offset = value.span().start;
        let plural = phrase.count().is_some() && Plural::categories(lang).len() > 1;
        match (value.get_ref(), plural) {
            (DeValue::String(_), true) => {
                let names: Vec<&str> = Plural::categories(lang).iter().map(|p| p.name()).collect();
                self.report(
                    offset,
                    format!(
                        "`{key}` ({code}) counts {{{}}}: give a text per plural form ({})",
                        phrase.count().unwrap_or_default(),
                        names.join(", ")
                    ),
                );
                None
            }
            (DeValue::String(text), false) => self
                .one_text(phrase, key, lang, text, offset)
                .map(|t| Forms::single(t.to_string())),
            (DeValue::Table(forms), true) => self.plural_forms(phrase, key, lang, forms, offset),
            (DeValue::Table(_), false) if phrase.count().is_none() => {
                self.report(
                    offset,
                    format!("`{key}` ({code}) has plural forms, but the code names no number for them (`per` in keys.rs)"),
                );
                None
            }
            (DeValue::Table(_), false) => {
                self.report(
                    offset,
                    format!("`{key}` ({code}): this language has no plural forms; write one text"),
                );
                None
            }
            _ => {
                self.report(offset, format!("`{key}` ({code}) must be a string"));
                None
            }
        }
    }

    /// `{ one = "…", other = "…" }`: every category of `lang`, no other.
    fn plural_forms(
        &mut self,
        phrase: Phrase,
        key: &str,
        lang: Lang,
        table: &DeTable<'_>,
        offset: usize,
    ) -> Option<Forms> {
        let code = lang.code();
        let categories = Plural::categories(lang);
        let mut ok = true;
        for (name, _) in table {
            if !Plural::parse(name.get_ref()).is_some_and(|p| categories.contains(&p)) {
                let names: Vec<&str> = categories.iter().map(|p| p.name()).collect();
                self.report(
                    name.span().start,
                    format!(
                        "`{key}` ({code}): unknown plural form `{}` (forms: {})",
                        name.get_ref(),
                        names.join(", ")
                    ),
                );
                ok = false;
            }
        }
        let mut forms = Forms::single(String::new());
        for category in categories {
            let form = table
                .iter()
                .find(|(name, _)| name.get_ref() == category.name())
                .map(|(_, v)| v);
            let text = match form.map(|v| (v.get_ref().as_str(), v.span().start)) {
                Some((Some(text), at)) => self
                    .one_text(phrase, key, lang, text, at)
                    .map(str::to_string),
                Some((None, at)) => {
                    self.report(at, format!("`{key}` ({code}) must be a string"));
                    None
                }
                None => {
                    self.report(
                        offset,
                        format!("`{key}` ({code}) has no `{}` form", category.name()),
                    );
                    None
                }
            };
            match (text, category) {
                (Some(text), Plural::One) => forms.one = Some(text),
                (Some(text), Plural::Other) => forms.other = text,
                (None, _) => ok = false,
            }
        }
        ok.then_some(forms)
    }

    /// A text that must not be empty, with the checks of [`Cx::text`].
    fn one_text<'t>(
        &mut self,
        phrase: Phrase,
        key: &str,
        lang: Lang,
        text: &'t str,
        offset: usize,
    ) -> Option<&'t str> {
        if text.trim().is_empty() {
            self.report(offset, format!("`{key}` ({}) is empty", lang.code()));
            return None;
        }
        self.text(phrase, key, lang, text, offset);
        Some(text)
    }

    /// The checks of one language's text of `phrase`.
    fn text(&mut self, phrase: Phrase, key: &str, lang: Lang, text: &str, offset: usize) {
        let code = lang.code();
        let used = placeholders(text);
        for name in &used {
            if !phrase.placeholders().contains(name) {
                self.report(
                    offset,
                    format!(
                        "`{key}` ({code}): unknown placeholder {{{name}}}; this text may use {}",
                        list(phrase.placeholders())
                    ),
                );
            }
        }
        for name in phrase.placeholders() {
            if !used.contains(name) {
                self.report(
                    offset,
                    format!("`{key}` ({code}): placeholder {{{name}}} is declared but not used"),
                );
            }
        }
        let n = text.chars().count();
        let max = phrase.kind().max_chars();
        if n > max {
            self.report(
                offset,
                format!(
                    "`{key}` ({code}) is {n} characters; Telegram allows {max} for {}",
                    phrase.kind().name()
                ),
            );
        }
        if phrase.kind() != Kind::Usage {
            if let Some(value) = setting_value(text) {
                self.report(
                    offset,
                    format!(
                        "`{key}` ({code}) names a setting's value (`{value}`); use a placeholder the code fills from the setting"
                    ),
                );
            }
        }
    }
}

/// A table of entries (`[broadcast]`), as opposed to one entry's languages.
fn is_section(table: &DeTable<'_>) -> bool {
    !table.is_empty()
        && table
            .values()
            .all(|v| matches!(v.get_ref(), DeValue::Table(_)))
}

fn list(placeholders: &[&str]) -> String {
    if placeholders.is_empty() {
        return "none".into();
    }
    placeholders
        .iter()
        .map(|p| format!("{{{p}}}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A clock time, a number of hours/days/minutes, or a Chinese "9 点":
/// values that belong to settings. A time right after a date
/// (`2026-12-01 10:00`) is an example of what to type, not a setting.
static SETTING_VALUE: LazyLock<Regex> = LazyLock::new(|| {
    // A literal covered by the unit tests below.
    #[allow(clippy::expect_used)]
    Regex::new(concat!(
        r"(?i)(\d{4}-\d{2}-\d{2}[T ])?\b(\d{1,2}:\d{2})\b",
        r"|\b(\d+|an?|one|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty-four)\s*(hours?|days?|minutes?|mins?|weeks?)\b",
        r"|[\d一二两三四五六七八九十]+\s*(个)?(小时|天|分钟|周|点)",
    ))
    .expect("setting value pattern")
});

fn setting_value(text: &str) -> Option<String> {
    SETTING_VALUE
        .captures_iter(text)
        .find(|c| c.get(1).is_none())
        .and_then(|c| c.get(0))
        .map(|m| m.as_str().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(src: &str) -> Vec<String> {
        match Catalogue::parse(Path::new("texts.toml"), src) {
            Ok(_) => Vec::new(),
            Err(p) => p.iter().map(ToString::to_string).collect(),
        }
    }

    /// The repository's file with `from` replaced by `to` (once).
    fn edited(from: &str, to: &str) -> String {
        assert!(BUILT_IN.contains(from), "{from}");
        BUILT_IN.replacen(from, to, 1)
    }

    fn line_of(src: &str, needle: &str) -> usize {
        let at = src.find(needle).unwrap_or_else(|| panic!("{needle}"));
        src[..at].matches('\n').count() + 1
    }

    #[test]
    fn the_repository_catalogue_has_no_problems() {
        assert_eq!(problems(BUILT_IN), Vec::<String>::new());
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("dialogues");
        assert!(check_file(&dir).is_empty());
    }

    #[test]
    fn a_missing_language_is_named_with_its_line() {
        let src = edited(
            r#"menu = { zh = "主菜单：", en = "Main menu:", zh-Hant = "主菜單：" }"#,
            r#"menu = { zh = "主菜单：", zh-Hant = "主菜單：" }"#,
        );
        let line = line_of(&src, "menu = {");
        assert_eq!(
            problems(&src),
            vec![format!(
                "texts.toml:{line}: missing language: `menu` has no `en` text"
            )]
        );
    }

    #[test]
    fn an_unknown_language_is_named() {
        let src = edited(
            r#"menu = { zh = "主菜单：", en = "Main menu:", zh-Hant = "主菜單：" }"#,
            r#"menu = { zh = "主菜单：", en = "Main menu:", zh-Hant = "主菜單：", fr = "Menu :" }"#,
        );
        let line = line_of(&src, "menu = {");
        assert_eq!(
            problems(&src),
            vec![format!(
                "texts.toml:{line}: `menu`: unknown language `fr` (languages: zh, en, zh-Hant)"
            )]
        );
    }

    #[test]
    fn an_unknown_placeholder_is_named_with_its_line() {
        let src = edited("reference {ref})", "reference {reff})");
        let line = line_of(&src, "reference {reff}");
        assert_eq!(
            problems(&src),
            vec![
                format!("texts.toml:{line}: `apology` (en): unknown placeholder {{reff}}; this text may use {{ref}}"),
                format!("texts.toml:{line}: `apology` (en): placeholder {{ref}} is declared but not used"),
            ]
        );
    }

    #[test]
    fn an_over_long_text_is_named_with_its_line() {
        let long = "x".repeat(4097);
        let src = edited(r#"en = "Main menu:","#, &format!(r#"en = "{long}","#));
        let line = line_of(&src, "menu = {");
        assert_eq!(
            problems(&src),
            vec![format!(
                "texts.toml:{line}: `menu` (en) is 4097 characters; Telegram allows 4096 for a message"
            )]
        );
    }

    #[test]
    fn a_long_button_answer_is_over_the_callback_limit() {
        let long = "x".repeat(201);
        let src = edited(
            r#"en = "This button has expired.","#,
            &format!(r#"en = "{long}","#),
        );
        let line = line_of(&src, "button_expired = {");
        assert_eq!(
            problems(&src),
            vec![format!(
                "texts.toml:{line}: `button_expired` (en) is 201 characters; Telegram allows 200 for a button answer"
            )]
        );
    }

    #[test]
    fn a_missing_and_an_unknown_key_are_named() {
        let src = edited("nothing_to_cancel = {", "nothing_to_cancle = {");
        let line = line_of(&src, "nothing_to_cancle");
        assert_eq!(
            problems(&src),
            vec![
                format!("texts.toml:{line}: unknown key `nothing_to_cancle`: the code has no such text"),
                "texts.toml:1: missing key `nothing_to_cancel`: the code needs it (placeholders: none)".to_string(),
            ]
        );
    }

    #[test]
    fn a_setting_value_written_into_a_text_is_named() {
        let src = edited(
            r#"en = "There is nothing to cancel.","#,
            r#"en = "There is nothing to cancel before 21:00.","#,
        );
        let line = line_of(&src, "nothing_to_cancel = {");
        assert_eq!(
            problems(&src),
            vec![format!(
                "texts.toml:{line}: `nothing_to_cancel` (en) names a setting's value (`21:00`); use a placeholder the code fills from the setting"
            )]
        );
        assert_eq!(
            setting_value("closed after 24 hours"),
            Some("24 hours".into())
        );
        assert_eq!(setting_value("超过 24 小时未继续"), Some("24 小时".into()));
        assert_eq!(setting_value("晚 9 点到早 8 点"), Some("9 点".into()));
        assert_eq!(setting_value("e.g. 2026-12-01 10:00"), None);
        assert_eq!(setting_value("ticket {id} in {n} days"), None);
    }

    const RECALLED_EN: &str = r#"en = { one = "Broadcast #{n} recalled: {deleted} of {asked} copy deleted.", other = "Broadcast #{n} recalled: {deleted} of {asked} copies deleted." }"#;

    #[test]
    fn a_counted_text_needs_every_plural_form_of_its_language() {
        let src = edited(
            RECALLED_EN,
            r#"en = "Broadcast #{n} recalled: {deleted} of {asked} copies deleted.""#,
        );
        let line = line_of(&src, "\nrecalled = {") + 1;
        assert_eq!(
            problems(&src),
            vec![format!(
                "texts.toml:{line}: `notices.recalled` (en) counts {{asked}}: give a text per plural form (one, other)"
            )]
        );
        let src = edited(
            RECALLED_EN,
            r#"en = { other = "Broadcast #{n} recalled: {deleted} of {asked} copies deleted.", few = "x" }"#,
        );
        assert_eq!(
            problems(&src),
            vec![
                format!("texts.toml:{line}: `notices.recalled` (en): unknown plural form `few` (forms: one, other)"),
                format!("texts.toml:{line}: `notices.recalled` (en) has no `one` form"),
            ]
        );
    }

    #[test]
    fn plural_forms_only_where_the_code_counts_and_the_language_has_them() {
        let src = edited(
            r#"zh = "群发 #{n} 已撤回：已删除 {deleted}/{asked} 份。""#,
            r#"zh = { other = "群发 #{n} 已撤回：已删除 {deleted}/{asked} 份。" }"#,
        );
        let line = line_of(&src, "\nrecalled = {") + 1;
        assert_eq!(
            problems(&src),
            vec![format!(
                "texts.toml:{line}: `notices.recalled` (zh): this language has no plural forms; write one text"
            )]
        );
        let src = edited(
            r#"en = "Main menu:","#,
            r#"en = { one = "Main menu:", other = "Main menu:" },"#,
        );
        let line = line_of(&src, "menu = {");
        assert_eq!(
            problems(&src),
            vec![format!(
                "texts.toml:{line}: `menu` (en) has plural forms, but the code names no number for them (`per` in keys.rs)"
            )]
        );
    }

    #[test]
    fn a_syntax_error_is_named_with_its_line() {
        let src = edited("menu = {", "menu = {{");
        let line = line_of(&src, "menu = {{");
        let found = problems(&src);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with(&format!("texts.toml:{line}: ")),
            "{found:?}"
        );
    }
}

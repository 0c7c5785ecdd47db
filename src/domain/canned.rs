//! Canned replies: answers staff send to a ticket's owner with one press.
//! Each has a name (`on_the_way`) and a text in every language the
//! catalogue offers, with `{placeholders}` the ticket fills ([`PLACEHOLDERS`]).
//! The table `canned_replies` holds them; `dialogues/canned.toml` seeds it
//! at start-up (a name seeded once is never seeded again, so what managers
//! change with `/canned` stands), and `propdesk check` checks that file as
//! it checks the text catalogue.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::LazyLock;

use anyhow::{Context, Result};
use regex::Regex;
use serde_json::Value;
use sqlx::PgConnection;
use toml::de::{DeTable, DeValue};

use crate::i18n::Lang;
use crate::texts::{placeholders, Problem};

/// The seed file's name inside the dialogue folder.
pub const FILE_NAME: &str = "canned.toml";

/// What a canned reply's text may name; the ticket fills each.
pub const PLACEHOLDERS: &[&str] = &[
    "owner_name",
    "ticket",
    "unit",
    "visit_time",
    "staff",
    "duty_phone",
];

/// The longest text of one language (a reply goes out as one message).
pub const MAX_CHARS: usize = 2000;

/// A name: lower-case letters, digits and `_`, as a command argument.
static KEY: LazyLock<Regex> = LazyLock::new(|| {
    // A literal covered by the unit tests below.
    #[allow(clippy::expect_used)]
    Regex::new(r"^[a-z0-9_]{1,32}$").expect("canned key pattern")
});

/// Whether `key` can name a canned reply.
#[must_use]
pub fn valid_key(key: &str) -> bool {
    KEY.is_match(key)
}

/// A canned reply in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Canned {
    pub id: i64,
    pub key: String,
    pub texts: BTreeMap<Lang, String>,
}

impl Canned {
    /// The text in `lang` (every active reply has one per language; the
    /// first language answers for a row written before a language came).
    #[must_use]
    pub fn text(&self, lang: Lang) -> &str {
        self.texts
            .get(&lang)
            .or_else(|| self.texts.values().next())
            .map_or("", String::as_str)
    }

    /// The placeholders its texts use, each once.
    #[must_use]
    pub fn placeholders(&self) -> Vec<&str> {
        let mut all: Vec<&str> = self.texts.values().flat_map(|t| placeholders(t)).collect();
        all.sort_unstable();
        all.dedup();
        all
    }
}

/// Why texts cannot be a canned reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalid {
    MissingLanguage(Lang),
    UnknownPlaceholder(String),
    /// Languages name different placeholders (they would not say the same).
    PlaceholdersDiffer,
    TooLong(Lang),
}

impl Invalid {
    /// The reason in English, for `propdesk check`.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Invalid::MissingLanguage(l) => format!("no `{}` text", l.code()),
            Invalid::UnknownPlaceholder(p) => format!(
                "unknown placeholder {{{p}}}; a canned reply may use {}",
                list()
            ),
            Invalid::PlaceholdersDiffer => {
                "its languages use different placeholders; each must use the same ones".into()
            }
            Invalid::TooLong(l) => {
                format!("the `{}` text is over {MAX_CHARS} characters", l.code())
            }
        }
    }
}

/// The placeholders as a reader writes them: `{owner_name}, {ticket}, …`.
#[must_use]
pub fn list() -> String {
    PLACEHOLDERS
        .iter()
        .map(|p| format!("{{{p}}}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Checks the texts of one canned reply: one per language, known
/// placeholders only, the same ones in every language, not too long.
pub fn check(texts: &BTreeMap<Lang, String>) -> Result<(), Invalid> {
    for lang in Lang::ALL {
        let Some(text) = texts.get(&lang).filter(|t| !t.trim().is_empty()) else {
            return Err(Invalid::MissingLanguage(lang));
        };
        if text.chars().count() > MAX_CHARS {
            return Err(Invalid::TooLong(lang));
        }
        if let Some(p) = placeholders(text)
            .into_iter()
            .find(|p| !PLACEHOLDERS.contains(p))
        {
            return Err(Invalid::UnknownPlaceholder(p.to_string()));
        }
    }
    let sets: Vec<Vec<&str>> = texts
        .values()
        .map(|t| {
            let mut p = placeholders(t);
            p.sort_unstable();
            p.dedup();
            p
        })
        .collect();
    if sets.windows(2).any(|w| w[0] != w[1]) {
        return Err(Invalid::PlaceholdersDiffer);
    }
    Ok(())
}

/// One reply of the seed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seed {
    pub key: String,
    pub texts: BTreeMap<Lang, String>,
}

/// Reads and checks `dir/canned.toml` (a missing file seeds nothing):
/// `[name]` tables of `zh = "…"`, `en = "…"`. Any problem refuses the file.
pub fn load(dir: &Path) -> Result<Vec<Seed>, Vec<Problem>> {
    let file = dir.join(FILE_NAME);
    let src = match std::fs::read(&file) {
        Ok(bytes) => String::from_utf8(bytes).map_err(|_| {
            vec![Problem {
                file: file.clone(),
                line: 1,
                message: "the file is not UTF-8 text".into(),
            }]
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(vec![Problem {
                file,
                line: 1,
                message: format!("cannot read the canned replies: {e}"),
            }])
        }
    };
    parse(&file, &src)
}

/// Every problem of `dir/canned.toml`; empty when it is fine.
#[must_use]
pub fn check_file(dir: &Path) -> Vec<Problem> {
    load(dir).err().unwrap_or_default()
}

/// Parses the seed file's text.
pub fn parse(file: &Path, src: &str) -> Result<Vec<Seed>, Vec<Problem>> {
    let line = |offset: usize| {
        src.as_bytes()[..offset.min(src.len())]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1
    };
    let mut problems = Vec::new();
    let mut report = |offset: usize, message: String| {
        problems.push(Problem {
            file: file.to_path_buf(),
            line: line(offset),
            message,
        });
    };
    let root = match DeTable::parse(src) {
        Ok(root) => root,
        Err(e) => {
            report(
                e.span().map_or(0, |s| s.start),
                e.message().trim().to_string(),
            );
            return Err(problems);
        }
    };
    let mut seeds = Vec::new();
    for (key, value) in root.get_ref() {
        let at = key.span().start;
        let name = key.get_ref().to_string();
        if !valid_key(&name) {
            report(
                at,
                format!("`{name}`: a name is lower-case letters, digits and _ (at most 32)"),
            );
            continue;
        }
        let DeValue::Table(table) = value.get_ref() else {
            report(
                at,
                format!("`{name}` needs a text per language: [{name}] zh = \"…\""),
            );
            continue;
        };
        let mut texts = BTreeMap::new();
        for (code, text) in table {
            let Some(lang) = Lang::parse(code.get_ref()) else {
                report(
                    code.span().start,
                    format!("`{name}`: unknown language `{}`", code.get_ref()),
                );
                continue;
            };
            match text.get_ref().as_str() {
                Some(t) => {
                    texts.insert(lang, t.to_string());
                }
                None => report(
                    code.span().start,
                    format!("`{name}` ({}) must be a string", lang.code()),
                ),
            }
        }
        match check(&texts) {
            Ok(()) => seeds.push(Seed { key: name, texts }),
            Err(why) => report(at, format!("`{name}`: {}", why.describe())),
        }
    }
    if problems.is_empty() {
        Ok(seeds)
    } else {
        Err(problems)
    }
}

fn to_json(texts: &BTreeMap<Lang, String>) -> Value {
    Value::Object(
        texts
            .iter()
            .map(|(l, t)| (l.code().to_string(), Value::String(t.clone())))
            .collect(),
    )
}

fn from_json(value: &Value) -> BTreeMap<Lang, String> {
    value
        .as_object()
        .map(|o| {
            o.iter()
                .filter_map(|(code, t)| Some((Lang::parse(code)?, t.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

struct Row {
    id: i64,
    key: String,
    texts: Value,
}

fn canned(row: Row) -> Canned {
    Canned {
        id: row.id,
        key: row.key,
        texts: from_json(&row.texts),
    }
}

/// Inserts the seeds whose names the table does not know yet; returns how
/// many were new.
pub async fn seed(conn: &mut PgConnection, seeds: &[Seed]) -> Result<u64> {
    let mut added = 0;
    for s in seeds {
        added += sqlx::query!(
            "INSERT INTO canned_replies (key, texts, updated_by) VALUES ($1, $2, 'seed')
             ON CONFLICT ON CONSTRAINT canned_replies_key_key DO NOTHING",
            s.key,
            to_json(&s.texts),
        )
        .execute(&mut *conn)
        .await
        .context("seeding a canned reply")?
        .rows_affected();
    }
    Ok(added)
}

/// Every reply in force, by name.
pub async fn active(conn: &mut PgConnection) -> Result<Vec<Canned>> {
    let rows = sqlx::query_as!(
        Row,
        "SELECT id, key, texts FROM canned_replies WHERE active ORDER BY key"
    )
    .fetch_all(conn)
    .await
    .context("reading the canned replies")?;
    Ok(rows.into_iter().map(canned).collect())
}

/// The reply in force with this id.
pub async fn by_id(conn: &mut PgConnection, id: i64) -> Result<Option<Canned>> {
    let row = sqlx::query_as!(
        Row,
        "SELECT id, key, texts FROM canned_replies WHERE id = $1 AND active",
        id
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(canned))
}

/// The reply in force named `key`.
pub async fn by_key(conn: &mut PgConnection, key: &str) -> Result<Option<Canned>> {
    let row = sqlx::query_as!(
        Row,
        "SELECT id, key, texts FROM canned_replies WHERE key = $1 AND active",
        key
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(canned))
}

/// Adds a reply (checked by the caller with [`check`]); a retired one of
/// that name comes back with these texts. False when one of that name is
/// in force (nothing changes).
pub async fn add(
    conn: &mut PgConnection,
    key: &str,
    texts: &BTreeMap<Lang, String>,
    by: &str,
) -> Result<bool> {
    let id = sqlx::query_scalar!(
        "INSERT INTO canned_replies (key, texts, updated_by) VALUES ($1, $2, $3)
         ON CONFLICT ON CONSTRAINT canned_replies_key_key DO UPDATE
           SET texts = EXCLUDED.texts, active = TRUE, updated_at = now(), updated_by = $3
         WHERE NOT canned_replies.active
         RETURNING id",
        key,
        to_json(texts),
        by,
    )
    .fetch_optional(conn)
    .await
    .context("adding a canned reply")?;
    Ok(id.is_some())
}

/// Replaces the texts of the reply in force named `key`; false if none.
pub async fn edit(
    conn: &mut PgConnection,
    key: &str,
    texts: &BTreeMap<Lang, String>,
    by: &str,
) -> Result<bool> {
    let n = sqlx::query!(
        "UPDATE canned_replies SET texts = $2, updated_at = now(), updated_by = $3
          WHERE key = $1 AND active",
        key,
        to_json(texts),
        by,
    )
    .execute(conn)
    .await
    .context("changing a canned reply")?
    .rows_affected();
    Ok(n == 1)
}

/// Retires the reply named `key` (it stays for the record); false if none
/// is in force.
pub async fn retire(conn: &mut PgConnection, key: &str, by: &str) -> Result<bool> {
    let n = sqlx::query!(
        "UPDATE canned_replies SET active = FALSE, updated_at = now(), updated_by = $2
          WHERE key = $1 AND active",
        key,
        by,
    )
    .execute(conn)
    .await
    .context("retiring a canned reply")?
    .rows_affected();
    Ok(n == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Texts in every language (Traditional Chinese as the Chinese).
    fn texts(zh: &str, en: &str) -> BTreeMap<Lang, String> {
        BTreeMap::from([
            (Lang::Zh, zh.to_string()),
            (Lang::En, en.to_string()),
            (Lang::ZhHant, zh.to_string()),
        ])
    }

    #[test]
    fn names_are_short_lower_case_words() {
        assert!(valid_key("on_the_way"));
        assert!(valid_key("visit2"));
        for bad in ["", "On", "a-b", "a b", &"x".repeat(33), "上门"] {
            assert!(!valid_key(bad), "{bad:?}");
        }
    }

    #[test]
    fn texts_need_every_language_known_placeholders_and_the_same_ones() {
        assert_eq!(
            check(&texts("您好 {owner_name}", "Hello {owner_name}")),
            Ok(())
        );
        assert_eq!(
            check(&BTreeMap::from([(Lang::Zh, "您好".to_string())])),
            Err(Invalid::MissingLanguage(Lang::En))
        );
        assert_eq!(
            check(&texts("{owner} 您好", "Hello {owner}")),
            Err(Invalid::UnknownPlaceholder("owner".into()))
        );
        assert_eq!(
            check(&texts("{visit_time} 上门", "Hello {owner_name}")),
            Err(Invalid::PlaceholdersDiffer)
        );
        assert_eq!(
            check(&texts(&"长".repeat(MAX_CHARS + 1), "x")),
            Err(Invalid::TooLong(Lang::Zh))
        );
    }

    #[test]
    fn the_seed_file_reports_problems_with_their_lines() {
        let src = "[ok]\nzh = \"好\"\nen = \"ok\"\nzh-Hant = \"好\"\n\n[Bad-Name]\nzh = \"x\"\nen = \"x\"\nzh-Hant = \"x\"\n\n[half]\nzh = \"{ticket}\"\n";
        let problems = parse(Path::new("canned.toml"), src).unwrap_err();
        let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(lines[0].starts_with("canned.toml:6: "), "{lines:?}");
        assert!(
            lines[1].starts_with("canned.toml:11: ") && lines[1].contains("`en`"),
            "{lines:?}"
        );
    }

    #[test]
    fn the_dialogue_loader_leaves_the_seed_file_alone() {
        assert!(crate::engine::load::NOT_DIALOGUES.contains(&FILE_NAME));
    }

    #[test]
    fn the_repository_seed_file_is_fine() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("dialogues");
        let seeds = load(&dir).unwrap_or_else(|p| panic!("{p:?}"));
        assert!(seeds.len() >= 3);
    }
}

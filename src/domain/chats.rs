//! The `chats` table: every chat the bot has seen, the language chosen in
//! it, and whether the bot can still write there. Every query on `chats` is
//! in this module; other queries that need a chat's reachability or
//! language call the SQL functions `chat_is_reachable` and `chat_language`
//! (migration 0026) instead of joining the table themselves.
//!
//! # Reachability: the one rule
//!
//! A chat is **unreachable** from the moment Telegram tells us the bot
//! cannot write there, until the chat shows that it can again:
//!
//! * it becomes unreachable ([`mark_blocked`]) when a send is answered 403
//!   (the person blocked the bot or deleted their account, the bot is no
//!   longer in the group), or when a `my_chat_member` update says the bot
//!   is no longer present (a person blocked it; the bot was removed from,
//!   or banned in, a group);
//! * it is reachable again ([`mark_unblocked`], [`remember`]) when a
//!   `my_chat_member` update says the bot is present again (unblocked,
//!   added back), or when any message comes from the chat: nobody can
//!   write to a bot they blocked, and a bot that left a group gets nothing
//!   from it.
//!
//! * a group a stranger added the bot to is **left** ([`mark_left`]): the
//!   bot leaves it and it stays unreachable whatever comes from it, until
//!   staff add the bot back ([`mark_rejoined`]).
//!
//! Every other chat, one the bot has never seen included, is **reachable**:
//! its sends are tried, and a 403 settles it. So an audience query, the
//! outbox (a row for an unreachable chat is stored as `unreachable` at once)
//! and staff replying to an owner all ask the same question, written once as
//! the SQL function `chat_is_reachable(chat_id)` (migration 0026), which
//! every query calls by name; `chat_language(chat_id)` likewise reads a
//! chat's language.
//!
//! # Open private chats
//!
//! Telegram lets a bot write to a person only after they started it. Where
//! a private message has somewhere else to go (a staff member's own chat or
//! else the staff group), [`has_open_private_chat`] asks for a chat the bot
//! has *seen* and that is reachable by the rule above, so the message goes
//! where it is sure to arrive.

use std::collections::HashMap;

use anyhow::{Context, Result};
use sqlx::PgConnection;

use crate::i18n::Lang;

/// What Telegram says a chat is (`chats.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Private,
    Group,
    Supergroup,
    Channel,
}

impl Kind {
    /// The stored code.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Kind::Private => "private",
            Kind::Group => "group",
            Kind::Supergroup => "supergroup",
            Kind::Channel => "channel",
        }
    }

    /// The kind a bare chat id implies, for a chat first met in a send's
    /// answer: people have positive ids, groups negative ones, supergroups
    /// and channels below -10^12.
    #[must_use]
    pub fn guess(chat_id: i64) -> Kind {
        if chat_id > 0 {
            Kind::Private
        } else if chat_id <= -1_000_000_000_000 {
            Kind::Supergroup
        } else {
            Kind::Group
        }
    }
}

/// What the bot has stored about a chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Known {
    pub language: Option<Lang>,
    pub blocked: bool,
    pub is_forum: bool,
}

impl Known {
    /// Whether a message from this chat would leave its row as it is
    /// ([`remember`] writes only when it would not).
    #[must_use]
    pub fn unchanged_by_message(&self, is_forum: bool) -> bool {
        !self.blocked && self.is_forum == is_forum
    }
}

/// The stored rows of `chat_ids`, keyed by chat id (a chat never seen is
/// absent): one read for a whole batch of updates.
pub async fn known(conn: &mut PgConnection, chat_ids: &[i64]) -> Result<HashMap<i64, Known>> {
    if chat_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = sqlx::query!(
        r#"SELECT chat_id, language, blocked_at IS NOT NULL AS "blocked!", is_forum
             FROM chats WHERE chat_id = ANY($1)"#,
        chat_ids
    )
    .fetch_all(conn)
    .await
    .context("reading chats")?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.chat_id,
                Known {
                    language: r.language.as_deref().and_then(Lang::parse),
                    blocked: r.blocked,
                    is_forum: r.is_forum,
                },
            )
        })
        .collect())
}

/// Records a message from `chat_id`: the chat is known from now on and, by
/// the rule, reachable again. `detected` is the language Telegram reports
/// for the person (private chats), stored only when the chat is new.
/// Returns the chat's stored language.
pub async fn remember(
    conn: &mut PgConnection,
    chat_id: i64,
    kind: Kind,
    detected: Option<Lang>,
    is_forum: bool,
) -> Result<Option<Lang>> {
    // A known chat's row is written only when something changed, so the
    // every-message path leaves no dead row version behind for autovacuum.
    let language: Option<Option<String>> = sqlx::query_scalar!(
        r#"WITH written AS (
               INSERT INTO chats (chat_id, kind, language, is_forum) VALUES ($1, $2, $3, $4)
               ON CONFLICT (chat_id) DO UPDATE
                  SET blocked_at = NULL, updated_at = now(), is_forum = EXCLUDED.is_forum
                WHERE chats.blocked_at IS NOT NULL OR chats.is_forum <> EXCLUDED.is_forum
               RETURNING language)
           SELECT language FROM written
           UNION ALL
           SELECT language FROM chats
            WHERE chat_id = $1 AND NOT EXISTS (SELECT 1 FROM written)"#,
        chat_id,
        kind.code(),
        detected.map(Lang::code),
        is_forum,
    )
    .fetch_optional(conn)
    .await
    .context("remembering a chat")?;
    Ok(language.flatten().as_deref().and_then(Lang::parse))
}

/// Records whether a chat is a forum (topics on), as Telegram last said.
pub async fn set_forum(conn: &mut PgConnection, chat_id: i64, is_forum: bool) -> Result<()> {
    sqlx::query!(
        "UPDATE chats SET is_forum = $2 WHERE chat_id = $1 AND is_forum <> $2",
        chat_id,
        is_forum
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether a chat is a forum, as far as the bot knows.
pub async fn is_forum(conn: &mut PgConnection, chat_id: i64) -> Result<bool> {
    let forum = sqlx::query_scalar!("SELECT is_forum FROM chats WHERE chat_id = $1", chat_id)
        .fetch_optional(conn)
        .await?;
    Ok(forum.unwrap_or(false))
}

/// The language chosen for (or detected in) a chat, if it is known.
pub async fn language(conn: &mut PgConnection, chat_id: i64) -> Result<Option<Lang>> {
    let code = sqlx::query_scalar!("SELECT language FROM chats WHERE chat_id = $1", chat_id)
        .fetch_optional(conn)
        .await
        .context("reading a chat's language")?;
    Ok(code.flatten().as_deref().and_then(Lang::parse))
}

/// The person chose `lang` in `chat_id`.
pub async fn set_language(conn: &mut PgConnection, chat_id: i64, lang: Lang) -> Result<()> {
    sqlx::query!(
        "UPDATE chats SET language = $2, updated_at = now() WHERE chat_id = $1",
        chat_id,
        lang.code(),
    )
    .execute(conn)
    .await
    .context("setting a chat's language")?;
    Ok(())
}

/// Telegram said the bot cannot write to `chat_id` (403, or the bot was
/// blocked / removed): unreachable until [`mark_unblocked`] or a message.
pub async fn mark_blocked(conn: &mut PgConnection, chat_id: i64, kind: Kind) -> Result<()> {
    sqlx::query!(
        "INSERT INTO chats (chat_id, kind, blocked_at) VALUES ($1, $2, now())
         ON CONFLICT (chat_id) DO UPDATE SET blocked_at = now(), updated_at = now()",
        chat_id,
        kind.code(),
    )
    .execute(conn)
    .await
    .context("marking a chat unreachable")?;
    Ok(())
}

/// Telegram said the bot is back in `chat_id` (unblocked, added again).
pub async fn mark_unblocked(conn: &mut PgConnection, chat_id: i64, kind: Kind) -> Result<()> {
    sqlx::query!(
        "INSERT INTO chats (chat_id, kind) VALUES ($1, $2)
         ON CONFLICT (chat_id) DO UPDATE SET blocked_at = NULL, updated_at = now()",
        chat_id,
        kind.code(),
    )
    .execute(conn)
    .await
    .context("marking a chat reachable")?;
    Ok(())
}

/// The bot leaves `chat_id` (a stranger added it to a group): unreachable
/// until staff add it back ([`mark_rejoined`]).
pub async fn mark_left(conn: &mut PgConnection, chat_id: i64, kind: Kind) -> Result<()> {
    sqlx::query!(
        "INSERT INTO chats (chat_id, kind, left_at) VALUES ($1, $2, now())
         ON CONFLICT (chat_id) DO UPDATE SET left_at = now(), updated_at = now()",
        chat_id,
        kind.code(),
    )
    .execute(conn)
    .await
    .context("marking a chat left")?;
    Ok(())
}

/// Staff added the bot (back) to `chat_id`: reachable again.
pub async fn mark_rejoined(conn: &mut PgConnection, chat_id: i64, kind: Kind) -> Result<()> {
    sqlx::query!(
        "INSERT INTO chats (chat_id, kind) VALUES ($1, $2)
         ON CONFLICT (chat_id) DO UPDATE SET blocked_at = NULL, left_at = NULL, updated_at = now()",
        chat_id,
        kind.code(),
    )
    .execute(conn)
    .await
    .context("marking a chat joined")?;
    Ok(())
}

/// Whether the bot can write to `chat_id`, by the rule.
pub async fn is_reachable(conn: &mut PgConnection, chat_id: i64) -> Result<bool> {
    let reachable = sqlx::query_scalar!(r#"SELECT chat_is_reachable($1) AS "r!""#, chat_id)
        .fetch_one(conn)
        .await
        .context("asking whether a chat is reachable")?;
    Ok(reachable)
}

/// Whether `user_id` has a private chat with the bot that it can write to:
/// seen, and reachable by the rule (see "Open private chats").
pub async fn has_open_private_chat(conn: &mut PgConnection, user_id: i64) -> Result<bool> {
    let open = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM chats WHERE chat_id = $1) AND chat_is_reachable($1)
             AS "open!""#,
        user_id
    )
    .fetch_one(conn)
    .await
    .context("asking for a private chat")?;
    Ok(open)
}

/// Someone to write to, in their language.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Recipient {
    pub chat_id: i64,
    pub language: Option<String>,
}

impl Recipient {
    /// The chat's language, else the person's, else the default.
    #[must_use]
    pub fn lang(&self) -> Lang {
        self.language
            .as_deref()
            .and_then(Lang::parse)
            .unwrap_or_default()
    }
}

/// The registered people of the units in `buildings` whose chats are
/// reachable, once each, by chat id.
pub async fn reachable_residents(
    conn: &mut PgConnection,
    buildings: &[String],
) -> Result<Vec<Recipient>> {
    let rows = sqlx::query_as!(
        Recipient,
        r#"SELECT DISTINCT ON (p.telegram_user_id)
                  p.telegram_user_id AS "chat_id!",
                  COALESCE(chat_language(p.telegram_user_id), p.language) AS language
             FROM units u
             JOIN unit_members m ON m.unit_id = u.id
             JOIN people p ON p.id = m.person_id
            WHERE u.building = ANY($1)
              AND p.telegram_user_id IS NOT NULL
              AND chat_is_reachable(p.telegram_user_id)
            ORDER BY p.telegram_user_id"#,
        buildings
    )
    .fetch_all(conn)
    .await
    .context("choosing the residents of buildings")?;
    Ok(rows)
}

/// The registered people of the units in an outage's scope — `buildings`,
/// within them `entrances` (empty: all) and floors `floor_min` to
/// `floor_max` (None: no bound), read from the units' own columns — whose
/// chats are reachable, once each, by chat id.
pub async fn reachable_residents_in(
    conn: &mut PgConnection,
    buildings: &[String],
    entrances: &[String],
    floor_min: Option<i32>,
    floor_max: Option<i32>,
) -> Result<Vec<Recipient>> {
    let rows = sqlx::query_as!(
        Recipient,
        r#"SELECT DISTINCT ON (p.telegram_user_id)
                p.telegram_user_id AS "chat_id!",
                COALESCE(chat_language(p.telegram_user_id), p.language) AS language
           FROM units u
           JOIN unit_members m ON m.unit_id = u.id
           JOIN people p ON p.id = m.person_id
          WHERE u.building = ANY($1)
            AND (cardinality($2::text[]) = 0 OR u.entrance = ANY($2))
            AND ($3::int IS NULL OR u.floor >= $3)
            AND ($4::int IS NULL OR u.floor <= $4)
            AND p.telegram_user_id IS NOT NULL
            AND chat_is_reachable(p.telegram_user_id)
          ORDER BY p.telegram_user_id"#,
        buildings,
        entrances,
        floor_min,
        floor_max,
    )
    .fetch_all(conn)
    .await
    .context("choosing the residents of an outage's scope")?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_ids_imply_their_kind() {
        assert_eq!(Kind::guess(5001), Kind::Private);
        assert_eq!(Kind::guess(-100_777), Kind::Group);
        assert_eq!(Kind::guess(-1_001_234_567_890), Kind::Supergroup);
    }
}

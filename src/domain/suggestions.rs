//! The suggestion box (意见箱): what owners drop in it, and the daily digest's
//! reading of what is new. This module owns the `suggestions` table.

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgConnection;

/// A suggestion as the owner left it.
#[derive(Debug, Clone)]
pub struct NewSuggestion<'a> {
    /// None when the owner asked to stay anonymous (or is not registered).
    pub person_id: Option<i64>,
    /// Where to thank them; None when anonymous.
    pub chat_id: Option<i64>,
    pub anonymous: bool,
    pub body: &'a str,
    /// Telegram file ids of the photos that came with it.
    pub photo_file_ids: Vec<Value>,
    /// The update that carried it: a redelivered update stores it once.
    pub source_update_id: i64,
}

/// Drops a suggestion in the box (once per update).
pub async fn insert(conn: &mut PgConnection, s: &NewSuggestion<'_>) -> Result<()> {
    sqlx::query!(
        "INSERT INTO suggestions (person_id, chat_id, anonymous, body, photos, source_update_id)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (source_update_id) DO NOTHING",
        s.person_id,
        s.chat_id,
        s.anonymous,
        s.body,
        Value::Array(s.photo_file_ids.clone()),
        s.source_update_id
    )
    .execute(conn)
    .await
    .context("saving a suggestion")?;
    Ok(())
}

/// An unread suggestion, with who left it unless they stayed anonymous.
#[derive(Debug, Clone)]
pub struct Unread {
    pub anonymous: bool,
    pub body: String,
    pub chat_id: Option<i64>,
    pub name: Option<String>,
    /// The author's default unit (or another of theirs).
    pub code: Option<String>,
}

/// Takes every unread suggestion, oldest first, and marks them read at
/// `now` — in the caller's transaction, so a digest that is rolled back
/// leaves them unread.
pub async fn take_unread(conn: &mut PgConnection, now: DateTime<Utc>) -> Result<Vec<Unread>> {
    let rows = sqlx::query_as!(
        Unread,
        r#"SELECT s.anonymous, s.body, s.chat_id, p.name AS "name?", u.code AS "code?"
           FROM suggestions s
           LEFT JOIN people p ON p.id = s.person_id AND NOT s.anonymous
           LEFT JOIN LATERAL (
               SELECT un.code FROM unit_members m JOIN units un ON un.id = m.unit_id
                WHERE m.person_id = p.id ORDER BY m.is_default DESC LIMIT 1) u ON TRUE
          WHERE s.read_at IS NULL
          ORDER BY s.id
          FOR UPDATE OF s"#
    )
    .fetch_all(&mut *conn)
    .await
    .context("reading the suggestion box")?;
    sqlx::query!(
        "UPDATE suggestions SET read_at = $1 WHERE read_at IS NULL",
        now
    )
    .execute(conn)
    .await?;
    Ok(rows)
}

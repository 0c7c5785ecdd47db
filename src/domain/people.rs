//! Owners, tenants and family members (`people`), found by their normalized
//! phone when they register from Telegram, or by their Telegram account. A
//! person an owner invited may have no phone on file.

use anyhow::Context;
use sqlx::PgConnection;

use crate::domain::phone::Phone;

/// A person of the estate as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub id: i64,
    pub name: String,
    pub phone: Option<Phone>,
    pub telegram_user_id: Option<i64>,
    pub language: Option<String>,
    pub fee_reminders: bool,
}

struct PersonRow {
    id: i64,
    name: String,
    phone: Option<String>,
    telegram_user_id: Option<i64>,
    language: Option<String>,
    fee_reminders: bool,
}

fn person(r: PersonRow) -> Person {
    Person {
        id: r.id,
        name: r.name,
        phone: r.phone.map(Phone::from_stored),
        telegram_user_id: r.telegram_user_id,
        language: r.language,
        fee_reminders: r.fee_reminders,
    }
}

/// The people whose phone is `phone`. `people.phone` is unique, so this is
/// at most one person today; a list keeps registration's call site honest
/// should households ever share a number.
pub async fn find_people_by_phone(
    conn: &mut PgConnection,
    phone: &Phone,
) -> anyhow::Result<Vec<Person>> {
    let rows = sqlx::query_as!(
        PersonRow,
        "SELECT id, name, phone, telegram_user_id, language, fee_reminders
           FROM people WHERE phone = $1 ORDER BY id",
        phone.as_str()
    )
    .fetch_all(conn)
    .await
    .context("looking people up by phone")?;
    Ok(rows.into_iter().map(person).collect())
}

/// The person bound to a Telegram account, if any.
pub async fn find_person_by_telegram_id(
    conn: &mut PgConnection,
    telegram_user_id: i64,
) -> anyhow::Result<Option<Person>> {
    let row = sqlx::query_as!(
        PersonRow,
        "SELECT id, name, phone, telegram_user_id, language, fee_reminders
           FROM people WHERE telegram_user_id = $1",
        telegram_user_id
    )
    .fetch_optional(conn)
    .await
    .context("looking a person up by Telegram id")?;
    Ok(row.map(person))
}

/// The language stored for the person bound to a Telegram account.
pub async fn language_of_telegram(
    conn: &mut PgConnection,
    telegram_user_id: i64,
) -> anyhow::Result<Option<String>> {
    let stored = sqlx::query_scalar!(
        "SELECT language FROM people WHERE telegram_user_id = $1",
        telegram_user_id
    )
    .fetch_optional(conn)
    .await?;
    Ok(stored.flatten())
}

/// Records whether the person wants monthly arrears reminders.
pub async fn set_fee_reminders(
    conn: &mut PgConnection,
    person_id: i64,
    wanted: bool,
) -> anyhow::Result<()> {
    sqlx::query!(
        "UPDATE people SET fee_reminders = $2, updated_at = now() WHERE id = $1",
        person_id,
        wanted
    )
    .execute(conn)
    .await
    .context("saving the reminder choice")?;
    Ok(())
}

/// Binds Telegram account `telegram_user_id` to `person_id`, in `language`:
/// the account then belongs to this person only (a previous binding of it
/// to someone else is undone).
pub async fn bind_telegram(
    conn: &mut PgConnection,
    person_id: i64,
    telegram_user_id: i64,
    language: &str,
) -> anyhow::Result<()> {
    sqlx::query!(
        "UPDATE people SET telegram_user_id = NULL, updated_at = now()
          WHERE telegram_user_id = $1 AND id <> $2",
        telegram_user_id,
        person_id
    )
    .execute(&mut *conn)
    .await
    .context("unbinding a Telegram account from someone else")?;
    sqlx::query!(
        "UPDATE people SET telegram_user_id = $2, language = $3, updated_at = now() WHERE id = $1",
        person_id,
        telegram_user_id,
        language
    )
    .execute(conn)
    .await
    .context("binding a Telegram account")?;
    Ok(())
}

/// The person of Telegram account `telegram_user_id`, or of `phone`, or a
/// new one named `name`: whoever the office is about to bind to a unit. The
/// account ends up linked to the person returned.
pub async fn for_account(
    conn: &mut PgConnection,
    telegram_user_id: i64,
    phone: Option<&Phone>,
    name: &str,
    lang: &str,
) -> anyhow::Result<i64> {
    let by_phone = match phone {
        Some(p) => find_people_by_phone(conn, p).await?.into_iter().next(),
        None => None,
    };
    let existing = match by_phone {
        Some(p) => Some(p),
        None => find_person_by_telegram_id(conn, telegram_user_id).await?,
    };
    let id = match existing {
        Some(p) => p.id,
        None => sqlx::query_scalar!(
            "INSERT INTO people (name, phone, language) VALUES ($1, $2, $3) RETURNING id",
            name,
            phone.map(Phone::as_str),
            lang
        )
        .fetch_one(&mut *conn)
        .await
        .context("adding a person")?,
    };
    bind_telegram(conn, id, telegram_user_id, lang).await?;
    Ok(id)
}

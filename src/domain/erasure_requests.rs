//! `/forgetme`'s pending confirmations (`erasure_requests`): the first
//! press stores a nonce and its time; the second must carry that nonce and
//! come within [`CONFIRM_WITHIN`], or nothing is erased.

use anyhow::{Context, Result};
use chrono::{DateTime, Duration, Utc};
use sqlx::PgConnection;

/// How long the second confirmation is valid after the first.
pub const CONFIRM_WITHIN: Duration = Duration::minutes(10);

/// Records the first confirmation of `user_id` at `now` (again: a new
/// nonce, so an older second button no longer works); returns the nonce
/// the second button carries.
pub async fn confirm_first(
    conn: &mut PgConnection,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<i64> {
    let nonce = sqlx::query_scalar!(
        "INSERT INTO erasure_requests (telegram_user_id, nonce, confirmed_at)
         VALUES ($1, (floor(random() * 9e15) + 1)::bigint, $2)
         ON CONFLICT (telegram_user_id) DO UPDATE
           SET nonce = EXCLUDED.nonce, confirmed_at = EXCLUDED.confirmed_at
         RETURNING nonce",
        user_id,
        now
    )
    .fetch_one(conn)
    .await
    .context("recording an erasure request")?;
    Ok(nonce)
}

/// What a second confirmation is worth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Second {
    /// Within the time, with the nonce of the first: erase.
    Valid,
    /// The nonce is right but the time is past: nothing is erased.
    Expired,
    /// No first confirmation of this person with this nonce (kept, used,
    /// replaced by a newer one, or forged).
    Invalid,
}

/// Takes the pending request of `user_id` if `nonce` is its own (it is
/// used up either way) and says whether it is still valid at `now`.
pub async fn take(
    conn: &mut PgConnection,
    user_id: i64,
    nonce: i64,
    now: DateTime<Utc>,
) -> Result<Second> {
    let at = sqlx::query_scalar!(
        "DELETE FROM erasure_requests WHERE telegram_user_id = $1 AND nonce = $2
         RETURNING confirmed_at",
        user_id,
        nonce
    )
    .fetch_optional(conn)
    .await
    .context("reading an erasure request")?;
    Ok(match at {
        None => Second::Invalid,
        Some(at) if now - at > CONFIRM_WITHIN => Second::Expired,
        Some(_) => Second::Valid,
    })
}

/// The person changed their mind: the pending request is dropped.
pub async fn withdraw(conn: &mut PgConnection, user_id: i64) -> Result<()> {
    sqlx::query!(
        "DELETE FROM erasure_requests WHERE telegram_user_id = $1",
        user_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

//! Who belongs to a unit, changed outside an import's upsert: staff binding
//! an applicant or unbinding someone who moved out, an owner's one-time
//! invitation links for family members and tenants, and `import owners
//! --replace` removing the memberships a file no longer lists. Every change
//! is written to `unit_member_log`. The one owner of `unit_members` writes
//! besides the import's upsert, and of `invites`.
//!
//! A member invited by an owner leaves with that owner: unbinding the owner
//! from the unit (by staff or by `--replace`) unbinds the people they
//! invited to it.

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use sqlx::PgConnection;

use crate::domain::units::Role;

/// How a membership came about (`unit_members.source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// An owners.csv row.
    Import,
    /// Staff, from a registration request.
    Staff,
    /// An owner's invitation link.
    Invite,
}

impl Source {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Import => "import",
            Source::Staff => "staff",
            Source::Invite => "invite",
        }
    }

    fn from_stored(s: &str) -> Source {
        match s {
            "staff" => Source::Staff,
            "invite" => Source::Invite,
            _ => Source::Import,
        }
    }
}

/// Who made a change, for `unit_member_log`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// A staff member's Telegram id.
    Staff(i64),
    /// An owner (person id) removing a member of their household.
    Owner(i64),
    /// The owner (person id) whose invitation was used.
    Invite(i64),
    /// `propdesk import owners --replace`.
    Import,
}

impl Actor {
    fn parts(self) -> (&'static str, Option<i64>) {
        match self {
            Actor::Staff(id) => ("staff", Some(id)),
            Actor::Owner(id) => ("owner", Some(id)),
            Actor::Invite(id) => ("invite", Some(id)),
            Actor::Import => ("import", None),
        }
    }
}

/// A member of a unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub person_id: i64,
    pub name: String,
    pub phone: Option<String>,
    pub telegram_user_id: Option<i64>,
    pub role: Role,
    pub source: Source,
    pub invited_by: Option<i64>,
}

struct MemberRow {
    person_id: i64,
    name: String,
    phone: Option<String>,
    telegram_user_id: Option<i64>,
    role: String,
    source: String,
    invited_by: Option<i64>,
}

impl From<MemberRow> for Member {
    fn from(r: MemberRow) -> Member {
        Member {
            person_id: r.person_id,
            name: r.name,
            phone: r.phone,
            telegram_user_id: r.telegram_user_id,
            role: Role::from_stored(&r.role),
            source: Source::from_stored(&r.source),
            invited_by: r.invited_by,
        }
    }
}

/// The members of `unit_id`: owners, then tenants, then family, by name.
pub async fn members_of_unit(conn: &mut PgConnection, unit_id: i64) -> anyhow::Result<Vec<Member>> {
    let rows = sqlx::query_as!(
        MemberRow,
        "SELECT p.id AS person_id, p.name, p.phone, p.telegram_user_id, m.role, m.source,
                m.invited_by
           FROM unit_members m JOIN people p ON p.id = m.person_id
          WHERE m.unit_id = $1
          ORDER BY CASE m.role WHEN 'owner' THEN 0 WHEN 'tenant' THEN 1 ELSE 2 END, p.name, p.id",
        unit_id
    )
    .fetch_all(conn)
    .await
    .context("reading the members of a unit")?;
    Ok(rows.into_iter().map(Member::from).collect())
}

/// The role `person_id` has in `unit_id`, if they belong to it.
pub async fn role_in(
    conn: &mut PgConnection,
    unit_id: i64,
    person_id: i64,
) -> anyhow::Result<Option<Role>> {
    let role = sqlx::query_scalar!(
        "SELECT role FROM unit_members WHERE unit_id = $1 AND person_id = $2",
        unit_id,
        person_id
    )
    .fetch_optional(conn)
    .await
    .context("reading a membership")?;
    Ok(role.as_deref().map(Role::from_stored))
}

/// The unit's code, if the unit exists.
pub async fn unit_code(conn: &mut PgConnection, unit_id: i64) -> anyhow::Result<Option<String>> {
    sqlx::query_scalar!("SELECT code FROM units WHERE id = $1", unit_id)
        .fetch_optional(conn)
        .await
        .context("reading a unit's code")
}

/// A new membership.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub unit_id: i64,
    pub person_id: i64,
    pub role: Role,
    pub source: Source,
    pub invited_by: Option<i64>,
}

/// What [`bind`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// A new member (their default unit if they had none).
    Added,
    /// They belonged to the unit already, with this role; nothing changed.
    AlreadyMember(Role),
}

/// Adds a person to a unit, unless they belong to it already.
pub async fn bind(
    conn: &mut PgConnection,
    b: Binding,
    actor: Actor,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> anyhow::Result<Bound> {
    if let Some(role) = role_in(conn, b.unit_id, b.person_id).await? {
        return Ok(Bound::AlreadyMember(role));
    }
    sqlx::query!(
        "INSERT INTO unit_members (unit_id, person_id, role, source, invited_by, is_default, created_at)
         SELECT $1, $2, $3, $4, $5,
                NOT EXISTS (SELECT 1 FROM unit_members WHERE person_id = $2 AND is_default), $6",
        b.unit_id,
        b.person_id,
        b.role.as_str(),
        b.source.as_str(),
        b.invited_by,
        now
    )
    .execute(&mut *conn)
    .await
    .context("adding a unit member")?;
    log(
        conn,
        b.unit_id,
        b.person_id,
        b.role,
        "bound",
        actor,
        note,
        now,
    )
    .await?;
    Ok(Bound::Added)
}

/// Someone who left a unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removed {
    pub unit_id: i64,
    pub unit_code: String,
    pub person_id: i64,
    pub name: String,
    pub phone: Option<String>,
    pub telegram_user_id: Option<i64>,
    pub role: Role,
    /// Removed because the person who invited them was (their name).
    pub with_inviter: Option<String>,
}

struct RemovedRow {
    unit_id: i64,
    person_id: i64,
    role: String,
}

/// Removes `person_id` from `unit_id`, and with them the people they invited
/// to it. Everyone removed, the person first (empty: they were no member).
pub async fn unbind(
    conn: &mut PgConnection,
    unit_id: i64,
    person_id: i64,
    actor: Actor,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<Removed>> {
    let gone = sqlx::query_as!(
        RemovedRow,
        "DELETE FROM unit_members WHERE unit_id = $1 AND person_id = $2
         RETURNING unit_id, person_id, role",
        unit_id,
        person_id
    )
    .fetch_all(&mut *conn)
    .await
    .context("removing a unit member")?;
    remove_followers(conn, gone, actor, note, now).await
}

/// `import owners --replace`: removes every imported membership that is not
/// in `listed` (unit id, person id pairs), and the people those members
/// invited. Everyone removed.
pub async fn remove_unlisted(
    conn: &mut PgConnection,
    listed: &[(i64, i64)],
    note: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<Removed>> {
    let units: Vec<i64> = listed.iter().map(|(u, _)| *u).collect();
    let people: Vec<i64> = listed.iter().map(|(_, p)| *p).collect();
    let gone = sqlx::query_as!(
        RemovedRow,
        "DELETE FROM unit_members m
          WHERE m.source = 'import'
            AND NOT EXISTS (SELECT 1 FROM UNNEST($1::int8[], $2::int8[]) AS l(unit_id, person_id)
                             WHERE l.unit_id = m.unit_id AND l.person_id = m.person_id)
         RETURNING m.unit_id, m.person_id, m.role",
        &units,
        &people
    )
    .fetch_all(&mut *conn)
    .await
    .context("removing memberships the file no longer lists")?;
    remove_followers(conn, gone, Actor::Import, Some(note), now).await
}

/// Logs the removed rows, removes the members they invited to the same
/// units, puts a default unit back where one went, and says who went.
async fn remove_followers(
    conn: &mut PgConnection,
    gone: Vec<RemovedRow>,
    actor: Actor,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<Removed>> {
    let mut removed: Vec<(RemovedRow, Option<i64>)> = Vec::new();
    for row in gone {
        let followers = sqlx::query_as!(
            RemovedRow,
            "DELETE FROM unit_members
              WHERE unit_id = $1 AND invited_by = $2 AND source = 'invite'
             RETURNING unit_id, person_id, role",
            row.unit_id,
            row.person_id
        )
        .fetch_all(&mut *conn)
        .await
        .context("removing the members an owner invited")?;
        let inviter = row.person_id;
        removed.push((row, None));
        removed.extend(followers.into_iter().map(|f| (f, Some(inviter))));
    }
    let mut out = Vec::with_capacity(removed.len());
    for (row, inviter) in removed {
        let role = Role::from_stored(&row.role);
        log(
            conn,
            row.unit_id,
            row.person_id,
            role,
            "unbound",
            actor,
            note,
            now,
        )
        .await?;
        let who = sqlx::query!(
            "SELECT p.name, p.phone, p.telegram_user_id, u.code,
                    (SELECT name FROM people WHERE id = $3) AS inviter
               FROM people p, units u WHERE p.id = $1 AND u.id = $2",
            row.person_id,
            row.unit_id,
            inviter
        )
        .fetch_one(&mut *conn)
        .await
        .context("reading who was removed")?;
        out.push(Removed {
            unit_id: row.unit_id,
            unit_code: who.code,
            person_id: row.person_id,
            name: who.name,
            phone: who.phone,
            telegram_user_id: who.telegram_user_id,
            role,
            with_inviter: inviter.map(|_| who.inviter.unwrap_or_default()),
        });
    }
    let people: Vec<i64> = out.iter().map(|r| r.person_id).collect();
    restore_defaults(conn, &people).await?;
    Ok(out)
}

/// Gives each of `people` who still has units but no default one a default:
/// the first by code.
async fn restore_defaults(conn: &mut PgConnection, people: &[i64]) -> anyhow::Result<()> {
    sqlx::query!(
        "UPDATE unit_members m SET is_default = TRUE
          WHERE m.person_id = ANY($1)
            AND NOT EXISTS (SELECT 1 FROM unit_members d WHERE d.person_id = m.person_id AND d.is_default)
            AND m.unit_id = (SELECT f.unit_id FROM unit_members f JOIN units u ON u.id = f.unit_id
                              WHERE f.person_id = m.person_id ORDER BY u.code LIMIT 1)",
        people
    )
    .execute(conn)
    .await
    .context("giving people their default unit back")?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn log(
    conn: &mut PgConnection,
    unit_id: i64,
    person_id: i64,
    role: Role,
    action: &str,
    actor: Actor,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let (actor_kind, actor_id) = actor.parts();
    sqlx::query!(
        "INSERT INTO unit_member_log (unit_id, person_id, role, action, actor_kind, actor_id, note, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        unit_id,
        person_id,
        role.as_str(),
        action,
        actor_kind,
        actor_id,
        note,
        now
    )
    .execute(conn)
    .await
    .context("logging a membership change")?;
    Ok(())
}

// ------------------------------------------------------------------ invites

/// An invitation code as it travels in a `/start` link: 32 lowercase hex
/// digits (a version 4 UUID's 122 random bits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InviteCode(String);

impl InviteCode {
    /// `None` for anything that cannot be a code we made.
    #[must_use]
    pub fn parse(text: &str) -> Option<InviteCode> {
        let text = text.trim();
        (text.len() == 32 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
            .then(|| InviteCode(text.to_owned()))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new invitation: its code (shown once, never stored) and expiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInvite {
    pub code: InviteCode,
    pub expires_at: DateTime<Utc>,
}

/// Creates a one-time invitation to `unit_id` with `role` (tenant or
/// family) from owner `invited_by`, valid for `valid_for`.
pub async fn create_invite(
    conn: &mut PgConnection,
    unit_id: i64,
    role: Role,
    invited_by: i64,
    valid_for: Duration,
    now: DateTime<Utc>,
) -> anyhow::Result<NewInvite> {
    anyhow::ensure!(role != Role::Owner, "owners are not invited");
    let code: String =
        sqlx::query_scalar!(r#"SELECT replace(gen_random_uuid()::text, '-', '') AS "code!""#)
            .fetch_one(&mut *conn)
            .await
            .context("drawing an invitation code")?;
    let code = InviteCode::parse(&code).context("PostgreSQL drew a code of another form")?;
    let expires_at = now + valid_for;
    sqlx::query!(
        "INSERT INTO invites (code_hash, unit_id, role, invited_by, created_at, expires_at)
         VALUES (sha256(convert_to($1, 'UTF8')), $2, $3, $4, $5, $6)",
        code.as_str(),
        unit_id,
        role.as_str(),
        invited_by,
        now,
        expires_at
    )
    .execute(conn)
    .await
    .context("storing an invitation")?;
    Ok(NewInvite { code, expires_at })
}

/// An invitation as found by its code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invite {
    pub id: i64,
    pub unit_id: i64,
    pub unit_code: String,
    pub role: Role,
    pub invited_by: i64,
    pub inviter_name: String,
    pub inviter_chat: Option<i64>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

struct InviteRow {
    id: i64,
    unit_id: i64,
    unit_code: String,
    role: String,
    invited_by: i64,
    inviter_name: String,
    inviter_chat: Option<i64>,
    expires_at: DateTime<Utc>,
    used_at: Option<DateTime<Utc>>,
}

/// Why an invitation link did nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not a code we made (mistyped, cut short or forged).
    Invalid,
    /// Its time ran out at this moment.
    Expired(DateTime<Utc>),
    /// Someone used it already.
    Used,
    /// The person who sent it is no longer an owner of the unit.
    InviterGone,
    /// The inviting owner pressed their own link.
    OwnLink,
    /// The person belongs to the unit already (the link stays unused).
    AlreadyMember { unit_code: String, role: Role },
}

/// Checks `code` and, if it may be used, locks its invitation until the
/// transaction ends (two presses at once: the second waits and sees it used).
pub async fn open_invite(
    conn: &mut PgConnection,
    code: &str,
    person_id: Option<i64>,
    now: DateTime<Utc>,
) -> anyhow::Result<Result<Invite, Refusal>> {
    let Some(code) = InviteCode::parse(code) else {
        return Ok(Err(Refusal::Invalid));
    };
    let row = sqlx::query_as!(
        InviteRow,
        "SELECT i.id, i.unit_id, u.code AS unit_code, i.role, i.invited_by,
                p.name AS inviter_name, p.telegram_user_id AS inviter_chat,
                i.expires_at, i.used_at
           FROM invites i JOIN units u ON u.id = i.unit_id JOIN people p ON p.id = i.invited_by
          WHERE i.code_hash = sha256(convert_to($1, 'UTF8'))
          FOR UPDATE OF i",
        code.as_str()
    )
    .fetch_optional(&mut *conn)
    .await
    .context("looking an invitation up")?;
    let Some(row) = row else {
        return Ok(Err(Refusal::Invalid));
    };
    let invite = Invite {
        id: row.id,
        unit_id: row.unit_id,
        unit_code: row.unit_code,
        role: Role::from_stored(&row.role),
        invited_by: row.invited_by,
        inviter_name: row.inviter_name,
        inviter_chat: row.inviter_chat,
        expires_at: row.expires_at,
        used_at: row.used_at,
    };
    if invite.used_at.is_some() {
        return Ok(Err(Refusal::Used));
    }
    if invite.expires_at <= now {
        return Ok(Err(Refusal::Expired(invite.expires_at)));
    }
    if person_id == Some(invite.invited_by) {
        return Ok(Err(Refusal::OwnLink));
    }
    if role_in(conn, invite.unit_id, invite.invited_by).await? != Some(Role::Owner) {
        return Ok(Err(Refusal::InviterGone));
    }
    if let Some(person) = person_id {
        if let Some(role) = role_in(conn, invite.unit_id, person).await? {
            return Ok(Err(Refusal::AlreadyMember {
                unit_code: invite.unit_code,
                role,
            }));
        }
    }
    Ok(Ok(invite))
}

/// Marks an opened invitation used by `person_id` and binds them.
pub async fn use_invite(
    conn: &mut PgConnection,
    invite: &Invite,
    person_id: i64,
    now: DateTime<Utc>,
) -> anyhow::Result<Bound> {
    sqlx::query!(
        "UPDATE invites SET used_at = $2, used_by = $3 WHERE id = $1 AND used_at IS NULL",
        invite.id,
        now,
        person_id
    )
    .execute(&mut *conn)
    .await
    .context("marking an invitation used")?;
    bind(
        conn,
        Binding {
            unit_id: invite.unit_id,
            person_id,
            role: invite.role,
            source: Source::Invite,
            invited_by: Some(invite.invited_by),
        },
        Actor::Invite(invite.invited_by),
        None,
        now,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_32_lowercase_hex_digits_can_be_an_invitation_code() {
        let good = "0123456789abcdef0123456789abcdef";
        assert_eq!(InviteCode::parse(good).unwrap().as_str(), good);
        for bad in [
            "",
            "ref42",
            "0123456789ABCDEF0123456789ABCDEF",
            "0123456789abcdef0123456789abcde",
            "0123456789abcdef0123456789abcdef0",
            "0123456789abcdef0123456789abcdeg",
            "'; DROP TABLE invites; --",
        ] {
            assert_eq!(InviteCode::parse(bad), None, "{bad:?}");
        }
    }
}

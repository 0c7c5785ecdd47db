//! The staff roster: who works the queue, in which role, and what each role
//! may do.

use anyhow::{Context, Result};
use sqlx::PgConnection;

use crate::domain::departments::Department;
use crate::i18n::Lang;
use crate::texts;

/// A staff role, weakest first (the order is the permission ladder).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StaffRole {
    Assistant,
    Butler,
    Supervisor,
    Manager,
}

impl StaffRole {
    /// The value stored in `staff.role`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            StaffRole::Assistant => "assistant",
            StaffRole::Butler => "butler",
            StaffRole::Supervisor => "supervisor",
            StaffRole::Manager => "manager",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<StaffRole> {
        match s.trim().to_ascii_lowercase().as_str() {
            "assistant" | "助理" => Some(StaffRole::Assistant),
            "butler" | "管家" => Some(StaffRole::Butler),
            "supervisor" | "主管" => Some(StaffRole::Supervisor),
            "manager" | "经理" => Some(StaffRole::Manager),
            _ => None,
        }
    }

    /// The role's name as owners and staff read it.
    #[must_use]
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            StaffRole::Assistant => texts::labels::STAFF_ROLE_ASSISTANT,
            StaffRole::Butler => texts::labels::STAFF_ROLE_BUTLER,
            StaffRole::Supervisor => texts::labels::STAFF_ROLE_SUPERVISOR,
            StaffRole::Manager => texts::labels::STAFF_ROLE_MANAGER,
        }
        .get(lang)
    }

    /// Take a ticket for oneself (Claim, /claim, /next), release and resolve
    /// one's own.
    #[must_use]
    pub fn can_claim(self) -> bool {
        self >= StaffRole::Butler
    }

    /// Give a ticket to someone else, or act on a ticket another holds.
    #[must_use]
    pub fn can_assign(self) -> bool {
        self >= StaffRole::Supervisor
    }

    /// Reopen a resolved or closed ticket.
    #[must_use]
    pub fn can_reopen(self) -> bool {
        self >= StaffRole::Supervisor
    }

    /// See owners' full phone numbers (others see `138****1234`).
    #[must_use]
    pub fn sees_full_phone(self) -> bool {
        self >= StaffRole::Supervisor
    }

    /// Send broadcasts to owners.
    #[must_use]
    pub fn can_broadcast(self) -> bool {
        self == StaffRole::Manager
    }

    /// See the office's reports (`/report`, the monthly report).
    #[must_use]
    pub fn can_read_reports(self) -> bool {
        self == StaffRole::Manager
    }

    /// Declare, update and close outages (the outage form).
    #[must_use]
    pub fn can_declare_outages(self) -> bool {
        self >= StaffRole::Supervisor
    }

    /// Plan activities (they are announced to owners).
    #[must_use]
    pub fn can_plan_activities(self) -> bool {
        self == StaffRole::Manager
    }

    /// Add, remove and change staff.
    #[must_use]
    pub fn can_manage_staff(self) -> bool {
        self == StaffRole::Manager
    }
}

/// An active staff member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staff {
    pub telegram_user_id: i64,
    pub staff_no: i32,
    pub name: String,
    pub role: StaffRole,
    pub username: Option<String>,
}

impl Staff {
    /// How the office signs a message to an owner: role and number, never
    /// the person's name or Telegram identity.
    #[must_use]
    pub fn signature(&self, lang: Lang) -> String {
        texts::labels::STAFF_SIGNATURE.fill(
            lang,
            &[
                ("role", self.role.label(lang)),
                ("no", &self.staff_no.to_string()),
            ],
        )
    }

    /// How staff see a colleague: "管家 #3 张三".
    #[must_use]
    pub fn display(&self, lang: Lang) -> String {
        format!("{} #{} {}", self.role.label(lang), self.staff_no, self.name)
    }
}

/// A `staff` row as the queries below select it (each names the same
/// columns), its role still text.
struct StaffRow {
    telegram_user_id: i64,
    staff_no: i32,
    name: String,
    role: String,
    username: Option<String>,
}

fn from_row(row: StaffRow) -> Result<Staff> {
    let role = row.role;
    Ok(Staff {
        telegram_user_id: row.telegram_user_id,
        staff_no: row.staff_no,
        name: row.name,
        role: StaffRole::parse(&role).with_context(|| format!("unknown staff role {role}"))?,
        username: row.username,
    })
}

/// The active staff member with this Telegram user id.
pub async fn by_telegram_id(conn: &mut PgConnection, user_id: i64) -> Result<Option<Staff>> {
    let row = sqlx::query_as!(
        StaffRow,
        "SELECT telegram_user_id, staff_no, name, role, username
           FROM staff WHERE telegram_user_id = $1 AND active",
        user_id
    )
    .fetch_optional(conn)
    .await
    .context("looking up a staff member")?;
    row.map(from_row).transpose()
}

/// Finds an active staff member by what a colleague typed: `#3` or `3`
/// (staff number), `@username` (as last seen by the bot), or the exact name.
pub async fn find(conn: &mut PgConnection, reference: &str) -> Result<Option<Staff>> {
    let reference = reference.trim();
    let number = reference
        .strip_prefix('#')
        .unwrap_or(reference)
        .parse::<i32>()
        .ok();
    let username = reference
        .strip_prefix('@')
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let row = sqlx::query_as!(
        StaffRow,
        "SELECT telegram_user_id, staff_no, name, role, username FROM staff
          WHERE active AND (staff_no = $1 OR (username = $2 AND $2 <> '') OR name = $3)
          ORDER BY staff_no = $1 DESC, username = $2 DESC
          LIMIT 1",
        number,
        username,
        reference
    )
    .fetch_optional(conn)
    .await
    .context("finding a staff member")?;
    row.map(from_row).transpose()
}

/// The names of `role` and the roles above it.
fn roles_at_least(role: StaffRole) -> Vec<&'static str> {
    [
        StaffRole::Assistant,
        StaffRole::Butler,
        StaffRole::Supervisor,
        StaffRole::Manager,
    ]
    .into_iter()
    .filter(|r| *r >= role)
    .map(StaffRole::as_str)
    .collect()
}

/// Every active member of `role` or above.
pub async fn with_role_at_least(conn: &mut PgConnection, role: StaffRole) -> Result<Vec<Staff>> {
    let roles = roles_at_least(role);
    let rows = sqlx::query_as!(
        StaffRow,
        "SELECT telegram_user_id, staff_no, name, role, username
           FROM staff WHERE active AND role = ANY($1) ORDER BY staff_no",
        &roles as &[&str]
    )
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(from_row).collect()
}

/// Every active staff member, by number.
pub async fn all_active(conn: &mut PgConnection) -> Result<Vec<Staff>> {
    with_role_at_least(conn, StaffRole::Assistant).await
}

/// Adds a staff member or updates (and reactivates) one; returns them.
pub async fn upsert(
    conn: &mut PgConnection,
    telegram_user_id: i64,
    name: &str,
    role: StaffRole,
) -> Result<Staff> {
    let row = sqlx::query_as!(
        StaffRow,
        "INSERT INTO staff (telegram_user_id, name, role) VALUES ($1, $2, $3)
         ON CONFLICT (telegram_user_id) DO UPDATE
           SET name = EXCLUDED.name, role = EXCLUDED.role, active = TRUE, updated_at = now()
         RETURNING telegram_user_id, staff_no, name, role, username",
        telegram_user_id,
        name,
        role.as_str()
    )
    .fetch_one(conn)
    .await
    .context("saving a staff member")?;
    from_row(row)
}

/// The longest department name.
pub const DEPARTMENT_MAX_CHARS: usize = 40;

/// Sets (or, with None, clears) the department of a staff member; a name
/// over [`DEPARTMENT_MAX_CHARS`] is refused.
pub async fn set_department(
    conn: &mut PgConnection,
    telegram_user_id: i64,
    department: Option<&str>,
) -> Result<()> {
    let department = department.map(str::trim).filter(|d| !d.is_empty());
    if department.is_some_and(|d| d.chars().count() > DEPARTMENT_MAX_CHARS) {
        anyhow::bail!("a department name has at most {DEPARTMENT_MAX_CHARS} characters");
    }
    sqlx::query!(
        "UPDATE staff SET department = $2, updated_at = now() WHERE telegram_user_id = $1",
        telegram_user_id,
        department
    )
    .execute(conn)
    .await
    .context("setting a department")?;
    Ok(())
}

/// Deactivates a staff member (their history stays); false if not active.
pub async fn deactivate(conn: &mut PgConnection, staff_no: i32) -> Result<bool> {
    let n = sqlx::query!(
        "UPDATE staff SET active = FALSE, updated_at = now() WHERE staff_no = $1 AND active",
        staff_no
    )
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Changes a member's role; false if there is no such active member.
pub async fn set_role(conn: &mut PgConnection, staff_no: i32, role: StaffRole) -> Result<bool> {
    let n = sqlx::query!(
        "UPDATE staff SET role = $2, updated_at = now() WHERE staff_no = $1 AND active",
        staff_no,
        role.as_str()
    )
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Remembers members' current @usernames, `(telegram user id, username)`
/// as they wrote (a batch's messages at once; rows of people who are not
/// staff, or whose name did not change, are not touched).
pub async fn remember_usernames(
    conn: &mut PgConnection,
    seen: &[(i64, Option<String>)],
) -> Result<()> {
    if seen.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = seen.iter().map(|(id, _)| *id).collect();
    let names: Vec<Option<String>> = seen
        .iter()
        .map(|(_, name)| name.as_deref().map(str::to_ascii_lowercase))
        .collect();
    sqlx::query!(
        "UPDATE staff s SET username = u.username
           FROM unnest($1::bigint[], $2::text[]) AS u (id, username)
          WHERE s.telegram_user_id = u.id AND s.username IS DISTINCT FROM u.username",
        &ids,
        &names as &[Option<String>]
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// `13812341234` → `138****1234`: what staff below supervisor see. Drops a
/// leading `+86`, keeps the first three and last four digits of the number.
#[must_use]
pub fn mask_phone(phone: &str) -> String {
    let digits = phone.strip_prefix("+86").unwrap_or(phone);
    let chars: Vec<char> = digits.chars().collect();
    if chars.len() < 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

/// A staff member the bot can write to privately: who, their roster
/// department (as the department it names, if any) and their chat's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reachable {
    pub telegram_user_id: i64,
    pub department: Option<Department>,
    pub language: Option<Lang>,
}

/// Active staff of at least `role` who have an open private chat with the
/// bot, by staff number (one query).
pub async fn reachable_with_role_at_least(
    conn: &mut PgConnection,
    role: StaffRole,
) -> Result<Vec<Reachable>> {
    let roles = roles_at_least(role);
    let rows = sqlx::query!(
        "SELECT s.telegram_user_id, s.department, c.language
           FROM staff s JOIN chats c ON c.chat_id = s.telegram_user_id
          WHERE s.active AND s.role = ANY($1) AND chat_is_reachable(s.telegram_user_id)
          ORDER BY s.staff_no",
        &roles as &[&str]
    )
    .fetch_all(conn)
    .await
    .context("reading the staff who can be written to")?;
    Ok(rows
        .into_iter()
        .map(|r| Reachable {
            telegram_user_id: r.telegram_user_id,
            department: r.department.as_deref().and_then(Department::from_user),
            language: r.language.as_deref().and_then(Lang::parse),
        })
        .collect())
}

/// The department a staff member works in, from the roster's free text
/// (`staff.department`), if it names one.
pub async fn department_of(
    conn: &mut PgConnection,
    telegram_user_id: i64,
) -> Result<Option<Department>> {
    let text: Option<Option<String>> = sqlx::query_scalar!(
        "SELECT department FROM staff WHERE telegram_user_id = $1",
        telegram_user_id
    )
    .fetch_optional(conn)
    .await
    .context("reading a staff member's department")?;
    Ok(text.flatten().as_deref().and_then(Department::from_user))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_climb_a_ladder_of_permissions() {
        assert!(!StaffRole::Assistant.can_claim());
        assert!(StaffRole::Butler.can_claim());
        assert!(!StaffRole::Butler.can_assign());
        assert!(!StaffRole::Butler.sees_full_phone());
        assert!(StaffRole::Supervisor.can_assign() && StaffRole::Supervisor.can_reopen());
        assert!(StaffRole::Supervisor.sees_full_phone());
        assert!(!StaffRole::Supervisor.can_broadcast());
        assert!(StaffRole::Manager.can_broadcast() && StaffRole::Manager.can_manage_staff());
        for r in ["assistant", "butler", "supervisor", "manager"] {
            assert_eq!(StaffRole::parse(r).map(StaffRole::as_str), Some(r));
        }
    }

    #[test]
    fn phones_are_masked_in_the_middle() {
        assert_eq!(mask_phone("+8613812341234"), "138****1234");
        assert_eq!(mask_phone("13812341234"), "138****1234");
        assert_eq!(mask_phone("123"), "***");
    }

    #[test]
    fn the_office_signs_with_role_and_number() {
        let s = Staff {
            telegram_user_id: 1,
            staff_no: 3,
            name: "张三".into(),
            role: StaffRole::Butler,
            username: None,
        };
        assert_eq!(s.signature(Lang::Zh), "物业客服（管家 #3）");
        assert_eq!(s.signature(Lang::En), "Property office (butler #3)");
    }
}

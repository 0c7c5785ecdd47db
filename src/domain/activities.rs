//! Public-welfare activities, from plan to summary: what a plan may say
//! (checked here, before any SQL), joining up to the capacity with a waiting
//! list that moves up when a place frees, the reminder the day before,
//! attendance, and each attendee's feedback (1–5 and a comment). The
//! report's summary of them is `domain::report`.

use anyhow::{Context, Result};
use chrono::{DateTime, Duration, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;

use crate::domain::chats;
use crate::i18n::Lang;

pub const TITLE_MAX: usize = 100;
pub const PLACE_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 2000;
pub const CAPACITY_MAX: i32 = 10_000;
pub const COMMENT_MAX: usize = 1000;
/// The reminder goes out the day before, from this local time.
pub const REMIND_AT: NaiveTime = match NaiveTime::from_hms_opt(10, 0, 0) {
    Some(t) => t,
    None => NaiveTime::MIN,
};

/// A plan being filled in (the manager's conversation state keeps it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanDraft {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A complete plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub place: String,
    pub capacity: i32,
    pub description: String,
}

impl PlanDraft {
    /// The plan, once every field is filled (the description may be empty).
    #[must_use]
    pub fn complete(&self) -> Option<Plan> {
        Some(Plan {
            title: self.title.clone()?,
            starts_at: self.starts_at?,
            place: self.place.clone()?,
            capacity: self.capacity?,
            description: self.description.clone().unwrap_or_default(),
        })
    }
}

/// Why an answer in the plan form was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("empty")]
    Empty,
    #[error("{got} characters, at most {max}")]
    TooLong { got: usize, max: usize },
    #[error("not a date and time")]
    BadTime,
    #[error("in the past")]
    Past,
    #[error("not a number")]
    NotANumber,
    #[error("capacity {0} is below 1")]
    CapacityTooSmall(i64),
    #[error("capacity {0} is over the limit")]
    CapacityTooLarge(i64),
}

/// A text of 1 to `max` characters (trimmed).
pub fn parse_text(text: &str, max: usize) -> Result<String, PlanError> {
    let text = text.trim();
    let got = text.chars().count();
    if got == 0 {
        return Err(PlanError::Empty);
    }
    if got > max {
        return Err(PlanError::TooLong { got, max });
    }
    Ok(text.to_string())
}

/// `2026-12-20 14:00` in the estate's time zone, after `now`.
pub fn parse_when(text: &str, now: DateTime<Utc>, tz: Tz) -> Result<DateTime<Utc>, PlanError> {
    let text = text.trim().replace('T', " ");
    let naive =
        NaiveDateTime::parse_from_str(&text, "%Y-%m-%d %H:%M").map_err(|_| PlanError::BadTime)?;
    let at = tz
        .from_local_datetime(&naive)
        .earliest()
        .ok_or(PlanError::BadTime)?
        .with_timezone(&Utc);
    if at <= now {
        return Err(PlanError::Past);
    }
    Ok(at)
}

/// A number of places, 1 to [`CAPACITY_MAX`].
pub fn parse_capacity(text: &str) -> Result<i32, PlanError> {
    let n: i64 = text.trim().parse().map_err(|_| PlanError::NotANumber)?;
    if n < 1 {
        return Err(PlanError::CapacityTooSmall(n));
    }
    if n > i64::from(CAPACITY_MAX) {
        return Err(PlanError::CapacityTooLarge(n));
    }
    i32::try_from(n).map_err(|_| PlanError::CapacityTooLarge(n))
}

/// An activity as stored, with its counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    pub id: i64,
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub place: String,
    pub capacity: i32,
    pub description: String,
    pub status: String,
    pub reminded_at: Option<DateTime<Utc>>,
    pub attendance_at: Option<DateTime<Utc>>,
    pub joined: i64,
    pub waiting: i64,
}

/// Stores a confirmed plan as an open activity.
pub async fn create(
    conn: &mut PgConnection,
    plan: &Plan,
    by: i64,
    now: DateTime<Utc>,
) -> Result<i64> {
    let id = sqlx::query_scalar!(
        "INSERT INTO activities (title, starts_at, place, capacity, description, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        plan.title,
        plan.starts_at,
        plan.place,
        plan.capacity,
        plan.description,
        by,
        now
    )
    .fetch_one(conn)
    .await
    .context("storing an activity")?;
    Ok(id)
}

/// Activity `id`, locked for this transaction (joins and leaves of one
/// activity take turns, so the capacity holds).
pub async fn load_for_update(conn: &mut PgConnection, id: i64) -> Result<Option<Activity>> {
    let row = sqlx::query!(
        r#"SELECT a.id, a.title, a.starts_at, a.place, a.capacity, a.description, a.status,
                  a.reminded_at, a.attendance_at
             FROM activities a WHERE a.id = $1 FOR UPDATE"#,
        id
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(r) = row else {
        return Ok(None);
    };
    let counts = sqlx::query!(
        r#"SELECT count(*) FILTER (WHERE status = 'joined') AS "joined!",
                  count(*) FILTER (WHERE status = 'waiting') AS "waiting!"
             FROM activity_rsvps WHERE activity_id = $1"#,
        id
    )
    .fetch_one(conn)
    .await?;
    Ok(Some(Activity {
        id: r.id,
        title: r.title,
        starts_at: r.starts_at,
        place: r.place,
        capacity: r.capacity,
        description: r.description,
        status: r.status,
        reminded_at: r.reminded_at,
        attendance_at: r.attendance_at,
        joined: counts.joined,
        waiting: counts.waiting,
    }))
}

/// The latest activities, upcoming first then the most recent.
pub async fn recent(conn: &mut PgConnection, limit: i64) -> Result<Vec<Activity>> {
    let ids = sqlx::query_scalar!(
        "SELECT id FROM activities WHERE status <> 'cancelled' ORDER BY starts_at DESC LIMIT $1",
        limit
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::new();
    for id in ids {
        if let Some(a) = load_for_update(conn, id).await? {
            out.push(a);
        }
    }
    Ok(out)
}

/// What pressing Join came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinOutcome {
    Joined,
    /// Full: in the waiting list at this place (1 = next).
    Waiting(i64),
    AlreadyJoined,
    AlreadyWaiting(i64),
    /// Started, cancelled or unknown.
    Closed,
}

/// `chat_id` (person `person_id`) asks to join activity `id`.
pub async fn join(
    conn: &mut PgConnection,
    id: i64,
    person_id: Option<i64>,
    chat_id: i64,
    now: DateTime<Utc>,
) -> Result<JoinOutcome> {
    let Some(a) = load_for_update(conn, id).await? else {
        return Ok(JoinOutcome::Closed);
    };
    if a.status != "open" || a.starts_at <= now {
        return Ok(JoinOutcome::Closed);
    }
    let current = sqlx::query_scalar!(
        "SELECT status FROM activity_rsvps WHERE activity_id = $1 AND chat_id = $2",
        id,
        chat_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    match current.as_deref() {
        Some("joined") => return Ok(JoinOutcome::AlreadyJoined),
        Some("waiting") => {
            return Ok(JoinOutcome::AlreadyWaiting(
                place_in_line(conn, id, chat_id).await?,
            ))
        }
        _ => {}
    }
    let status = if a.joined < i64::from(a.capacity) {
        "joined"
    } else {
        "waiting"
    };
    sqlx::query!(
        "INSERT INTO activity_rsvps (activity_id, person_id, chat_id, status, joined_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (activity_id, chat_id) DO UPDATE
           SET status = EXCLUDED.status, joined_at = EXCLUDED.joined_at, person_id = EXCLUDED.person_id",
        id,
        person_id,
        chat_id,
        status,
        now
    )
    .execute(&mut *conn)
    .await?;
    if status == "joined" {
        Ok(JoinOutcome::Joined)
    } else {
        Ok(JoinOutcome::Waiting(
            place_in_line(conn, id, chat_id).await?,
        ))
    }
}

async fn place_in_line(conn: &mut PgConnection, id: i64, chat_id: i64) -> Result<i64> {
    let n = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM activity_rsvps w, activity_rsvps me
            WHERE w.activity_id = $1 AND me.activity_id = $1 AND me.chat_id = $2
              AND w.status = 'waiting' AND (w.joined_at, w.id) <= (me.joined_at, me.id)"#,
        id,
        chat_id
    )
    .fetch_one(conn)
    .await?;
    Ok(n)
}

/// What pressing "Can't come" came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaveOutcome {
    /// Off the list; the first waiting moved up into the freed place
    /// (their chat and language), if there was one.
    Left {
        promoted: Option<(i64, Lang)>,
    },
    /// Was not on the list.
    NotOnList,
    Closed,
}

/// `chat_id` gives up their place (or their place in line).
pub async fn leave(
    conn: &mut PgConnection,
    id: i64,
    chat_id: i64,
    now: DateTime<Utc>,
) -> Result<LeaveOutcome> {
    let Some(a) = load_for_update(conn, id).await? else {
        return Ok(LeaveOutcome::Closed);
    };
    if a.status != "open" || a.starts_at <= now {
        return Ok(LeaveOutcome::Closed);
    }
    let was = sqlx::query_scalar!(
        "SELECT status FROM activity_rsvps
          WHERE activity_id = $1 AND chat_id = $2 AND status IN ('joined', 'waiting')
          FOR UPDATE",
        id,
        chat_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(was) = was else {
        return Ok(LeaveOutcome::NotOnList);
    };
    sqlx::query!(
        "UPDATE activity_rsvps SET status = 'left' WHERE activity_id = $1 AND chat_id = $2",
        id,
        chat_id
    )
    .execute(&mut *conn)
    .await?;
    if was != "joined" {
        return Ok(LeaveOutcome::Left { promoted: None });
    }
    let promoted = sqlx::query_scalar!(
        "UPDATE activity_rsvps SET status = 'joined'
          WHERE id = (SELECT id FROM activity_rsvps
                       WHERE activity_id = $1 AND status = 'waiting'
                       ORDER BY joined_at, id LIMIT 1)
          RETURNING chat_id",
        id
    )
    .fetch_optional(&mut *conn)
    .await?;
    let promoted = match promoted {
        Some(chat) => Some((chat, language_of(conn, chat).await?)),
        None => None,
    };
    Ok(LeaveOutcome::Left { promoted })
}

/// The language of a chat: chosen in it, else the person's, else Chinese.
async fn language_of(conn: &mut PgConnection, chat: i64) -> Result<Lang> {
    if let Some(lang) = chats::language(conn, chat).await? {
        return Ok(lang);
    }
    let person = sqlx::query_scalar!(
        "SELECT language FROM people WHERE telegram_user_id = $1",
        chat
    )
    .fetch_optional(conn)
    .await?
    .flatten();
    Ok(person.as_deref().and_then(Lang::parse).unwrap_or_default())
}

/// Open activities whose reminder is due at `now` (from [`REMIND_AT`] the
/// day before, until they start), not yet reminded; locked, skipping those
/// another replica holds.
pub async fn reminders_due(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<Vec<i64>> {
    let rows = sqlx::query!(
        "SELECT id, starts_at FROM activities
          WHERE status = 'open' AND reminded_at IS NULL AND starts_at > $1 AND starts_at < $2
          ORDER BY id FOR UPDATE SKIP LOCKED",
        now,
        now + Duration::days(2)
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter(|r| {
            let day_before = r.starts_at.with_timezone(&tz).date_naive() - Duration::days(1);
            tz.from_local_datetime(&day_before.and_time(REMIND_AT))
                .earliest()
                .is_some_and(|at| now >= at.with_timezone(&Utc))
        })
        .map(|r| r.id)
        .collect())
}

pub async fn mark_reminded(conn: &mut PgConnection, id: i64, now: DateTime<Utc>) -> Result<()> {
    sqlx::query!(
        "UPDATE activities SET reminded_at = $2 WHERE id = $1",
        id,
        now
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The chats of those with a place, each with their language.
pub async fn joined_chats(conn: &mut PgConnection, id: i64) -> Result<Vec<(i64, Lang)>> {
    chats_with(conn, id, "joined", None).await
}

async fn chats_with(
    conn: &mut PgConnection,
    id: i64,
    status: &str,
    attended: Option<bool>,
) -> Result<Vec<(i64, Lang)>> {
    let rows = sqlx::query!(
        r#"SELECT r.chat_id, COALESCE(c.language, p.language) AS "language?"
             FROM activity_rsvps r
             LEFT JOIN chats c ON c.chat_id = r.chat_id
             LEFT JOIN people p ON p.id = r.person_id
            WHERE r.activity_id = $1 AND r.status = $2 AND ($3::bool IS NULL OR r.attended = $3)
            ORDER BY r.joined_at, r.id"#,
        id,
        status,
        attended
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.chat_id,
                r.language
                    .as_deref()
                    .and_then(Lang::parse)
                    .unwrap_or_default(),
            )
        })
        .collect())
}

/// One line of the attendance list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterLine {
    pub rsvp_id: i64,
    pub name: String,
    pub units: String,
    pub attended: Option<bool>,
}

/// Those with a place, in the order they joined.
pub async fn roster(conn: &mut PgConnection, id: i64) -> Result<Vec<RosterLine>> {
    let rows = sqlx::query_as!(
        RosterLine,
        r#"SELECT r.id AS rsvp_id, COALESCE(p.name, r.chat_id::text) AS "name!",
                  COALESCE(string_agg(u.code, ', ' ORDER BY u.code), '') AS "units!",
                  r.attended
             FROM activity_rsvps r
             LEFT JOIN people p ON p.id = r.person_id
             LEFT JOIN unit_members m ON m.person_id = p.id
             LEFT JOIN units u ON u.id = m.unit_id
            WHERE r.activity_id = $1 AND r.status = 'joined'
            GROUP BY r.id, p.name, r.chat_id, r.attended, r.joined_at
            ORDER BY r.joined_at, r.id"#,
        id
    )
    .fetch_all(conn)
    .await?;
    Ok(rows)
}

/// What saving attendance came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttendanceOutcome {
    /// Saved: the attendees' chats (for the feedback form).
    Saved {
        attended: Vec<(i64, Lang)>,
        joined: usize,
    },
    /// Already saved once.
    AlreadySaved,
    /// Not started yet.
    TooEarly,
    NotFound,
}

/// Marks the roster lines `present` (by rsvp id) as attended and the other
/// joined ones as absent; the activity is done.
pub async fn save_attendance(
    conn: &mut PgConnection,
    id: i64,
    present: &[i64],
    by: i64,
    now: DateTime<Utc>,
) -> Result<AttendanceOutcome> {
    let Some(a) = load_for_update(conn, id).await? else {
        return Ok(AttendanceOutcome::NotFound);
    };
    if a.attendance_at.is_some() {
        return Ok(AttendanceOutcome::AlreadySaved);
    }
    if a.starts_at > now || a.status == "cancelled" {
        return Ok(AttendanceOutcome::TooEarly);
    }
    sqlx::query!(
        "UPDATE activity_rsvps SET attended = (id = ANY($2))
          WHERE activity_id = $1 AND status = 'joined'",
        id,
        present
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE activities SET status = 'done', attendance_at = $2, attendance_by = $3 WHERE id = $1",
        id,
        now,
        by
    )
    .execute(&mut *conn)
    .await?;
    let attended = chats_with(conn, id, "joined", Some(true)).await?;
    Ok(AttendanceOutcome::Saved {
        attended,
        joined: usize::try_from(a.joined)?,
    })
}

/// Records an attendee's score (1–5); false if `chat_id` did not attend.
pub async fn rate(
    conn: &mut PgConnection,
    id: i64,
    chat_id: i64,
    stars: u8,
    now: DateTime<Utc>,
) -> Result<bool> {
    let n = sqlx::query!(
        "UPDATE activity_rsvps SET rating = $3, feedback_at = $4
          WHERE activity_id = $1 AND chat_id = $2 AND attended",
        id,
        chat_id,
        i16::from(stars),
        now
    )
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Records an attendee's comment (cut to [`COMMENT_MAX`]).
pub async fn comment(
    conn: &mut PgConnection,
    id: i64,
    chat_id: i64,
    text: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    let text: String = text.trim().chars().take(COMMENT_MAX).collect();
    let n = sqlx::query!(
        "UPDATE activity_rsvps SET comment = $3, feedback_at = $4
          WHERE activity_id = $1 AND chat_id = $2 AND attended",
        id,
        chat_id,
        text,
        now
    )
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Which roster lines `answer` names: `1 3 5-7`, `1,2`, `all`/`全部`,
/// `none`/`无`. None if it names a line the roster does not have or is not
/// a list at all.
#[must_use]
pub fn parse_present(answer: &str, lines: usize) -> Option<Vec<usize>> {
    let answer = answer.trim().to_lowercase();
    if matches!(answer.as_str(), "all" | "全部" | "都来了") {
        return Some((1..=lines).collect());
    }
    if matches!(answer.as_str(), "none" | "无" | "没有") {
        return Some(Vec::new());
    }
    let mut out = Vec::new();
    for part in answer.split(|c: char| c == ',' || c == '，' || c == '、' || c.is_whitespace()) {
        if part.is_empty() {
            continue;
        }
        let (a, b) = part.split_once(['-', '–']).unwrap_or((part, part));
        let (a, b): (usize, usize) = (a.parse().ok()?, b.parse().ok()?);
        if a == 0 || b < a || b > lines {
            return None;
        }
        out.extend(a..=b);
    }
    out.sort_unstable();
    out.dedup();
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_refuse_a_zero_capacity_and_a_past_date() {
        assert_eq!(parse_capacity("0"), Err(PlanError::CapacityTooSmall(0)));
        assert_eq!(parse_capacity("-3"), Err(PlanError::CapacityTooSmall(-3)));
        assert_eq!(parse_capacity("20"), Ok(20));
        assert_eq!(parse_capacity("twenty"), Err(PlanError::NotANumber));
        assert_eq!(
            parse_capacity("10001"),
            Err(PlanError::CapacityTooLarge(10_001))
        );
        let tz = chrono_tz::Asia::Shanghai;
        let now = tz
            .with_ymd_and_hms(2026, 12, 6, 12, 0, 0)
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            parse_when("2026-12-01 14:00", now, tz),
            Err(PlanError::Past)
        );
        assert_eq!(parse_when("Saturday", now, tz), Err(PlanError::BadTime));
        assert_eq!(
            parse_when("2026-12-20 14:00", now, tz),
            Ok(tz
                .with_ymd_and_hms(2026, 12, 20, 14, 0, 0)
                .unwrap()
                .with_timezone(&Utc))
        );
        assert_eq!(parse_text("  ", TITLE_MAX), Err(PlanError::Empty));
        assert_eq!(
            parse_text(&"字".repeat(101), TITLE_MAX),
            Err(PlanError::TooLong { got: 101, max: 100 })
        );
    }

    #[test]
    fn attendance_answers_name_roster_lines() {
        assert_eq!(parse_present("1 3 5-7", 8), Some(vec![1, 3, 5, 6, 7]));
        assert_eq!(parse_present("2，1", 2), Some(vec![1, 2]));
        assert_eq!(parse_present("all", 3), Some(vec![1, 2, 3]));
        assert_eq!(parse_present("无", 3), Some(vec![]));
        assert_eq!(parse_present("4", 3), None);
        assert_eq!(parse_present("0", 3), None);
        assert_eq!(parse_present("yes", 3), None);
        assert_eq!(parse_present("", 3), None);
    }
}

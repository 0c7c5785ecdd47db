//! Visits to owners — a repair visit for a ticket or a proactive visit (走访)
//! to a unit — their time rules (office hours, slots, quiet hours) and the
//! SQL of `visits` and of `reminders` (a visit's, and the queue of due
//! reminders that survey invitations share).

use anyhow::{Context, Result};
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use sqlx::PgConnection;

use crate::domain::office_settings::{self, OfficeSettings};
use crate::domain::quiet_hours::QuietHours;

/// The office's visit and campaign settings: a view of
/// [`OfficeSettings`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitSettings {
    pub office_open: NaiveTime,
    pub office_close: NaiveTime,
    pub morning_slot: NaiveTime,
    pub afternoon_slot: NaiveTime,
    pub slot_days: u32,
    /// The office's one quiet hours (no survey messages then).
    pub quiet: QuietHours,
    pub survey_reminder_days: i64,
    pub survey_auto_day: Option<u32>,
}

impl Default for VisitSettings {
    /// The office settings' defaults.
    fn default() -> Self {
        VisitSettings::from(&OfficeSettings::default())
    }
}

impl From<&OfficeSettings> for VisitSettings {
    fn from(s: &OfficeSettings) -> Self {
        VisitSettings {
            office_open: s.office_hours.0,
            office_close: s.office_hours.1,
            morning_slot: s.visit_morning_slot,
            afternoon_slot: s.visit_afternoon_slot,
            slot_days: s.visit_slot_days,
            quiet: s.quiet_hours,
            survey_reminder_days: i64::from(s.survey_reminder_days),
            survey_auto_day: s.survey_auto_day,
        }
    }
}

/// Why a visit time is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeRefusal {
    Past,
    OutsideOfficeHours,
}

/// The first instant of local `date` at `time` (a time a DST gap skips
/// moves to the gap's end).
fn at_local(tz: Tz, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let naive = date.and_time(time);
    match tz.from_local_datetime(&naive).earliest() {
        Some(t) => t.with_timezone(&Utc),
        None => tz
            .from_local_datetime(&(naive + Duration::hours(1)))
            .earliest()
            .map_or_else(|| naive.and_utc(), |t| t.with_timezone(&Utc)),
    }
}

impl VisitSettings {
    /// Whether a visit may be booked at `at`: not in the past, and starting
    /// within office hours (local time).
    pub fn check_time(
        &self,
        at: DateTime<Utc>,
        now: DateTime<Utc>,
        tz: Tz,
    ) -> Result<(), TimeRefusal> {
        if at <= now {
            return Err(TimeRefusal::Past);
        }
        let local = at.with_timezone(&tz).time();
        if local < self.office_open || local >= self.office_close {
            return Err(TimeRefusal::OutsideOfficeHours);
        }
        Ok(())
    }

    /// The slots `/visit N` offers: morning and afternoon of the next
    /// `slot_days` working days (Monday to Friday) after today.
    #[must_use]
    pub fn slots(&self, now: DateTime<Utc>, tz: Tz) -> Vec<DateTime<Utc>> {
        let mut date = now.with_timezone(&tz).date_naive();
        let mut out = Vec::new();
        let mut days = 0;
        while days < self.slot_days {
            date = date.succ_opt().unwrap_or(date);
            if matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
                continue;
            }
            days += 1;
            for time in [self.morning_slot, self.afternoon_slot] {
                let at = at_local(tz, date, time);
                if self.check_time(at, now, tz).is_ok() {
                    out.push(at);
                }
            }
        }
        out
    }

    /// Whether `at` falls in quiet hours (no survey messages then).
    #[must_use]
    pub fn in_quiet_hours(&self, at: DateTime<Utc>, tz: Tz) -> bool {
        self.quiet.contains(at.with_timezone(&tz).time())
    }

    /// `at`, or the end of the quiet hours it falls in.
    #[must_use]
    pub fn outside_quiet_hours(&self, at: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
        self.quiet.release(at, tz)
    }
}

/// The visit settings in force now.
pub async fn settings(conn: &mut PgConnection) -> Result<VisitSettings> {
    Ok(VisitSettings::from(&office_settings::load(conn).await?))
}

/// Where a visit stands (`visits_status_check`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VisitStatus {
    /// The office proposed a time; the owner has not answered.
    Proposed,
    Confirmed,
    /// The owner asked for another time and was offered slots.
    Reschedule,
    /// The outcome is recorded.
    Done,
    Cancelled,
}

impl VisitStatus {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            VisitStatus::Proposed => "proposed",
            VisitStatus::Confirmed => "confirmed",
            VisitStatus::Reschedule => "reschedule",
            VisitStatus::Done => "done",
            VisitStatus::Cancelled => "cancelled",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<VisitStatus> {
        Some(match s {
            "proposed" => VisitStatus::Proposed,
            "confirmed" => VisitStatus::Confirmed,
            "reschedule" => VisitStatus::Reschedule,
            "done" => VisitStatus::Done,
            "cancelled" => VisitStatus::Cancelled,
            _ => return None,
        })
    }

    /// Still ahead: its reminders may fire.
    #[must_use]
    pub fn is_active(self) -> bool {
        matches!(
            self,
            VisitStatus::Proposed | VisitStatus::Confirmed | VisitStatus::Reschedule
        )
    }
}

/// What the staff member found (`visits_outcome_check`); serialized as its
/// stored text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Done,
    #[serde(rename = "absent")]
    OwnerAbsent,
    FollowUp,
}

impl Outcome {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Done => "done",
            Outcome::OwnerAbsent => "absent",
            Outcome::FollowUp => "follow_up",
        }
    }

    /// The stored value, a button code (`d`, `a`, `f`) or what staff type.
    #[must_use]
    pub fn parse(s: &str) -> Option<Outcome> {
        Some(match s.trim().to_lowercase().as_str() {
            "done" | "d" | "完成" => Outcome::Done,
            "absent" | "a" | "不在家" => Outcome::OwnerAbsent,
            "follow_up" | "followup" | "follow-up" | "f" | "跟进" => Outcome::FollowUp,
            _ => return None,
        })
    }

    /// The button code.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Done => "d",
            Outcome::OwnerAbsent => "a",
            Outcome::FollowUp => "f",
        }
    }
}

/// A booked visit.
#[derive(Debug, Clone, PartialEq)]
pub struct Visit {
    pub id: i64,
    pub ticket_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub unit_code: Option<String>,
    pub staff_id: i64,
    pub staff_chat_id: i64,
    pub owner_chat_id: Option<i64>,
    pub at: DateTime<Utc>,
    pub status: VisitStatus,
    pub outcome: Option<String>,
}

/// A visit as the queries below select it (each names the same columns),
/// its status still text.
struct VisitRow {
    id: i64,
    ticket_id: Option<i64>,
    unit_id: Option<i64>,
    unit_code: Option<String>,
    staff_id: i64,
    staff_chat_id: i64,
    owner_chat_id: Option<i64>,
    at: DateTime<Utc>,
    status: String,
    outcome: Option<String>,
}

fn from_row(row: VisitRow) -> Result<Visit> {
    let status = row.status;
    Ok(Visit {
        id: row.id,
        ticket_id: row.ticket_id,
        unit_id: row.unit_id,
        unit_code: row.unit_code,
        staff_id: row.staff_id,
        staff_chat_id: row.staff_chat_id,
        owner_chat_id: row.owner_chat_id,
        at: row.at,
        status: VisitStatus::parse(&status)
            .with_context(|| format!("unknown visit status {status}"))?,
        outcome: row.outcome,
    })
}

/// What a booking stores.
#[derive(Debug, Clone, PartialEq)]
pub struct NewVisit {
    pub ticket_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub staff_id: i64,
    pub staff_chat_id: i64,
    pub owner_chat_id: Option<i64>,
    pub at: DateTime<Utc>,
    pub status: VisitStatus,
}

/// Inserts a visit and plans its reminders; returns it.
pub async fn insert(conn: &mut PgConnection, new: &NewVisit, now: DateTime<Utc>) -> Result<Visit> {
    let id = sqlx::query_scalar!(
        "INSERT INTO visits (ticket_id, unit_id, staff_id, staff_chat_id, owner_chat_id, at, status,
                             created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
        new.ticket_id,
        new.unit_id,
        new.staff_id,
        new.staff_chat_id,
        new.owner_chat_id,
        new.at,
        new.status.as_str(),
        now
    )
    .fetch_one(&mut *conn)
    .await
    .context("inserting a visit")?;
    let visit = load(conn, id)
        .await?
        .context("the visit just inserted is gone")?;
    plan_reminders(conn, &visit, now).await?;
    Ok(visit)
}

pub async fn load(conn: &mut PgConnection, id: i64) -> Result<Option<Visit>> {
    let row = sqlx::query_as!(
        VisitRow,
        r#"SELECT v.id, v.ticket_id, v.unit_id, u.code AS "unit_code?", v.staff_id,
                v.staff_chat_id, v.owner_chat_id, v.at, v.status, v.outcome
           FROM visits v LEFT JOIN units u ON u.id = v.unit_id WHERE v.id = $1"#,
        id
    )
    .fetch_optional(conn)
    .await
    .context("loading a visit")?;
    row.map(from_row).transpose()
}

/// The ticket's visit that is still ahead (at most one is kept active).
pub async fn active_for_ticket(conn: &mut PgConnection, ticket_id: i64) -> Result<Option<Visit>> {
    let row = sqlx::query_as!(
        VisitRow,
        r#"SELECT v.id, v.ticket_id, v.unit_id, u.code AS "unit_code?", v.staff_id,
                v.staff_chat_id, v.owner_chat_id, v.at, v.status, v.outcome
           FROM visits v LEFT JOIN units u ON u.id = v.unit_id
          WHERE v.ticket_id = $1 AND v.status IN ('proposed', 'confirmed', 'reschedule')
          ORDER BY v.id DESC LIMIT 1"#,
        ticket_id
    )
    .fetch_optional(conn)
    .await?;
    row.map(from_row).transpose()
}

/// The ticket's latest visit without an outcome.
pub async fn awaiting_outcome_for_ticket(
    conn: &mut PgConnection,
    ticket_id: i64,
) -> Result<Option<Visit>> {
    let row = sqlx::query_as!(
        VisitRow,
        r#"SELECT v.id, v.ticket_id, v.unit_id, u.code AS "unit_code?", v.staff_id,
                v.staff_chat_id, v.owner_chat_id, v.at, v.status, v.outcome
           FROM visits v LEFT JOIN units u ON u.id = v.unit_id
          WHERE v.ticket_id = $1 AND v.outcome IS NULL AND v.status <> 'cancelled'
          ORDER BY v.id DESC LIMIT 1"#,
        ticket_id
    )
    .fetch_optional(conn)
    .await?;
    row.map(from_row).transpose()
}

/// Sets the status if the visit is in one of `from`; false if it was not.
pub async fn set_status(
    conn: &mut PgConnection,
    id: i64,
    from: &[VisitStatus],
    to: VisitStatus,
    now: DateTime<Utc>,
) -> Result<bool> {
    let from: Vec<String> = from.iter().map(|s| s.as_str().to_owned()).collect();
    Ok(sqlx::query_scalar!(
        "UPDATE visits SET status = $3, updated_at = $4 WHERE id = $1 AND status = ANY($2) RETURNING id",
        id,
        &from,
        to.as_str(),
        now
    )
    .fetch_optional(conn)
    .await?
    .is_some())
}

/// Moves an active visit to `at`: its unsent reminders are cancelled (they
/// never fire) and new ones planned. False if the visit is not active.
pub async fn move_to(
    conn: &mut PgConnection,
    id: i64,
    at: DateTime<Utc>,
    status: VisitStatus,
    now: DateTime<Utc>,
) -> Result<bool> {
    let moved = sqlx::query_scalar!(
        "UPDATE visits SET at = $2, status = $3, updated_at = $4
          WHERE id = $1 AND status IN ('proposed', 'confirmed', 'reschedule') RETURNING id",
        id,
        at,
        status.as_str(),
        now
    )
    .fetch_optional(&mut *conn)
    .await?
    .is_some();
    if !moved {
        return Ok(false);
    }
    cancel_reminders(conn, id, now).await?;
    if let Some(visit) = load(conn, id).await? {
        plan_reminders(conn, &visit, now).await?;
    }
    Ok(true)
}

/// Records the outcome once; false if one was recorded already.
pub async fn record_outcome(
    conn: &mut PgConnection,
    id: i64,
    outcome: Outcome,
    note: Option<&str>,
    follow_up_ticket_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<bool> {
    let done = sqlx::query_scalar!(
        "UPDATE visits SET outcome = $2, outcome_note = $3, follow_up_ticket_id = $4, outcome_at = $5,
                status = 'done', updated_at = $5
          WHERE id = $1 AND outcome IS NULL AND status <> 'cancelled' RETURNING id",
        id,
        outcome.as_str(),
        note,
        follow_up_ticket_id,
        now
    )
    .fetch_optional(&mut *conn)
    .await?
    .is_some();
    if done {
        cancel_reminders(conn, id, now).await?;
    }
    Ok(done)
}

/// The kinds of reminder rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReminderKind {
    VisitOwner24h,
    VisitOwner1h,
    VisitStaff1h,
    SurveyInvite,
    SurveyReminder1,
    SurveyReminder2,
}

impl ReminderKind {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ReminderKind::VisitOwner24h => "visit_owner_24h",
            ReminderKind::VisitOwner1h => "visit_owner_1h",
            ReminderKind::VisitStaff1h => "visit_staff_1h",
            ReminderKind::SurveyInvite => "survey_invite",
            ReminderKind::SurveyReminder1 => "survey_reminder_1",
            ReminderKind::SurveyReminder2 => "survey_reminder_2",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<ReminderKind> {
        Some(match s {
            "visit_owner_24h" => ReminderKind::VisitOwner24h,
            "visit_owner_1h" => ReminderKind::VisitOwner1h,
            "visit_staff_1h" => ReminderKind::VisitStaff1h,
            "survey_invite" => ReminderKind::SurveyInvite,
            "survey_reminder_1" => ReminderKind::SurveyReminder1,
            "survey_reminder_2" => ReminderKind::SurveyReminder2,
            _ => return None,
        })
    }
}

/// The reminders of a visit at `at`: to the owner 24 h and 1 h before, to
/// the staff member 1 h before; those already past at `now` are left out.
#[must_use]
pub fn reminder_plan(visit: &Visit, now: DateTime<Utc>) -> Vec<(ReminderKind, i64, DateTime<Utc>)> {
    let mut plan = Vec::new();
    if let Some(owner) = visit.owner_chat_id {
        plan.push((
            ReminderKind::VisitOwner24h,
            owner,
            visit.at - Duration::hours(24),
        ));
        plan.push((
            ReminderKind::VisitOwner1h,
            owner,
            visit.at - Duration::hours(1),
        ));
    }
    plan.push((
        ReminderKind::VisitStaff1h,
        visit.staff_chat_id,
        visit.at - Duration::hours(1),
    ));
    plan.retain(|(_, _, due)| *due > now);
    plan
}

async fn plan_reminders(conn: &mut PgConnection, visit: &Visit, now: DateTime<Utc>) -> Result<()> {
    for (kind, chat, due) in reminder_plan(visit, now) {
        sqlx::query!(
            "INSERT INTO reminders (kind, visit_id, chat_id, due_at, created_at) VALUES ($1, $2, $3, $4, $5)",
            kind.as_str(),
            visit.id,
            chat,
            due,
            now
        )
        .execute(&mut *conn)
        .await
        .context("planning a visit reminder")?;
    }
    Ok(())
}

/// Links a visit to the follow-up ticket filed from its outcome.
pub async fn set_follow_up_ticket(
    conn: &mut PgConnection,
    visit_id: i64,
    ticket_id: i64,
) -> Result<()> {
    sqlx::query!(
        "UPDATE visits SET follow_up_ticket_id = $2 WHERE id = $1",
        visit_id,
        ticket_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A `reminders` row that is due (a visit's or a survey's).
#[derive(Debug, Clone, PartialEq)]
pub struct DueReminder {
    pub id: i64,
    pub kind: ReminderKind,
    pub visit_id: Option<i64>,
    pub survey_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub chat_id: i64,
}

/// Claims up to `limit` reminders due at `now`, oldest first, locked for
/// this transaction (`SKIP LOCKED`: two processes never fire one twice).
pub async fn claim_due_reminders(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<DueReminder>> {
    let rows = sqlx::query!(
        "SELECT id, kind, visit_id, survey_id, unit_id, chat_id FROM reminders
          WHERE due_at <= $1 AND sent_at IS NULL AND cancelled_at IS NULL
          ORDER BY due_at, id
          LIMIT $2
          FOR UPDATE SKIP LOCKED",
        now,
        limit,
    )
    .fetch_all(conn)
    .await
    .context("claiming due reminders")?;
    rows.into_iter()
        .map(|r| {
            Ok(DueReminder {
                id: r.id,
                kind: ReminderKind::parse(&r.kind)
                    .with_context(|| format!("unknown reminder kind {}", r.kind))?,
                visit_id: r.visit_id,
                survey_id: r.survey_id,
                unit_id: r.unit_id,
                chat_id: r.chat_id,
            })
        })
        .collect()
}

/// Records what became of a due reminder: `result` is `sent` (with the
/// outbox row) or why it was skipped.
pub async fn mark_reminder(
    conn: &mut PgConnection,
    id: i64,
    now: DateTime<Utc>,
    result: &str,
    outbox_id: Option<i64>,
) -> Result<()> {
    sqlx::query!(
        "UPDATE reminders SET sent_at = $2, result = $3, outbox_id = $4 WHERE id = $1",
        id,
        now,
        result,
        outbox_id,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Moves a due reminder to `at` (out of quiet hours).
pub async fn defer_reminder(conn: &mut PgConnection, id: i64, at: DateTime<Utc>) -> Result<()> {
    sqlx::query!("UPDATE reminders SET due_at = $2 WHERE id = $1", id, at)
        .execute(conn)
        .await?;
    Ok(())
}

/// Cancels the visit's reminders that have not been sent.
pub async fn cancel_reminders(
    conn: &mut PgConnection,
    visit_id: i64,
    now: DateTime<Utc>,
) -> Result<u64> {
    Ok(sqlx::query!(
        "UPDATE reminders SET cancelled_at = $2
          WHERE visit_id = $1 AND sent_at IS NULL AND cancelled_at IS NULL",
        visit_id,
        now
    )
    .execute(conn)
    .await?
    .rows_affected())
}

/// The person the office talks to about a unit: a registered member with
/// Telegram, the one whose default unit it is first, owners before others.
pub async fn unit_contact(conn: &mut PgConnection, unit_id: i64) -> Result<Option<(i64, i64)>> {
    let row = sqlx::query!(
        r#"SELECT p.id, p.telegram_user_id AS "telegram_user_id!"
           FROM unit_members m JOIN people p ON p.id = m.person_id
          WHERE m.unit_id = $1 AND p.telegram_user_id IS NOT NULL
          ORDER BY m.is_default DESC, m.role = 'owner' DESC, m.created_at, p.id
          LIMIT 1"#,
        unit_id
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| (r.id, r.telegram_user_id)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hm(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    fn shanghai(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        at_local(
            chrono_tz::Asia::Shanghai,
            NaiveDate::from_ymd_opt(y, mo, d).unwrap(),
            hm(h, mi),
        )
    }

    #[test]
    fn a_visit_must_be_ahead_and_within_office_hours() {
        let s = VisitSettings::default();
        let tz = chrono_tz::Asia::Shanghai;
        let now = shanghai(2026, 11, 30, 12, 0);
        assert_eq!(s.check_time(shanghai(2026, 12, 1, 10, 0), now, tz), Ok(()));
        assert_eq!(s.check_time(shanghai(2026, 12, 1, 9, 0), now, tz), Ok(()));
        assert_eq!(
            s.check_time(shanghai(2026, 11, 30, 11, 0), now, tz),
            Err(TimeRefusal::Past)
        );
        assert_eq!(
            s.check_time(shanghai(2026, 12, 1, 18, 0), now, tz),
            Err(TimeRefusal::OutsideOfficeHours)
        );
        assert_eq!(
            s.check_time(shanghai(2026, 12, 1, 8, 59), now, tz),
            Err(TimeRefusal::OutsideOfficeHours)
        );
    }

    #[test]
    fn slots_are_mornings_and_afternoons_of_the_next_working_days() {
        let s = VisitSettings::default();
        let tz = chrono_tz::Asia::Shanghai;
        // Friday 2026-12-04: next working days are Mon 7, Tue 8, Wed 9.
        let slots = s.slots(shanghai(2026, 12, 4, 12, 0), tz);
        assert_eq!(slots.len(), 6);
        assert_eq!(slots[0], shanghai(2026, 12, 7, 9, 0));
        assert_eq!(slots[1], shanghai(2026, 12, 7, 14, 0));
        assert_eq!(slots[5], shanghai(2026, 12, 9, 14, 0));
    }

    #[test]
    fn quiet_hours_span_midnight_and_end_in_the_morning() {
        let s = VisitSettings::default();
        let tz = chrono_tz::Asia::Shanghai;
        assert!(!s.in_quiet_hours(shanghai(2026, 12, 1, 20, 59), tz));
        assert!(s.in_quiet_hours(shanghai(2026, 12, 1, 21, 0), tz));
        assert!(s.in_quiet_hours(shanghai(2026, 12, 2, 7, 59), tz));
        assert_eq!(
            s.outside_quiet_hours(shanghai(2026, 12, 1, 22, 0), tz),
            shanghai(2026, 12, 2, 8, 0)
        );
        assert_eq!(
            s.outside_quiet_hours(shanghai(2026, 12, 2, 3, 0), tz),
            shanghai(2026, 12, 2, 8, 0)
        );
        let noon = shanghai(2026, 12, 2, 12, 0);
        assert_eq!(s.outside_quiet_hours(noon, tz), noon);
    }

    #[test]
    fn reminders_already_past_are_not_planned() {
        let now = shanghai(2026, 12, 1, 9, 0);
        let mut v = Visit {
            id: 1,
            ticket_id: Some(1),
            unit_id: None,
            unit_code: None,
            staff_id: 7,
            staff_chat_id: 7,
            owner_chat_id: Some(5),
            at: shanghai(2026, 12, 3, 10, 0),
            status: VisitStatus::Proposed,
            outcome: None,
        };
        assert_eq!(reminder_plan(&v, now).len(), 3);
        v.at = shanghai(2026, 12, 1, 15, 0);
        let kinds: Vec<ReminderKind> = reminder_plan(&v, now).iter().map(|r| r.0).collect();
        assert_eq!(
            kinds,
            vec![ReminderKind::VisitOwner1h, ReminderKind::VisitStaff1h]
        );
        v.owner_chat_id = None;
        assert_eq!(reminder_plan(&v, now).len(), 1);
    }

    #[test]
    fn outcomes_parse_from_buttons_and_words() {
        for o in [Outcome::Done, Outcome::OwnerAbsent, Outcome::FollowUp] {
            assert_eq!(Outcome::parse(o.as_str()), Some(o));
            assert_eq!(Outcome::parse(o.code()), Some(o));
        }
        assert_eq!(Outcome::parse("完成"), Some(Outcome::Done));
        assert_eq!(Outcome::parse("maybe"), None);
    }
}

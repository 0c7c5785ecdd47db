//! Quarterly survey campaigns: opening a campaign plans one invitation per
//! registered unit and at most two reminders (rows of `reminders`, sent by
//! `processor::features::visits::run_due`). The report lives in `survey_report`.

use std::fmt;
use std::sync::LazyLock;

use anyhow::{Context, Result};
use chrono::{DateTime, Datelike, Duration, Utc};
use chrono_tz::Tz;
use regex::Regex;
use sqlx::PgConnection;

use super::visits::VisitSettings;

/// The questions of `dialogues/survey.toml`, in order (scores 1–5).
pub const QUESTIONS: [&str; 6] = [
    "overall",
    "cleanliness",
    "security",
    "repairs",
    "staff_attitude",
    "green_areas",
];

static CODE: LazyLock<Regex> = LazyLock::new(|| {
    // A literal covered by the unit tests below.
    #[allow(clippy::expect_used)]
    Regex::new(r"^([0-9]{4})Q([1-4])$").expect("survey code pattern")
});

/// A campaign's code, `2026Q4`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SurveyCode(String);

impl SurveyCode {
    /// Parses `2026Q4` (a lowercase `q` is accepted).
    #[must_use]
    pub fn parse(s: &str) -> Option<SurveyCode> {
        let s = s.trim().to_ascii_uppercase();
        CODE.is_match(&s).then_some(SurveyCode(s))
    }

    /// The quarter `at` falls in, in local time.
    #[must_use]
    pub fn of(at: DateTime<Utc>, tz: Tz) -> SurveyCode {
        let local = at.with_timezone(&tz);
        SurveyCode(format!("{}Q{}", local.year(), (local.month() - 1) / 3 + 1))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SurveyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What opening a campaign did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignStart {
    pub survey_id: i64,
    /// False when the campaign was already running (re-running it only
    /// invites units registered since).
    pub newly_started: bool,
    /// Invitations planned by this call.
    pub invited: u64,
    /// When they go out (quiet hours hold them until morning).
    pub invite_at: DateTime<Utc>,
}

/// Opens campaign `code` (creating its `surveys` row, reopening it if it was
/// closed, and closing any other open survey so answers go to this one), and
/// plans an invitation plus two reminders for every registered unit not
/// planned yet. Safe to call twice or from two processes: the unique index
/// on (survey, unit, kind) keeps one of each.
pub async fn start_campaign(
    conn: &mut PgConnection,
    code: &SurveyCode,
    now: DateTime<Utc>,
    tz: Tz,
    settings: &VisitSettings,
) -> Result<CampaignStart> {
    let (survey_id, started) = sqlx::query!(
        "INSERT INTO surveys (code, started_at) VALUES ($1, $2)
         ON CONFLICT (code) DO UPDATE SET closes_at = NULL
         RETURNING id, campaign_started_at",
        code.as_str(),
        now
    )
    .map(|r| (r.id, r.campaign_started_at))
    .fetch_one(&mut *conn)
    .await
    .context("opening the survey")?;
    let newly_started = started.is_none()
        && sqlx::query!(
            "UPDATE surveys SET campaign_started_at = $2, started_at = LEAST(started_at, $2)
              WHERE id = $1 AND campaign_started_at IS NULL RETURNING id",
            survey_id,
            now
        )
        .fetch_optional(&mut *conn)
        .await?
        .is_some();
    sqlx::query!(
        "UPDATE surveys SET closes_at = $2
          WHERE id <> $1 AND (closes_at IS NULL OR closes_at > $2)",
        survey_id,
        now
    )
    .execute(&mut *conn)
    .await
    .context("closing earlier surveys")?;

    let gap = Duration::days(settings.survey_reminder_days);
    let invite_at = settings.outside_quiet_hours(now, tz);
    let first = settings.outside_quiet_hours(invite_at + gap, tz);
    let second = settings.outside_quiet_hours(first + gap, tz);
    let invited = sqlx::query!(
        "INSERT INTO reminders (kind, survey_id, unit_id, chat_id, due_at, created_at)
         SELECT k.kind, $1, c.unit_id, c.chat_id, k.due_at, $5
           FROM (SELECT DISTINCT ON (m.unit_id) m.unit_id, p.telegram_user_id AS chat_id
                   FROM unit_members m JOIN people p ON p.id = m.person_id
                  WHERE p.telegram_user_id IS NOT NULL
                  ORDER BY m.unit_id, m.is_default DESC, m.role = 'owner' DESC, m.created_at, p.id) c
          CROSS JOIN (VALUES ('survey_invite', $2::timestamptz),
                             ('survey_reminder_1', $3::timestamptz),
                             ('survey_reminder_2', $4::timestamptz)) AS k (kind, due_at)
         ON CONFLICT (survey_id, unit_id, kind) WHERE survey_id IS NOT NULL DO NOTHING",
        survey_id,
        invite_at,
        first,
        second,
        now
    )
    .execute(&mut *conn)
    .await
    .context("planning survey invitations")?
    .rows_affected()
        / 3;
    Ok(CampaignStart {
        survey_id,
        newly_started,
        invited,
        invite_at,
    })
}

/// Whether campaign `code` has been started.
pub async fn campaign_started(conn: &mut PgConnection, code: &SurveyCode) -> Result<bool> {
    Ok(sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM surveys WHERE code = $1 AND campaign_started_at IS NOT NULL) AS "exists!""#,
        code.as_str()
    )
    .fetch_one(conn)
    .await?)
}

/// The survey open at `now`, or else the one for `quarter` (created on
/// first use), for an answer given outside a campaign.
pub async fn open_or_this_quarter(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    quarter: &str,
) -> Result<i64> {
    let open: Option<i64> = sqlx::query_scalar!(
        "SELECT id FROM surveys
          WHERE started_at <= $1 AND (closes_at IS NULL OR closes_at > $1)
          ORDER BY started_at DESC LIMIT 1",
        now
    )
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(id) = open {
        return Ok(id);
    }
    Ok(sqlx::query_scalar!(
        "INSERT INTO surveys (code, started_at) VALUES ($1, $2)
         ON CONFLICT (code) DO UPDATE SET code = EXCLUDED.code RETURNING id",
        quarter,
        now
    )
    .fetch_one(conn)
    .await?)
}

/// One unit's answers to a survey.
#[derive(Debug, Clone)]
pub struct Response<'a> {
    pub survey_id: i64,
    pub unit_id: i64,
    /// None when the answer is anonymous.
    pub person_id: Option<i64>,
    pub anonymous: bool,
    /// Question id → answer, for the ids in [`QUESTIONS`].
    pub answers: serde_json::Value,
    pub comment: Option<&'a str>,
}

/// Records a unit's answers; a later answer for the same unit replaces the
/// earlier one (one response per unit per survey).
pub async fn record_response(conn: &mut PgConnection, r: &Response<'_>) -> Result<()> {
    sqlx::query!(
        "INSERT INTO survey_responses (survey_id, unit_id, person_id, anonymous, answers, comment)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (survey_id, unit_id) DO UPDATE
           SET person_id = EXCLUDED.person_id, anonymous = EXCLUDED.anonymous,
               answers = EXCLUDED.answers, comment = EXCLUDED.comment, updated_at = now()",
        r.survey_id,
        r.unit_id,
        r.person_id,
        r.anonymous,
        &r.answers,
        r.comment
    )
    .execute(conn)
    .await
    .context("recording a survey response")?;
    Ok(())
}

/// Whether `unit_id` has answered survey `survey_id`.
pub async fn has_answered(conn: &mut PgConnection, survey_id: i64, unit_id: i64) -> Result<bool> {
    Ok(sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM survey_responses WHERE survey_id = $1 AND unit_id = $2) AS "exists!""#,
        survey_id,
        unit_id
    )
    .fetch_one(conn)
    .await?)
}

/// A survey's code and whether it is still open at `now`.
pub async fn survey_state(
    conn: &mut PgConnection,
    survey_id: i64,
    now: DateTime<Utc>,
) -> Result<Option<(String, bool)>> {
    Ok(sqlx::query!(
        r#"SELECT code, closes_at IS NULL OR closes_at > $2 AS "open!" FROM surveys WHERE id = $1"#,
        survey_id,
        now
    )
    .map(|r| (r.code, r.open))
    .fetch_optional(conn)
    .await?)
}

/// The campaign the scheduler should start at `now`, if any: with
/// `survey_auto_day` set, the current quarter's once that day of its first
/// month has come.
#[must_use]
pub fn due_campaign(settings: &VisitSettings, now: DateTime<Utc>, tz: Tz) -> Option<SurveyCode> {
    let day = settings.survey_auto_day?;
    let local = now.with_timezone(&tz);
    let first_month = (local.month() - 1) / 3 * 3 + 1;
    let due = local.month() > first_month || local.day() >= day;
    due.then(|| SurveyCode::of(now, tz))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn survey_codes_are_year_and_quarter() {
        assert_eq!(
            SurveyCode::parse("2026q4").map(|c| c.to_string()),
            Some("2026Q4".into())
        );
        for bad in ["2026Q5", "26Q1", "2026-Q1", "", "2026Q"] {
            assert!(SurveyCode::parse(bad).is_none(), "{bad}");
        }
        let tz = chrono_tz::Asia::Shanghai;
        // 2026-09-30 17:00 UTC is 2026-10-01 01:00 in Shanghai: Q4 there.
        let at = Utc.with_ymd_and_hms(2026, 9, 30, 17, 0, 0).unwrap();
        assert_eq!(SurveyCode::of(at, tz).as_str(), "2026Q4");
    }

    #[test]
    fn the_automatic_campaign_waits_for_its_day() {
        let tz = chrono_tz::Asia::Shanghai;
        let mut s = VisitSettings::default();
        let oct_3 = Utc.with_ymd_and_hms(2026, 10, 3, 4, 0, 0).unwrap();
        assert_eq!(due_campaign(&s, oct_3, tz), None);
        s.survey_auto_day = Some(5);
        assert_eq!(due_campaign(&s, oct_3, tz), None);
        let oct_5 = Utc.with_ymd_and_hms(2026, 10, 5, 4, 0, 0).unwrap();
        assert_eq!(
            due_campaign(&s, oct_5, tz).map(|c| c.0),
            Some("2026Q4".into())
        );
        let nov_1 = Utc.with_ymd_and_hms(2026, 11, 1, 4, 0, 0).unwrap();
        assert!(due_campaign(&s, nov_1, tz).is_some());
    }
}

//! The figures of a manager's report for a period: tickets by kind and
//! building, first response and resolution against their deadlines,
//! ratings, the survey trend by quarter, broadcasts and their RSVPs,
//! activities, and tickets per staff member and per department. Plain data
//! read with SQL; what a manager sees (text, charts, spreadsheet) is
//! `crate::reports`.

use anyhow::{Context, Result};
use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use sqlx::PgConnection;

use super::surveys::QUESTIONS;

/// The longest range a report covers.
pub const MAX_DAYS: i64 = 366;
/// Quarters of the survey trend.
pub const TREND_QUARTERS: i64 = 6;
/// An activity at least every this many months (the office's duty).
pub const ACTIVITY_EVERY_MONTHS: u32 = 6;

/// What a period is called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodKind {
    Month { year: i32, month: u32 },
    Quarter { year: i32, quarter: u32 },
    Range,
}

/// Local days from `from` to `to`, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub kind: PeriodKind,
}

/// Why a period was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("not a month, a quarter or two dates")]
    Unreadable,
    #[error("the end comes before the start")]
    EndBeforeStart,
    #[error("the period starts after today")]
    Future,
    #[error("more than {MAX_DAYS} days")]
    TooLong,
}

impl Period {
    /// Calendar month `month` of `year`.
    #[must_use]
    pub fn month(year: i32, month: u32) -> Option<Period> {
        let from = NaiveDate::from_ymd_opt(year, month, 1)?;
        let to = from.checked_add_months(Months::new(1))?.pred_opt()?;
        Some(Period {
            from,
            to,
            kind: PeriodKind::Month { year, month },
        })
    }

    /// Quarter `quarter` (1–4) of `year`.
    #[must_use]
    pub fn quarter(year: i32, quarter: u32) -> Option<Period> {
        if !(1..=4).contains(&quarter) {
            return None;
        }
        let from = NaiveDate::from_ymd_opt(year, quarter * 3 - 2, 1)?;
        let to = from.checked_add_months(Months::new(3))?.pred_opt()?;
        Some(Period {
            from,
            to,
            kind: PeriodKind::Quarter { year, quarter },
        })
    }

    /// The month `today` is in.
    #[must_use]
    pub fn this_month(today: NaiveDate) -> Period {
        Period::month(today.year(), today.month()).unwrap_or(Period {
            from: today,
            to: today,
            kind: PeriodKind::Range,
        })
    }

    /// The month before `today`'s.
    #[must_use]
    pub fn last_month(today: NaiveDate) -> Period {
        let day = today
            .with_day(1)
            .and_then(|d| d.pred_opt())
            .unwrap_or(today);
        Period::this_month(day)
    }

    /// The quarter `today` is in.
    #[must_use]
    pub fn this_quarter(today: NaiveDate) -> Period {
        Period::quarter(today.year(), (today.month() - 1) / 3 + 1).unwrap_or(Period {
            from: today,
            to: today,
            kind: PeriodKind::Range,
        })
    }

    /// The quarter before `today`'s.
    #[must_use]
    pub fn last_quarter(today: NaiveDate) -> Period {
        let start = Period::this_quarter(today).from;
        Period::this_quarter(start.pred_opt().unwrap_or(start))
    }

    /// `2026-11`, `2026Q4` (or `2026q4`), or two dates `2026-11-01
    /// 2026-11-30` (also joined by `..`, `~`, `–`, `to`, `至`). Nothing
    /// after `today` starts, and a range spans at most [`MAX_DAYS`].
    pub fn parse(text: &str, today: NaiveDate) -> std::result::Result<Period, PeriodError> {
        let text = text.trim();
        let period = if let Some((y, q)) = text.split_once(['Q', 'q']) {
            let (Ok(y), Ok(q)) = (y.parse::<i32>(), q.parse::<u32>()) else {
                return Err(PeriodError::Unreadable);
            };
            Period::quarter(y, q).ok_or(PeriodError::Unreadable)?
        } else if let Some(period) = month_of(text) {
            period
        } else {
            let dates: Vec<NaiveDate> = text
                .split(|c: char| c.is_whitespace() || matches!(c, '~' | '–' | '—' | '至' | ','))
                .flat_map(|w| w.split(".."))
                .filter(|w| !w.is_empty() && *w != "to")
                .map(|w| NaiveDate::parse_from_str(w, "%Y-%m-%d"))
                .collect::<std::result::Result<_, _>>()
                .map_err(|_| PeriodError::Unreadable)?;
            let [from, to] = dates.as_slice() else {
                return Err(PeriodError::Unreadable);
            };
            if to < from {
                return Err(PeriodError::EndBeforeStart);
            }
            if (*to - *from).num_days() + 1 > MAX_DAYS {
                return Err(PeriodError::TooLong);
            }
            Period {
                from: *from,
                to: *to,
                kind: PeriodKind::Range,
            }
        };
        if period.from > today {
            return Err(PeriodError::Future);
        }
        Ok(period)
    }

    /// The short code of a month or quarter (`2026-11`, `2026Q4`), None for a range.
    #[must_use]
    pub fn code(&self) -> Option<String> {
        match self.kind {
            PeriodKind::Month { year, month } => Some(format!("{year}-{month:02}")),
            PeriodKind::Quarter { year, quarter } => Some(format!("{year}Q{quarter}")),
            PeriodKind::Range => None,
        }
    }

    /// The instants the period covers in `tz`: from its first local
    /// midnight to the one after its last day.
    #[must_use]
    pub fn bounds(&self, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
        let midnight = |d: NaiveDate| {
            tz.from_local_datetime(&d.and_time(NaiveTime::MIN))
                .earliest()
                .map_or_else(
                    || d.and_time(NaiveTime::MIN).and_utc(),
                    |t| t.with_timezone(&Utc),
                )
        };
        let after = self.to.succ_opt().unwrap_or(self.to);
        (midnight(self.from), midnight(after))
    }

    /// The survey quarter the period ends in (`2026Q4`).
    #[must_use]
    pub fn last_quarter_code(&self) -> String {
        format!("{}Q{}", self.to.year(), (self.to.month() - 1) / 3 + 1)
    }
}

fn month_of(text: &str) -> Option<Period> {
    let (y, m) = text.split_once('-')?;
    if m.len() > 2 || m.contains('-') {
        return None;
    }
    Period::month(y.parse().ok()?, m.parse().ok()?)
}

/// Tickets of one kind in one building.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindBuilding {
    pub kind: String,
    /// Empty when the ticket names no unit.
    pub building: String,
    pub tickets: i64,
}

/// Deadlines met for one kind. A ticket counts once its deadline passed or
/// it was answered (resolved); one still within its deadline is neither,
/// and a cancelled one neither.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Deadlines {
    pub kind: String,
    pub tickets: i64,
    pub response_on_time: i64,
    pub response_late: i64,
    pub resolve_on_time: i64,
    pub resolve_late: i64,
}

impl Deadlines {
    /// Percentage of first responses on time (None: nothing to judge).
    #[must_use]
    pub fn response_percent(&self) -> Option<f64> {
        percent(
            self.response_on_time,
            self.response_on_time + self.response_late,
        )
    }

    #[must_use]
    pub fn resolve_percent(&self) -> Option<f64> {
        percent(
            self.resolve_on_time,
            self.resolve_on_time + self.resolve_late,
        )
    }
}

/// `part` of `whole` in percent.
#[must_use]
pub fn percent(part: i64, whole: i64) -> Option<f64> {
    #[allow(clippy::cast_precision_loss)]
    (whole > 0).then(|| part as f64 * 100.0 / whole as f64)
}

/// The ticket figures of a period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TicketFigures {
    pub total: i64,
    pub by_kind_building: Vec<KindBuilding>,
    /// Per kind, then all kinds together (kind `""`).
    pub deadlines: Vec<Deadlines>,
    pub median_response_minutes: Option<f64>,
    pub median_resolve_minutes: Option<f64>,
    /// Ratings given, one to five stars.
    pub ratings: [i64; 5],
}

impl TicketFigures {
    #[must_use]
    pub fn rated(&self) -> i64 {
        self.ratings.iter().sum()
    }

    #[must_use]
    pub fn average_rating(&self) -> Option<f64> {
        let stars: i64 = (1..=5).zip(self.ratings).map(|(s, n)| s * n).sum();
        #[allow(clippy::cast_precision_loss)]
        (self.rated() > 0).then(|| stars as f64 / self.rated() as f64)
    }

    /// The line of all kinds together.
    #[must_use]
    pub fn overall(&self) -> Deadlines {
        self.deadlines
            .iter()
            .find(|d| d.kind.is_empty())
            .cloned()
            .unwrap_or_default()
    }

    /// Kinds in the order they first appear, buildings sorted as people
    /// number them ("2" before "10").
    #[must_use]
    pub fn kinds_and_buildings(&self) -> (Vec<String>, Vec<String>) {
        let mut kinds: Vec<String> = Vec::new();
        let mut buildings: Vec<String> = Vec::new();
        for row in &self.by_kind_building {
            if !kinds.contains(&row.kind) {
                kinds.push(row.kind.clone());
            }
            if !buildings.contains(&row.building) {
                buildings.push(row.building.clone());
            }
        }
        buildings.sort_by(|a, b| natural(a).cmp(&natural(b)));
        (kinds, buildings)
    }

    /// Tickets of `kind` in `building`.
    #[must_use]
    pub fn count(&self, kind: &str, building: &str) -> i64 {
        self.by_kind_building
            .iter()
            .filter(|r| r.kind == kind && r.building == building)
            .map(|r| r.tickets)
            .sum()
    }
}

/// Sort key that puts "2" before "10" and names after numbers.
fn natural(s: &str) -> (bool, usize, &str) {
    let numeric = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (
        !numeric || s.is_empty(),
        if numeric { s.len() } else { 0 },
        s,
    )
}

/// One survey quarter: responses and the mean of the question averages.
#[derive(Debug, Clone, PartialEq)]
pub struct QuarterMean {
    pub code: String,
    pub responses: i64,
    pub mean: Option<f64>,
}

/// The notices of a period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BroadcastFigures {
    /// Confirmed in the period (stopped ones included).
    pub notices: i64,
    pub recipients: i64,
    pub delivered: i64,
    pub with_rsvp: i64,
    pub join: i64,
    pub decline: i64,
    pub recalled: i64,
}

/// One activity as the report shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivitySummary {
    pub id: i64,
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub place: String,
    pub capacity: i64,
    pub joined: i64,
    pub waiting: i64,
    pub attended: i64,
    pub ratings: i64,
    pub average_rating: Option<f64>,
    pub comments: Vec<String>,
}

/// Tickets one staff member (or one department) was assigned.
#[derive(Debug, Clone, PartialEq)]
pub struct StaffFigures {
    /// "#3 Zhang San", or the department's name.
    pub name: String,
    pub department: String,
    pub assigned: i64,
    pub resolved: i64,
    pub resolve_on_time: i64,
    pub resolve_late: i64,
    pub average_rating: Option<f64>,
}

impl StaffFigures {
    #[must_use]
    pub fn resolve_percent(&self) -> Option<f64> {
        percent(
            self.resolve_on_time,
            self.resolve_on_time + self.resolve_late,
        )
    }
}

/// Everything a report shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    pub period: Period,
    pub tickets: TicketFigures,
    /// Survey answers given during the period.
    pub survey_responses: i64,
    /// Up to [`TREND_QUARTERS`] quarters to the period's last, oldest first.
    pub survey_trend: Vec<QuarterMean>,
    pub broadcasts: BroadcastFigures,
    pub activities: Vec<ActivitySummary>,
    pub staff: Vec<StaffFigures>,
    pub departments: Vec<StaffFigures>,
    /// The latest activity held by the period's end, if any.
    pub last_activity: Option<DateTime<Utc>>,
}

impl Figures {
    /// Nothing happened in the period: no ticket, notice, activity or
    /// survey answer.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.tickets.total == 0
            && self.broadcasts.notices == 0
            && self.activities.is_empty()
            && self.survey_responses == 0
    }

    /// True when the latest activity is more than six months before the
    /// period's end (or there never was one).
    #[must_use]
    pub fn activity_overdue(&self, tz: Tz) -> bool {
        let (_, end) = self.period.bounds(tz);
        let Some(limit) = end.checked_sub_months(Months::new(ACTIVITY_EVERY_MONTHS)) else {
            return false;
        };
        self.last_activity.is_none_or(|at| at < limit)
    }
}

/// Reads every figure of `period` (local days in `tz`); deadlines not yet
/// passed at `now` are not judged.
pub async fn figures(
    conn: &mut PgConnection,
    period: Period,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Figures> {
    let (start, end) = period.bounds(tz);
    let judged_at = end.min(now);
    Ok(Figures {
        period,
        tickets: tickets(conn, start, end, judged_at).await?,
        survey_responses: sqlx::query_scalar!(
            r#"SELECT count(*) AS "n!" FROM survey_responses WHERE created_at >= $1 AND created_at < $2"#,
            start,
            end
        )
        .fetch_one(&mut *conn)
        .await?,
        survey_trend: survey_trend(conn, &period.last_quarter_code()).await?,
        broadcasts: broadcasts(conn, start, end).await?,
        activities: activities(conn, start, end).await?,
        staff: staff(conn, start, end, judged_at).await?,
        departments: departments(conn, start, end, judged_at).await?,
        last_activity: sqlx::query_scalar!(
            "SELECT max(starts_at) FROM activities WHERE status <> 'cancelled' AND starts_at < $1",
            end
        )
        .fetch_one(&mut *conn)
        .await?,
    })
}

async fn tickets(
    conn: &mut PgConnection,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    judged_at: DateTime<Utc>,
) -> Result<TicketFigures> {
    let by_kind_building = sqlx::query_as!(
        KindBuilding,
        r#"SELECT t.kind AS "kind!", COALESCE(u.building, '') AS "building!", count(*) AS "tickets!"
             FROM tickets t LEFT JOIN units u ON u.id = t.unit_id
            WHERE t.created_at >= $1 AND t.created_at < $2
            GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2"#,
        start,
        end
    )
    .fetch_all(&mut *conn)
    .await
    .context("counting tickets by kind and building")?;
    let deadlines = sqlx::query_as!(
        Deadlines,
        r#"SELECT COALESCE(kind, '') AS "kind!", count(*) AS "tickets!",
                  count(*) FILTER (WHERE status <> 'cancelled' AND first_response_at <= due_response_at)
                      AS "response_on_time!",
                  count(*) FILTER (WHERE status <> 'cancelled'
                                     AND (first_response_at > due_response_at
                                          OR (first_response_at IS NULL AND due_response_at < $3)))
                      AS "response_late!",
                  count(*) FILTER (WHERE status <> 'cancelled' AND resolved_at <= due_resolve_at)
                      AS "resolve_on_time!",
                  count(*) FILTER (WHERE status <> 'cancelled'
                                     AND (resolved_at > due_resolve_at
                                          OR (resolved_at IS NULL AND due_resolve_at < $3)))
                      AS "resolve_late!"
             FROM tickets
            WHERE created_at >= $1 AND created_at < $2
            GROUP BY GROUPING SETS ((kind), ())
            ORDER BY GROUPING(kind), count(*) DESC, kind"#,
        start,
        end,
        judged_at
    )
    .fetch_all(&mut *conn)
    .await
    .context("judging tickets against their deadlines")?;
    let times = sqlx::query!(
        r#"SELECT count(*) AS "total!",
                  percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM first_response_at - created_at))
                      FILTER (WHERE first_response_at IS NOT NULL) AS response,
                  percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM resolved_at - created_at))
                      FILTER (WHERE resolved_at IS NOT NULL) AS resolve
             FROM tickets WHERE created_at >= $1 AND created_at < $2"#,
        start,
        end
    )
    .fetch_one(&mut *conn)
    .await?;
    let stars = sqlx::query!(
        r#"SELECT rating AS "rating!", count(*) AS "n!" FROM tickets
            WHERE created_at >= $1 AND created_at < $2 AND rating IS NOT NULL
            GROUP BY rating"#,
        start,
        end
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut ratings = [0; 5];
    for row in stars {
        if let Some(slot) = usize::try_from(row.rating - 1)
            .ok()
            .and_then(|i| ratings.get_mut(i))
        {
            *slot = row.n;
        }
    }
    Ok(TicketFigures {
        total: times.total,
        by_kind_building,
        deadlines: if times.total == 0 {
            Vec::new()
        } else {
            deadlines
        },
        median_response_minutes: times.response.map(|s| s / 60.0),
        median_resolve_minutes: times.resolve.map(|s| s / 60.0),
        ratings,
    })
}

async fn survey_trend(conn: &mut PgConnection, last: &str) -> Result<Vec<QuarterMean>> {
    let questions: Vec<String> = QUESTIONS.iter().map(|q| (*q).to_string()).collect();
    let mut rows = sqlx::query_as!(
        QuarterMean,
        r#"SELECT s.code AS "code!",
                  (SELECT count(*) FROM survey_responses r WHERE r.survey_id = s.id) AS "responses!",
                  (SELECT avg(q.average) FROM (
                       SELECT avg((r.answers ->> k)::float8) AS average
                         FROM survey_responses r, unnest($1::text[]) AS k
                        WHERE r.survey_id = s.id AND jsonb_typeof(r.answers -> k) = 'number'
                        GROUP BY k) q) AS mean
             FROM surveys s
            WHERE s.code <= $2
            ORDER BY s.code DESC
            LIMIT $3"#,
        &questions,
        last,
        TREND_QUARTERS
    )
    .fetch_all(&mut *conn)
    .await
    .context("reading the survey trend")?;
    rows.retain(|q| q.responses > 0);
    rows.reverse();
    Ok(rows)
}

async fn broadcasts(
    conn: &mut PgConnection,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<BroadcastFigures> {
    let row = sqlx::query_as!(
        BroadcastFigures,
        r#"SELECT count(DISTINCT b.id) AS "notices!",
                  count(r.id) AS "recipients!",
                  count(r.id) FILTER (WHERE o.status = 'sent') AS "delivered!",
                  count(DISTINCT b.id) FILTER (WHERE b.rsvp) AS "with_rsvp!",
                  count(r.id) FILTER (WHERE r.rsvp = 'join') AS "join!",
                  count(r.id) FILTER (WHERE r.rsvp = 'decline') AS "decline!",
                  count(DISTINCT b.id) FILTER (WHERE b.recalled_at IS NOT NULL) AS "recalled!"
             FROM broadcasts b
             LEFT JOIN broadcast_recipients r ON r.broadcast_id = b.id
             LEFT JOIN outbox o ON o.id = r.outbox_id
            WHERE b.confirmed_at >= $1 AND b.confirmed_at < $2"#,
        start,
        end
    )
    .fetch_one(conn)
    .await
    .context("counting broadcasts")?;
    Ok(row)
}

async fn activities(
    conn: &mut PgConnection,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Vec<ActivitySummary>> {
    let rows = sqlx::query!(
        r#"SELECT a.id, a.title, a.starts_at, a.place, a.capacity,
                  count(r.id) FILTER (WHERE r.status = 'joined') AS "joined!",
                  count(r.id) FILTER (WHERE r.status = 'waiting') AS "waiting!",
                  count(r.id) FILTER (WHERE r.attended) AS "attended!",
                  count(r.rating) AS "ratings!",
                  avg(r.rating)::float8 AS average_rating,
                  COALESCE(array_agg(r.comment ORDER BY r.feedback_at)
                           FILTER (WHERE r.comment IS NOT NULL), '{}') AS "comments!"
             FROM activities a
             LEFT JOIN activity_rsvps r ON r.activity_id = a.id
            WHERE a.starts_at >= $1 AND a.starts_at < $2 AND a.status <> 'cancelled'
            GROUP BY a.id
            ORDER BY a.starts_at, a.id"#,
        start,
        end
    )
    .fetch_all(conn)
    .await
    .context("summing up activities")?;
    Ok(rows
        .into_iter()
        .map(|r| ActivitySummary {
            id: r.id,
            title: r.title,
            starts_at: r.starts_at,
            place: r.place,
            capacity: i64::from(r.capacity),
            joined: r.joined,
            waiting: r.waiting,
            attended: r.attended,
            ratings: r.ratings,
            average_rating: r.average_rating,
            comments: r.comments,
        })
        .collect())
}

async fn staff(
    conn: &mut PgConnection,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    judged_at: DateTime<Utc>,
) -> Result<Vec<StaffFigures>> {
    let rows = sqlx::query_as!(
        StaffFigures,
        r#"SELECT '#' || s.staff_no || ' ' || s.name AS "name!",
                  COALESCE(s.department, '') AS "department!",
                  count(*) AS "assigned!",
                  count(*) FILTER (WHERE t.resolved_at IS NOT NULL) AS "resolved!",
                  count(*) FILTER (WHERE t.status <> 'cancelled' AND t.resolved_at <= t.due_resolve_at)
                      AS "resolve_on_time!",
                  count(*) FILTER (WHERE t.status <> 'cancelled'
                                     AND (t.resolved_at > t.due_resolve_at
                                          OR (t.resolved_at IS NULL AND t.due_resolve_at < $3)))
                      AS "resolve_late!",
                  avg(t.rating)::float8 AS average_rating
             FROM tickets t JOIN staff s ON s.telegram_user_id = t.assignee
            WHERE t.created_at >= $1 AND t.created_at < $2
            GROUP BY s.telegram_user_id, s.staff_no, s.name, s.department
            ORDER BY count(*) DESC, s.staff_no"#,
        start,
        end,
        judged_at
    )
    .fetch_all(conn)
    .await
    .context("counting tickets per staff member")?;
    Ok(rows)
}

async fn departments(
    conn: &mut PgConnection,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    judged_at: DateTime<Utc>,
) -> Result<Vec<StaffFigures>> {
    let rows = sqlx::query_as!(
        StaffFigures,
        r#"SELECT COALESCE(s.department, '') AS "name!",
                  COALESCE(s.department, '') AS "department!",
                  count(*) AS "assigned!",
                  count(*) FILTER (WHERE t.resolved_at IS NOT NULL) AS "resolved!",
                  count(*) FILTER (WHERE t.status <> 'cancelled' AND t.resolved_at <= t.due_resolve_at)
                      AS "resolve_on_time!",
                  count(*) FILTER (WHERE t.status <> 'cancelled'
                                     AND (t.resolved_at > t.due_resolve_at
                                          OR (t.resolved_at IS NULL AND t.due_resolve_at < $3)))
                      AS "resolve_late!",
                  avg(t.rating)::float8 AS average_rating
             FROM tickets t JOIN staff s ON s.telegram_user_id = t.assignee
            WHERE t.created_at >= $1 AND t.created_at < $2
            GROUP BY s.department
            ORDER BY count(*) DESC, s.department"#,
        start,
        end,
        judged_at
    )
    .fetch_all(conn)
    .await
    .context("counting tickets per department")?;
    Ok(rows)
}

/// The month a monthly report due at `now` covers: the previous local
/// month, once the 1st's `at` has passed (None before that).
#[must_use]
pub fn monthly_due(now: DateTime<Utc>, tz: Tz, at: NaiveTime) -> Period {
    let local = now.with_timezone(&tz);
    let today = local.date_naive();
    // Before the 1st's hour, the month before last is the latest one due.
    let due_this_month = local.day() > 1 || local.time() >= at;
    let reference = if due_this_month {
        today
    } else {
        today - Duration::days(1)
    };
    Period::last_month(reference)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn months_quarters_and_ranges_parse() {
        let today = d(2026, 12, 6);
        let nov = Period::parse("2026-11", today).unwrap();
        assert_eq!((nov.from, nov.to), (d(2026, 11, 1), d(2026, 11, 30)));
        assert_eq!(nov.code().as_deref(), Some("2026-11"));
        let q = Period::parse("2026q3", today).unwrap();
        assert_eq!((q.from, q.to), (d(2026, 7, 1), d(2026, 9, 30)));
        let feb = Period::parse("2028-2", today).unwrap_err();
        assert_eq!(feb, PeriodError::Future);
        let r = Period::parse("2026-11-03 2026-11-09", today).unwrap();
        assert_eq!(
            (r.from, r.to, r.kind),
            (d(2026, 11, 3), d(2026, 11, 9), PeriodKind::Range)
        );
        for joined in [
            "2026-11-03..2026-11-09",
            "2026-11-03 至 2026-11-09",
            "2026-11-03 to 2026-11-09",
        ] {
            assert_eq!(Period::parse(joined, today).unwrap(), r, "{joined}");
        }
    }

    #[test]
    fn bad_periods_say_what_is_wrong() {
        let today = d(2026, 12, 6);
        assert_eq!(
            Period::parse("last week", today),
            Err(PeriodError::Unreadable)
        );
        assert_eq!(
            Period::parse("2026-13", today),
            Err(PeriodError::Unreadable)
        );
        assert_eq!(Period::parse("2026Q5", today), Err(PeriodError::Unreadable));
        assert_eq!(
            Period::parse("2026-11-09 2026-11-03", today),
            Err(PeriodError::EndBeforeStart)
        );
        assert_eq!(
            Period::parse("2024-01-01 2026-01-01", today),
            Err(PeriodError::TooLong)
        );
        assert_eq!(
            Period::parse("2027-01-01 2027-01-02", today),
            Err(PeriodError::Future)
        );
    }

    #[test]
    fn this_and_last_months_and_quarters() {
        let today = d(2026, 1, 15);
        assert_eq!(Period::last_month(today).code().as_deref(), Some("2025-12"));
        assert_eq!(Period::this_month(today).code().as_deref(), Some("2026-01"));
        assert_eq!(
            Period::this_quarter(today).code().as_deref(),
            Some("2026Q1")
        );
        assert_eq!(
            Period::last_quarter(today).code().as_deref(),
            Some("2025Q4")
        );
        let tz = chrono_tz::Asia::Shanghai;
        let (start, end) = Period::month(2026, 11).unwrap().bounds(tz);
        assert_eq!(start, Utc.with_ymd_and_hms(2026, 10, 31, 16, 0, 0).unwrap());
        assert_eq!(end, Utc.with_ymd_and_hms(2026, 11, 30, 16, 0, 0).unwrap());
    }

    #[test]
    fn the_monthly_report_is_due_from_the_first_at_nine() {
        let tz = chrono_tz::Asia::Shanghai;
        let nine = NaiveTime::from_hms_opt(9, 0, 0).unwrap();
        let at = |day, h| {
            tz.with_ymd_and_hms(2026, 12, day, h, 0, 0)
                .unwrap()
                .with_timezone(&Utc)
        };
        assert_eq!(
            monthly_due(at(1, 8), tz, nine).code().as_deref(),
            Some("2026-10")
        );
        assert_eq!(
            monthly_due(at(1, 9), tz, nine).code().as_deref(),
            Some("2026-11")
        );
        assert_eq!(
            monthly_due(at(17, 3), tz, nine).code().as_deref(),
            Some("2026-11")
        );
    }

    #[test]
    fn buildings_sort_as_people_number_them() {
        let mut b = vec!["10", "", "2", "A", "1"];
        b.sort_by(|x, y| natural(x).cmp(&natural(y)));
        assert_eq!(b, vec!["1", "2", "10", "", "A"]);
    }
}

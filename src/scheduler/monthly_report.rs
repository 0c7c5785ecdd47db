//! The monthly report: on the 1st from 09:00 local time (`PROPDESK_TIMEZONE`),
//! every active manager gets last month's report in their chat's language,
//! without asking. The month is claimed in `monthly_reports_sent` in the
//! transaction that queues the reports, so it goes out once, whichever
//! replica leads the scheduler and however often it ticks. A bot that was
//! down on the 1st sends it when it is back, within the first three days.

use anyhow::Result;
use chrono::{DateTime, Datelike, NaiveTime, Utc};
use sqlx::PgConnection;

use crate::domain::report::{self, Period};
use crate::domain::staff::{self, StaffRole};
use crate::i18n::Lang;
use crate::outbox::Lane;
use crate::processor::features::reports::{intro, queue};
use crate::processor::{chat_language, App};

/// The local time on the 1st the report goes out.
pub const AT: NaiveTime = match NaiveTime::from_hms_opt(9, 0, 0) {
    Some(t) => t,
    None => NaiveTime::MIN,
};
/// Days into the month a missed report is still sent.
pub const GRACE_DAYS: u32 = 3;

/// The month whose report is due at `now`, if one is.
#[must_use]
pub fn due(now: DateTime<Utc>, tz: chrono_tz::Tz) -> Option<Period> {
    let local = now.with_timezone(&tz);
    let started = local.day() > 1 || local.time() >= AT;
    (started && local.day() <= GRACE_DAYS).then(|| report::monthly_due(now, tz, AT))
}

/// Queues the monthly report to every manager if it is due and not yet
/// sent. Returns how many managers it was queued for.
pub async fn send_if_due(conn: &mut PgConnection, app: &App, now: DateTime<Utc>) -> Result<usize> {
    let tz = app.settings.timezone;
    let Some(period) = due(now, tz) else {
        return Ok(0);
    };
    let Some(month) = period.code() else {
        return Ok(0);
    };
    let claimed = sqlx::query_scalar!(
        "INSERT INTO monthly_reports_sent (month, sent_at, managers) VALUES ($1, $2, 0)
         ON CONFLICT (month) DO NOTHING RETURNING month",
        month,
        now
    )
    .fetch_optional(&mut *conn)
    .await?;
    if claimed.is_none() {
        return Ok(0);
    }
    let managers: Vec<_> = staff::with_role_at_least(conn, StaffRole::Manager)
        .await?
        .into_iter()
        .filter(|s| s.role.can_read_reports())
        .collect();
    let figures = report::figures(conn, period, tz, now).await?;
    for m in &managers {
        let lang = chat_language(conn, m.telegram_user_id)
            .await?
            .unwrap_or(Lang::Zh);
        queue(
            conn,
            None,
            m.telegram_user_id,
            Lane::Staff,
            &figures,
            lang,
            tz,
            Some(intro(&period, lang)),
        )
        .await?;
    }
    sqlx::query!(
        "UPDATE monthly_reports_sent SET managers = $2 WHERE month = $1",
        month,
        i32::try_from(managers.len())?
    )
    .execute(&mut *conn)
    .await?;
    tracing::info!(%month, managers = managers.len(), "monthly report queued");
    Ok(managers.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn due_from_the_first_at_nine_for_three_days() {
        let tz = chrono_tz::Asia::Shanghai;
        let at = |d, h| {
            tz.with_ymd_and_hms(2026, 12, d, h, 0, 0)
                .unwrap()
                .with_timezone(&Utc)
        };
        assert_eq!(due(at(1, 8), tz), None);
        assert_eq!(
            due(at(1, 9), tz).and_then(|p| p.code()).as_deref(),
            Some("2026-11")
        );
        assert_eq!(
            due(at(3, 23), tz).and_then(|p| p.code()).as_deref(),
            Some("2026-11")
        );
        assert_eq!(due(at(4, 0), tz), None);
    }
}

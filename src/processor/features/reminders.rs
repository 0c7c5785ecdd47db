//! Arrears reminders: owners opt in or out with `/reminders on|off`; from
//! the configured day and hour of each month, every opted-in registered
//! person with arrears gets one polite reminder in the reminder lane —
//! exactly once per person per month, and never during quiet hours.
//!
//! `run_due` is called by the scheduler's tick (and by tests with a chosen
//! `now`). A month whose reminder time passed while the bot was down is
//! caught up later in that month; a person who opts in after the reminder
//! day is reminded at the next run of that month if they are in arrears.

use anyhow::{Context as _, Result};
use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use sqlx::{Connection, PgConnection};

use crate::domain::fees::{self, Cents};
use crate::domain::office_settings;
use crate::domain::people;
use crate::domain::quiet_hours::QuietHours;
use crate::i18n::Lang;
use crate::outbox::{self, Lane, Outgoing, Request};
use crate::processor::context::{App, Ctx};
use crate::processor::reply::Sender;
use crate::texts::{self, fill};

/// People looked at per transaction.
const BATCH: i64 = 200;

/// `/reminders on|off` (anything else explains the two forms).
pub async fn on_command(ctx: &mut Ctx<'_>, from: &Sender, arg: &str) -> Result<()> {
    let lang = from.lang;
    let Some(person) = people::find_person_by_telegram_id(ctx.conn, from.user_id).await? else {
        return ctx
            .reply(
                from.chat_id,
                Request::text(texts::reminders::REMINDERS_NOT_REGISTERED.get(lang)),
            )
            .await
            .map(drop);
    };
    let wanted = match arg.trim().to_lowercase().as_str() {
        "on" | "开" | "开启" => true,
        "off" | "关" | "关闭" => false,
        "" => {
            let state = if person.fee_reminders {
                texts::reminders::REMINDERS_STATE_ON
            } else {
                texts::reminders::REMINDERS_STATE_OFF
            };
            let text = format!(
                "{}\n{}",
                state.get(lang),
                texts::reminders::REMINDERS_USAGE.get(lang)
            );
            return ctx.reply(from.chat_id, Request::text(text)).await.map(drop);
        }
        _ => {
            return ctx
                .reply(
                    from.chat_id,
                    Request::text(texts::reminders::REMINDERS_USAGE.get(lang)),
                )
                .await
                .map(drop);
        }
    };
    people::set_fee_reminders(ctx.conn, person.id, wanted).await?;
    let text = if wanted {
        let quiet = crate::domain::office_settings::load(ctx.conn)
            .await?
            .quiet_hours
            .label();
        texts::reminders::REMINDERS_ON.fill(lang, &[("quiet", &quiet)])
    } else {
        texts::reminders::REMINDERS_OFF.get(lang).to_string()
    };
    ctx.reply(from.chat_id, Request::text(text)).await?;
    Ok(())
}

/// The month whose reminders are due at `now`, if any: from `day` (clamped
/// to the month's last day) at `at` local time until the month ends.
#[must_use]
pub fn due_period(now: DateTime<Utc>, tz: Tz, day: u32, at: NaiveTime) -> Option<String> {
    let local = now.with_timezone(&tz);
    let last_day = last_day_of_month(local.year(), local.month());
    let day = day.clamp(1, last_day);
    let start = NaiveDate::from_ymd_opt(local.year(), local.month(), day)?.and_time(at);
    (local.naive_local() >= start).then(|| format!("{:04}-{:02}", local.year(), local.month()))
}

fn last_day_of_month(year: i32, month: u32) -> u32 {
    let (y, m) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)
        .and_then(|d| d.pred_opt())
        .map_or(28, |d| d.day())
}

/// When a message queued at `now` may go out: `None` (at once) outside
/// quiet hours, else their end.
#[must_use]
pub fn after_quiet_hours(quiet: &QuietHours, now: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
    let release = quiet.release(now, tz);
    (release != now).then_some(release)
}

/// Queues this month's arrears reminders if they are due at `now`; returns
/// how many were queued. Each is recorded in `fee_reminders_sent` in the
/// transaction that queues it; people are taken `FOR UPDATE SKIP LOCKED`
/// and the record's primary key settles any race, so two processes (or
/// two runs) send each person one reminder a month.
pub async fn run_due(conn: &mut PgConnection, app: &App, now: DateTime<Utc>) -> Result<u64> {
    let tz = app.settings.timezone;
    let office = office_settings::load(conn).await?;
    let Some(period) = due_period(now, tz, office.reminder_day, office.reminder_time) else {
        return Ok(0);
    };
    let today = now.with_timezone(&tz).date_naive();
    let not_before = after_quiet_hours(&office.quiet_hours, now, tz);
    let mut queued = 0u64;
    let mut after_id = 0i64;
    loop {
        let mut tx = conn.begin().await?;
        let candidates = fees::reminder_candidates(&mut tx, after_id, &period, BATCH).await?;
        let Some(last) = candidates.last() else {
            tx.commit().await?;
            break;
        };
        after_id = last.person_id;
        for fees::ReminderCandidate {
            person_id,
            name,
            chat_id,
            language,
        } in candidates
        {
            let units = fees::fees_for_person(&mut tx, person_id).await?;
            let owing: Vec<(String, Cents)> = units
                .iter()
                .map(|u| (u.code.clone(), u.arrears(today)))
                .filter(|(_, a)| a.0 > 0)
                .collect();
            if owing.is_empty() {
                continue;
            }
            let total: Cents = owing.iter().map(|(_, a)| *a).sum();
            if !fees::record_reminder(&mut tx, person_id, &period, now, total).await? {
                continue;
            }
            let lang = language
                .as_deref()
                .and_then(Lang::parse)
                .unwrap_or_default();
            let text = reminder_text(lang, &name, &owing, total, today);
            let mut out = Outgoing::new(chat_id, Lane::Reminder, Request::text(text));
            out.not_before = not_before;
            let outbox_id = outbox::enqueue(&mut tx, None, &out).await?;
            fees::set_reminder_outbox(&mut tx, person_id, &period, outbox_id).await?;
            queued += 1;
        }
        tx.commit().await.context("committing reminders")?;
    }
    if queued > 0 {
        tracing::info!(period, queued, ?not_before, "arrears reminders queued");
    }
    Ok(queued)
}

/// The reminder: the arrears per unit and in total, as of `today`.
#[must_use]
pub fn reminder_text(
    lang: Lang,
    name: &str,
    owing: &[(String, Cents)],
    total: Cents,
    today: NaiveDate,
) -> String {
    let lines: Vec<String> = owing
        .iter()
        .map(|(code, amount)| {
            fill(
                texts::reminders::REMINDER_LINE.get(lang),
                &[("unit", code), ("amount", &amount.yuan())],
            )
        })
        .collect();
    let text = fill(
        texts::reminders::REMINDER.get(lang),
        &[
            ("name", name),
            ("date", &today.format("%Y-%m-%d").to_string()),
            ("lines", &lines.join("\n")),
            ("total", &total.yuan()),
        ],
    );
    // A person with very many units: keep within Telegram's limit.
    text.chars().take(crate::i18n::MAX_TEXT).collect()
}

// ------------------------------------------------------------------ texts

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::office_settings::OfficeSettings;
    use chrono::TimeZone;

    const TZ: Tz = chrono_tz::Asia::Shanghai;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        TZ.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn ten() -> NaiveTime {
        NaiveTime::from_hms_opt(10, 0, 0).unwrap()
    }

    #[test]
    fn reminders_are_due_from_the_day_and_hour_until_the_month_ends() {
        assert_eq!(due_period(at(2026, 11, 5, 9, 59), TZ, 5, ten()), None);
        assert_eq!(
            due_period(at(2026, 11, 5, 10, 0), TZ, 5, ten()).as_deref(),
            Some("2026-11")
        );
        assert_eq!(
            due_period(at(2026, 11, 30, 23, 0), TZ, 5, ten()).as_deref(),
            Some("2026-11")
        );
        assert_eq!(due_period(at(2026, 12, 1, 12, 0), TZ, 5, ten()), None);
        // Day 31 in February means its last day.
        assert_eq!(
            due_period(at(2027, 2, 28, 10, 0), TZ, 31, ten()).as_deref(),
            Some("2027-02")
        );
        // The month is the estate's local month, not UTC's.
        assert_eq!(
            due_period(at(2026, 12, 1, 7, 0), TZ, 1, NaiveTime::MIN).as_deref(),
            Some("2026-12")
        );
    }

    #[test]
    fn quiet_hours_defer_to_the_next_eight_oclock() {
        assert_eq!(
            after_quiet_hours(
                &OfficeSettings::default().quiet_hours,
                at(2026, 11, 5, 10, 0),
                TZ
            ),
            None
        );
        assert_eq!(
            after_quiet_hours(
                &OfficeSettings::default().quiet_hours,
                at(2026, 11, 5, 20, 59),
                TZ
            ),
            None
        );
        assert_eq!(
            after_quiet_hours(
                &OfficeSettings::default().quiet_hours,
                at(2026, 11, 5, 21, 0),
                TZ
            ),
            Some(at(2026, 11, 6, 8, 0))
        );
        assert_eq!(
            after_quiet_hours(
                &OfficeSettings::default().quiet_hours,
                at(2026, 11, 6, 3, 30),
                TZ
            ),
            Some(at(2026, 11, 6, 8, 0))
        );
        assert_eq!(
            after_quiet_hours(
                &OfficeSettings::default().quiet_hours,
                at(2026, 11, 6, 8, 0),
                TZ
            ),
            None
        );
    }

    #[test]
    fn the_reminder_names_each_unit_and_the_total() {
        let owing = vec![
            ("3-2-1101".to_string(), Cents(33115)),
            ("5-1-201".to_string(), Cents(5000)),
        ];
        let today = NaiveDate::from_ymd_opt(2026, 11, 5).unwrap();
        let en = reminder_text(Lang::En, "Li Wei", &owing, Cents(38115), today);
        assert!(en.contains("Dear Li Wei"), "{en}");
        assert!(en.contains("3-2-1101: ¥331.15") && en.contains("5-1-201: ¥50.00"));
        assert!(en.contains("Total: ¥381.15") && en.contains("/reminders off"));
        let zh = reminder_text(Lang::Zh, "李伟", &owing, Cents(38115), today);
        assert!(
            zh.contains("合计：¥381.15") && zh.contains("2026-11-05"),
            "{zh}"
        );
    }
}

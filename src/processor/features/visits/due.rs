//! The timed side of visits and surveys: every `reminders` row that is due
//! is claimed (`FOR UPDATE SKIP LOCKED`), its message queued and the row
//! marked in one transaction — so two processes never send one twice and a
//! restart loses none. The scheduler calls `run_due` every second or so.

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use sqlx::{Connection, PgConnection};
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use super::show::{answer_buttons, describe, lang_of, when};
use crate::domain::surveys;
use crate::domain::tickets::{self, TicketId};
use crate::domain::units;
use crate::domain::visits::{self, DueReminder, ReminderKind, VisitSettings, VisitStatus};
use crate::outbox::{self, Lane, Outgoing, Request};
use crate::processor::context::App;
use crate::telegram::callback::{Callback, MenuItem};
use crate::texts::visits as texts;

/// Rows claimed per transaction.
const BATCH: i64 = 200;

/// What became of a due row.
enum Fired {
    /// Queued as that outbox row.
    Sent(i64),
    /// Not sent, for this reason (answered, too late, visit closed …).
    Skipped(&'static str),
    /// Quiet hours: due again at this time.
    Deferred(DateTime<Utc>),
}

/// Does everything due at `now`, exactly once: starts the quarter's survey
/// campaign if one is configured and due, then sends the due visit
/// reminders, survey invitations and survey reminders. Returns the number
/// of messages queued.
pub async fn run_due(conn: &mut PgConnection, app: &App, now: DateTime<Utc>) -> Result<u64> {
    let settings = visits::settings(conn).await?;
    let tz = app.settings.timezone;
    if let Some(code) = surveys::due_campaign(&settings, now, tz) {
        if !surveys::campaign_started(conn, &code).await? {
            let mut tx = conn.begin().await?;
            let started = surveys::start_campaign(&mut tx, &code, now, tz, &settings).await?;
            tx.commit().await?;
            tracing::info!(survey = %code, invited = started.invited, "survey campaign started on schedule");
        }
    }
    let mut queued = 0;
    loop {
        let mut tx = conn.begin().await?;
        let due_rows = visits::claim_due_reminders(&mut tx, now, BATCH).await?;
        let claimed = due_rows.len();
        for due in due_rows {
            match fire(&mut tx, app, &settings, &due, now).await? {
                Fired::Sent(outbox_id) => {
                    queued += 1;
                    visits::mark_reminder(&mut tx, due.id, now, "sent", Some(outbox_id)).await?;
                }
                Fired::Skipped(why) => {
                    visits::mark_reminder(&mut tx, due.id, now, why, None).await?
                }
                Fired::Deferred(at) => visits::defer_reminder(&mut tx, due.id, at).await?,
            }
        }
        tx.commit().await?;
        if i64::try_from(claimed).unwrap_or(BATCH) < BATCH {
            break;
        }
    }
    Ok(queued)
}

async fn fire(
    conn: &mut PgConnection,
    app: &App,
    settings: &VisitSettings,
    due: &DueReminder,
    now: DateTime<Utc>,
) -> Result<Fired> {
    match due.kind {
        ReminderKind::VisitOwner24h | ReminderKind::VisitOwner1h | ReminderKind::VisitStaff1h => {
            visit_reminder(conn, app, due, now).await
        }
        ReminderKind::SurveyInvite
        | ReminderKind::SurveyReminder1
        | ReminderKind::SurveyReminder2 => survey_message(conn, app, settings, due, now).await,
    }
}

async fn visit_reminder(
    conn: &mut PgConnection,
    app: &App,
    due: &DueReminder,
    now: DateTime<Utc>,
) -> Result<Fired> {
    let visit = match due.visit_id {
        Some(id) => visits::load(conn, id).await?,
        None => None,
    };
    let Some(visit) = visit.filter(|v| v.status.is_active()) else {
        return Ok(Fired::Skipped("visit_closed"));
    };
    if now >= visit.at {
        return Ok(Fired::Skipped("too_late"));
    }
    if let Some(ticket) = visit.ticket_id {
        // A ticket resolved or cancelled meanwhile needs no visit reminder.
        if !tickets::is_active(conn, TicketId(ticket)).await? {
            return Ok(Fired::Skipped("ticket_closed"));
        }
    }
    let lang = lang_of(conn, due.chat_id).await?;
    let tz = app.settings.timezone;
    let phrase = match due.kind {
        ReminderKind::VisitOwner24h => texts::VISIT_OWNER_REMINDER_24H,
        ReminderKind::VisitOwner1h => texts::VISIT_OWNER_REMINDER_1H,
        _ => texts::VISIT_STAFF_REMINDER,
    };
    let (visit_no, what, at) = (
        visit.id.to_string(),
        describe(&visit),
        when(visit.at, tz, lang),
    );
    let mut values = vec![("what", what.as_str()), ("at", at.as_str())];
    // Staff are told the visit's number; owners are not.
    if phrase.placeholders().contains(&"visit") {
        values.push(("visit", &visit_no));
    }
    let text = phrase.fill(lang, &values);
    let to_owner = due.kind != ReminderKind::VisitStaff1h;
    // An owner who has not answered the proposal can still do so here.
    let request = if to_owner && visit.status == VisitStatus::Proposed {
        Request::text_with(text, answer_buttons(&visit, lang))
    } else {
        Request::text(text)
    };
    let out = Outgoing::new(due.chat_id, Lane::Reminder, request);
    Ok(Fired::Sent(outbox::enqueue(conn, None, &out).await?))
}

async fn survey_message(
    conn: &mut PgConnection,
    app: &App,
    settings: &VisitSettings,
    due: &DueReminder,
    now: DateTime<Utc>,
) -> Result<Fired> {
    let (Some(survey_id), Some(unit_id)) = (due.survey_id, due.unit_id) else {
        return Ok(Fired::Skipped("no_subject"));
    };
    let Some((code, open)) = surveys::survey_state(conn, survey_id, now).await? else {
        return Ok(Fired::Skipped("no_survey"));
    };
    if !open {
        return Ok(Fired::Skipped("survey_closed"));
    }
    if surveys::has_answered(conn, survey_id, unit_id).await? {
        return Ok(Fired::Skipped("answered"));
    }
    let tz = app.settings.timezone;
    if settings.in_quiet_hours(now, tz) {
        return Ok(Fired::Deferred(settings.outside_quiet_hours(now, tz)));
    }
    let unit = units::code_of(conn, unit_id)
        .await?
        .context("the survey's unit is gone")?;
    let lang = lang_of(conn, due.chat_id).await?;
    let phrase = if due.kind == ReminderKind::SurveyInvite {
        texts::SURVEY_INVITE
    } else {
        texts::SURVEY_REMINDER
    };
    let text = phrase.fill(lang, &[("code", &code), ("unit", &unit)]);
    let button = InlineKeyboardMarkup::new([[InlineKeyboardButton::callback(
        texts::BUTTON_TAKE_SURVEY.get(lang),
        Callback::Menu(MenuItem::Survey).encode(),
    )]]);
    let out = Outgoing::new(
        due.chat_id,
        Lane::Broadcast,
        Request::text_with(text, button),
    );
    Ok(Fired::Sent(outbox::enqueue(conn, None, &out).await?))
}

//! Staff commands that change a ticket: each reads its arguments, asks the
//! domain for the transition (which checks it and records it) and applies
//! what came of it (`outcome::at_desk`).

use anyhow::Result;
use chrono::{NaiveDateTime, TimeZone};

use super::desk::{split_first, ticket_arg, ticket_number, Desk};
use super::outcome::at_desk;
use super::{card, transfer};
use crate::domain::departments::Department;
use crate::domain::office_settings;
use crate::domain::staff;
use crate::domain::tickets::transition::{Booking, Transition};
use crate::domain::tickets::{self, TicketId};
use crate::processor::context::Ctx;
use crate::texts;

/// `/claim N`, `/next` and the Claim button's command twin.
pub async fn claim(ctx: &mut Ctx<'_>, desk: &Desk, id: TicketId) -> Result<()> {
    at_desk(ctx, desk, id, Transition::Claim).await.map(drop)
}

/// `/release N`: back to the queue (the holder or a supervisor).
pub async fn release(ctx: &mut Ctx<'_>, desk: &Desk, arg: &str) -> Result<()> {
    let Some(id) = ticket_number(ctx, desk, arg).await? else {
        return Ok(());
    };
    at_desk(ctx, desk, id, Transition::Release).await.map(drop)
}

/// `/assign N @staff` (supervisors) and `/transfer N @staff` (the holder or
/// a supervisor: the domain checks which); either with a department instead
/// of a person moves the ticket to that department.
pub async fn assign(ctx: &mut Ctx<'_>, desk: &Desk, arg: &str) -> Result<()> {
    let (_, who) = split_first(arg);
    let Some(id) = ticket_number(ctx, desk, arg).await? else {
        return Ok(());
    };
    if who.is_empty() {
        return desk.say_phrase(ctx, texts::NEED_STAFF_REF, &[]).await;
    }
    let Some(target) = staff::find(ctx.conn, who).await? else {
        if let Some(department) = Department::from_user(who) {
            let Some(t) = tickets::load(ctx.conn, id).await? else {
                return Ok(());
            };
            return transfer::to_department(ctx, desk, &t, department).await;
        }
        let names: Vec<&str> = Department::ALL.iter().map(|d| d.label(desk.lang)).collect();
        let text = texts::departments::NO_SUCH_TARGET.fill(
            desk.lang,
            &[("who", who), ("departments", &names.join(" / "))],
        );
        return desk.say(ctx, text).await;
    };
    let to = target.telegram_user_id;
    at_desk(ctx, desk, id, Transition::Assign { to })
        .await
        .map(drop)
}

/// `/resolve N [note]`, with a photo of the finished work as its caption.
pub async fn resolve(
    ctx: &mut Ctx<'_>,
    desk: &Desk,
    arg: &str,
    photo: Option<String>,
) -> Result<()> {
    let (_, note) = split_first(arg);
    let Some(id) = ticket_number(ctx, desk, arg).await? else {
        return Ok(());
    };
    let note = (!note.is_empty()).then(|| note.to_string());
    at_desk(ctx, desk, id, Transition::Resolve { note, photo })
        .await
        .map(drop)
}

/// `/reopen N` (supervisors), with a fresh resolve-by deadline.
pub async fn reopen(ctx: &mut Ctx<'_>, desk: &Desk, arg: &str) -> Result<()> {
    let Some(t) = ticket_arg(ctx, desk, arg).await? else {
        return Ok(());
    };
    let deadline = office_settings::load(ctx.conn)
        .await?
        .deadline(t.kind, t.priority);
    at_desk(ctx, desk, t.id, Transition::Reopen { deadline })
        .await
        .map(drop)
}

/// `/schedule N YYYY-MM-DD HH:MM` (local time): books the visit.
pub async fn schedule(ctx: &mut Ctx<'_>, desk: &Desk, arg: &str) -> Result<()> {
    let (_, when) = split_first(arg);
    let Some(id) = ticket_number(ctx, desk, arg).await? else {
        return Ok(());
    };
    let tz = ctx.app.settings.timezone;
    let Some(at) = NaiveDateTime::parse_from_str(when.trim(), "%Y-%m-%d %H:%M")
        .ok()
        .and_then(|n| tz.from_local_datetime(&n).single())
        .map(|d| d.with_timezone(&chrono::Utc))
    else {
        return desk.say_phrase(ctx, texts::NEED_SCHEDULE_TIME, &[]).await;
    };
    let booking = Transition::Schedule {
        at,
        shown: card::local(at, tz),
        booking: Booking::Command,
    };
    at_desk(ctx, desk, id, booking).await.map(drop)
}

/// `/note N text`: an internal note in the ticket's history.
pub async fn note(ctx: &mut Ctx<'_>, desk: &Desk, arg: &str) -> Result<()> {
    let (_, text) = split_first(arg);
    let Some(id) = ticket_number(ctx, desk, arg).await? else {
        return Ok(());
    };
    if text.is_empty() {
        return desk.say_phrase(ctx, texts::NEED_NOTE_TEXT, &[]).await;
    }
    let note = Transition::Note {
        text: text.to_string(),
    };
    at_desk(ctx, desk, id, note).await.map(drop)
}

//! Booking a visit: staff pick a slot or a time (`/visit`), the owner
//! confirms, asks for another time or moves it, and the staff member who
//! booked it is told.

use anyhow::Result;
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use teloxide::types::{CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup};

use super::desk::split_first;
use super::show::{answer_buttons, describe, lang_of, when};
use crate::domain::tickets::transition::{self, Booking, Move, Refusal, Transition};
use crate::domain::tickets::{self, Ticket, TicketId, TicketStatus};
use crate::domain::units;
use crate::domain::visits::{self, NewVisit, TimeRefusal, Visit, VisitStatus};
use crate::i18n::Lang;
use crate::outbox::{Lane, Outgoing, Request};
use crate::processor::context::Ctx;
use crate::processor::features::staff::desk::unit_arg;
use crate::processor::features::staff::{card, outcome, Actor, Desk};
use crate::processor::reply::{answer, remove_buttons, Sender};
use crate::telegram::callback::{Callback, SlotFor};
use crate::texts::{self as common, fill, visits as texts, Phrase};

/// What a visit is for, before it is booked.
pub(super) enum Subject {
    Ticket(Box<Ticket>),
    Unit { id: i64, code: String },
}

impl Subject {
    fn describe(&self) -> String {
        match self {
            Subject::Ticket(t) => match &t.unit_code {
                Some(u) => format!("{} · {u}", t.id),
                None => t.id.to_string(),
            },
            Subject::Unit { code, .. } => code.clone(),
        }
    }

    /// How it travels in a slot button.
    fn slot_for(&self) -> SlotFor {
        match self {
            Subject::Ticket(t) => SlotFor::Ticket(t.id),
            Subject::Unit { id, .. } => SlotFor::Unit(*id),
        }
    }
}

pub(super) async fn load_subject(ctx: &mut Ctx<'_>, subject: SlotFor) -> Result<Option<Subject>> {
    let id = match subject {
        SlotFor::Ticket(id) => {
            return Ok(tickets::load(ctx.conn, id)
                .await?
                .map(|t| Subject::Ticket(Box::new(t))));
        }
        SlotFor::Unit(id) => id,
    };
    let unit = units::code_of(ctx.conn, id).await?;
    Ok(unit.map(|code| Subject::Unit { id, code }))
}

/// Whether the desk may book a visit for the subject; says why not.
pub(super) async fn may_book(ctx: &mut Ctx<'_>, desk: &Desk, subject: &Subject) -> Result<bool> {
    let Subject::Ticket(t) = subject else {
        return Ok(true);
    };
    if !t.status.is_active() {
        desk.say_phrase(
            ctx,
            texts::VISIT_TICKET_CLOSED,
            &[
                ("id", &t.id.to_string()),
                ("status", t.status.label(desk.lang)),
            ],
        )
        .await?;
        return Ok(false);
    }
    let held_by_other = t.assignee.is_some_and(|a| a != desk.staff.telegram_user_id);
    if held_by_other && !desk.staff.role.can_assign() {
        let refusal = Refusal::NotHolder {
            status: t.status,
            assignee: t.assignee,
        };
        let text = outcome::refusal_text(ctx, desk.lang, t.id, Move::Schedule, refusal).await?;
        desk.say(ctx, text).await?;
        return Ok(false);
    }
    Ok(true)
}

/// `/visit N`, `/visit N 2026-12-01 10:00`, `/visit unit 3-2-1101 [time]`.
pub(super) async fn visit_command(ctx: &mut Ctx<'_>, desk: &Desk, args: &str) -> Result<()> {
    let (first, rest) = split_first(args);
    let (subject, arg, when_text) = if first.eq_ignore_ascii_case("unit") || first == "房号" {
        let (code, rest) = split_first(rest);
        if code.is_empty() {
            return desk.say_phrase(ctx, texts::VISIT_USAGE, &[]).await;
        }
        let Some(unit) = unit_arg(ctx, desk.chat_id, desk.lang, code).await? else {
            return Ok(());
        };
        (
            Subject::Unit {
                id: unit.id,
                code: unit.code.clone(),
            },
            format!("unit {}", unit.code),
            rest,
        )
    } else if let Some(id) = TicketId::parse(first) {
        let Some(t) = tickets::load(ctx.conn, id).await? else {
            return desk
                .say_phrase(ctx, common::NO_SUCH_TICKET, &[("id", &id.to_string())])
                .await;
        };
        (Subject::Ticket(Box::new(t)), id.0.to_string(), rest)
    } else {
        return desk.say_phrase(ctx, texts::VISIT_USAGE, &[]).await;
    };
    if !may_book(ctx, desk, &subject).await? {
        return Ok(());
    }
    let tz = ctx.app.settings.timezone;
    if when_text.is_empty() {
        let settings = visits::settings(ctx.conn).await?;
        let slots = settings.slots(ctx.now, tz);
        if slots.is_empty() {
            return desk
                .say_phrase(ctx, texts::VISIT_NO_SLOTS, &[("arg", &arg)])
                .await;
        }
        let slot_for = subject.slot_for();
        let data = |at| Callback::VisitSlot {
            subject: slot_for,
            at,
        };
        let markup = slot_keyboard(&slots, tz, desk.lang, data);
        let text = fill(
            texts::VISIT_PICK_SLOT.get(desk.lang),
            &[("what", &subject.describe())],
        );
        ctx.reply(desk.chat_id, Request::text_with(text, markup))
            .await?;
        return Ok(());
    }
    let Some(at) = NaiveDateTime::parse_from_str(when_text, "%Y-%m-%d %H:%M")
        .ok()
        .and_then(|n| tz.from_local_datetime(&n).earliest())
        .map(|d| d.with_timezone(&Utc))
    else {
        return desk
            .say_phrase(ctx, texts::VISIT_BAD_TIME, &[("when", when_text)])
            .await;
    };
    book(ctx, desk, subject, at).await
}

/// Two slots a row: `Mon 07 Dec 09:00`.
fn slot_keyboard(
    slots: &[DateTime<Utc>],
    tz: Tz,
    lang: Lang,
    data: impl Fn(DateTime<Utc>) -> Callback,
) -> InlineKeyboardMarkup {
    let buttons: Vec<InlineKeyboardButton> = slots
        .iter()
        .map(|at| InlineKeyboardButton::callback(when(*at, tz, lang), data(*at).encode()))
        .collect();
    InlineKeyboardMarkup::new(buttons.chunks(2).map(<[_]>::to_vec))
}

/// Says why `at` cannot be booked; true if it can.
async fn time_ok(ctx: &mut Ctx<'_>, chat: i64, lang: Lang, at: DateTime<Utc>) -> Result<bool> {
    let settings = visits::settings(ctx.conn).await?;
    let tz = ctx.app.settings.timezone;
    let shown = when(at, tz, lang);
    let text = match settings.check_time(at, ctx.now, tz) {
        Ok(()) => return Ok(true),
        Err(TimeRefusal::Past) => fill(texts::VISIT_PAST.get(lang), &[("at", &shown)]),
        Err(TimeRefusal::OutsideOfficeHours) => fill(
            texts::VISIT_OUTSIDE_HOURS.get(lang),
            &[
                ("at", &shown),
                ("open", &settings.office_open.format("%H:%M").to_string()),
                ("close", &settings.office_close.format("%H:%M").to_string()),
            ],
        ),
    };
    crate::processor::features::staff::say(ctx, chat, text).await?;
    Ok(false)
}

/// Does `t` to ticket `id` for the desk (claiming it, booking its visit)
/// and applies it; says why not and returns false when it is refused.
async fn take(ctx: &mut Ctx<'_>, desk: &Desk, id: TicketId, t: Transition) -> Result<bool> {
    let m = t.kind();
    match transition::perform(ctx.conn, id, t, desk.actor(), ctx.now).await? {
        Ok(done) => {
            outcome::apply(ctx, &done).await?;
            Ok(true)
        }
        Err(refusal) => {
            let text = outcome::refusal_text(ctx, desk.lang, id, m, refusal).await?;
            desk.say(ctx, text).await?;
            Ok(false)
        }
    }
}

/// Books (or moves) the visit at `at` and asks the owner to confirm.
pub(super) async fn book(
    ctx: &mut Ctx<'_>,
    desk: &Desk,
    subject: Subject,
    at: DateTime<Utc>,
) -> Result<()> {
    if !time_ok(ctx, desk.chat_id, desk.lang, at).await? {
        return Ok(());
    }
    let tz = ctx.app.settings.timezone;
    let me = desk.staff.telegram_user_id;
    let (ticket, unit_id, existing) = match &subject {
        Subject::Ticket(t) => {
            if t.status == TicketStatus::Open {
                // Booking a visit takes the ticket.
                if !take(ctx, desk, t.id, Transition::Claim).await? {
                    return Ok(());
                }
            }
            let existing = visits::active_for_ticket(ctx.conn, t.id.0).await?;
            let schedule = Transition::Schedule {
                at,
                shown: card::local(at, tz),
                booking: Booking::VisitProposed {
                    visit: existing.as_ref().map(|v| v.id),
                },
            };
            if !take(ctx, desk, t.id, schedule).await? {
                return Ok(());
            }
            (Some(t.id), t.unit_id, existing)
        }
        Subject::Unit { id, .. } => (None, Some(*id), None),
    };
    let owner = match &subject {
        Subject::Ticket(t) if t.owner_chat_id.is_some() => t.owner_chat_id,
        _ => match unit_id {
            Some(u) => visits::unit_contact(ctx.conn, u)
                .await?
                .map(|(_, chat)| chat),
            None => None,
        },
    };
    let status = if owner.is_some() {
        VisitStatus::Proposed
    } else {
        VisitStatus::Confirmed
    };
    let visit_id = match existing {
        Some(v) => {
            visits::move_to(ctx.conn, v.id, at, status, ctx.now).await?;
            v.id
        }
        None => {
            let new = NewVisit {
                ticket_id: ticket.map(|t| t.0),
                unit_id,
                staff_id: me,
                staff_chat_id: desk.chat_id,
                owner_chat_id: owner,
                at,
                status,
            };
            visits::insert(ctx.conn, &new, ctx.now).await?.id
        }
    };
    let Some(visit) = visits::load(ctx.conn, visit_id).await? else {
        return Ok(());
    };
    let vars = [
        ("visit", visit.id.to_string()),
        ("what", describe(&visit)),
        ("at", when(at, tz, desk.lang)),
    ];
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    match owner {
        Some(chat) => {
            propose_to_owner(ctx, &visit, chat).await?;
            desk.say_phrase(ctx, texts::VISIT_PROPOSED_STAFF, &vars)
                .await
        }
        None => {
            desk.say_phrase(ctx, texts::VISIT_BOOKED_NO_OWNER, &vars)
                .await
        }
    }
}

/// The proposal to the owner with Confirm / Another time.
async fn propose_to_owner(ctx: &mut Ctx<'_>, visit: &Visit, chat: i64) -> Result<()> {
    let lang = lang_of(ctx.conn, chat).await?;
    let tz = ctx.app.settings.timezone;
    let unit = visit.unit_code.clone().unwrap_or_default();
    let text = match visit.ticket_id {
        Some(t) => fill(
            texts::VISIT_PROPOSED_OWNER_TICKET.get(lang),
            &[
                ("at", &when(visit.at, tz, lang)),
                ("id", &format!("#{t}")),
                ("unit", &unit),
            ],
        ),
        None => fill(
            texts::VISIT_PROPOSED_OWNER_UNIT.get(lang),
            &[("at", &when(visit.at, tz, lang)), ("unit", &unit)],
        ),
    };
    ctx.reply(chat, Request::text_with(text, answer_buttons(visit, lang)))
        .await?;
    Ok(())
}

/// Tells the staff member who booked `visit` (in the chat they booked it in).
async fn tell_staff(
    ctx: &mut Ctx<'_>,
    visit: &Visit,
    phrase: Phrase,
    at: DateTime<Utc>,
) -> Result<()> {
    let chat = visit.staff_chat_id;
    let lang = lang_of(ctx.conn, chat).await?;
    let text = phrase.fill(
        lang,
        &[
            ("visit", &visit.id.to_string()),
            ("what", &describe(visit)),
            ("at", &when(at, ctx.app.settings.timezone, lang)),
        ],
    );
    ctx.send(Outgoing::new(chat, Lane::Staff, Request::text(text)))
        .await?;
    Ok(())
}

pub(super) async fn owner_button(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    q: &CallbackQuery,
    button: &Callback,
    visit_id: i64,
    at: DateTime<Utc>,
) -> Result<()> {
    let lang = from.lang;
    let tz = ctx.app.settings.timezone;
    let visit = visits::load(ctx.conn, visit_id).await?;
    let Some(visit) = visit.filter(|v| v.owner_chat_id == Some(from.chat_id)) else {
        return answer(ctx, q, Some(common::BUTTON_EXPIRED.get(lang))).await;
    };
    if !visit.status.is_active() {
        remove_buttons(ctx, q).await?;
        return answer(ctx, q, Some(texts::VISIT_GONE.get(lang))).await;
    }
    match button {
        Callback::VisitConfirm { .. } => {
            if at != visit.at {
                return answer(ctx, q, Some(common::BUTTON_EXPIRED.get(lang))).await;
            }
            let shown = when(visit.at, tz, lang);
            if visit.status == VisitStatus::Confirmed {
                let text = fill(texts::VISIT_ALREADY_CONFIRMED.get(lang), &[("at", &shown)]);
                return answer(ctx, q, Some(&text)).await;
            }
            visits::set_status(
                ctx.conn,
                visit.id,
                &[VisitStatus::Proposed, VisitStatus::Reschedule],
                VisitStatus::Confirmed,
                ctx.now,
            )
            .await?;
            answer(ctx, q, None).await?;
            remove_buttons(ctx, q).await?;
            let text = fill(texts::VISIT_CONFIRMED_OWNER.get(lang), &[("at", &shown)]);
            ctx.reply(from.chat_id, Request::text(text)).await?;
            if let Some(t) = visit.ticket_id {
                tickets::add_event(
                    ctx.conn,
                    TicketId(t),
                    ctx.now,
                    Actor::Owner(Some(from.chat_id)),
                    "visit_confirmed",
                    None,
                    false,
                    serde_json::json!({ "visit": visit.id }),
                )
                .await?;
            }
            tell_staff(ctx, &visit, texts::VISIT_CONFIRMED_STAFF, visit.at).await
        }
        Callback::VisitReschedule { .. } => {
            if at != visit.at {
                return answer(ctx, q, Some(common::BUTTON_EXPIRED.get(lang))).await;
            }
            visits::set_status(
                ctx.conn,
                visit.id,
                &[
                    VisitStatus::Proposed,
                    VisitStatus::Confirmed,
                    VisitStatus::Reschedule,
                ],
                VisitStatus::Reschedule,
                ctx.now,
            )
            .await?;
            answer(ctx, q, None).await?;
            remove_buttons(ctx, q).await?;
            let settings = visits::settings(ctx.conn).await?;
            let slots: Vec<DateTime<Utc>> = settings
                .slots(ctx.now, tz)
                .into_iter()
                .filter(|s| *s != visit.at)
                .collect();
            let text = fill(
                texts::VISIT_PICK_OTHER_OWNER.get(lang),
                &[("phone", &ctx.app.settings.duty_phone)],
            );
            let id = visit.id;
            let data = |at| Callback::VisitMove { visit: id, at };
            let request = if slots.is_empty() {
                Request::text(text)
            } else {
                Request::text_with(text, slot_keyboard(&slots, tz, lang, data))
            };
            ctx.reply(from.chat_id, request).await?;
            tell_staff(ctx, &visit, texts::VISIT_WANTS_OTHER_STAFF, visit.at).await
        }
        _ => {
            let settings = visits::settings(ctx.conn).await?;
            if settings.check_time(at, ctx.now, tz).is_err() {
                return answer(ctx, q, Some(texts::VISIT_SLOT_GONE.get(lang))).await;
            }
            visits::move_to(ctx.conn, visit.id, at, VisitStatus::Confirmed, ctx.now).await?;
            answer(ctx, q, None).await?;
            remove_buttons(ctx, q).await?;
            if let Some(t) = visit.ticket_id {
                let t = TicketId(t);
                let moved = Transition::Schedule {
                    at,
                    shown: card::local(at, tz),
                    booking: Booking::VisitMoved { visit: visit.id },
                };
                let owner = Actor::Owner(Some(from.chat_id));
                match transition::perform(ctx.conn, t, moved, owner, ctx.now).await? {
                    Ok(done) => outcome::apply(ctx, &done).await?,
                    // The ticket was finished meanwhile: the visit moves all the same.
                    Err(refusal) => tracing::info!(
                        ticket = t.0,
                        ?refusal,
                        "visit moved on a ticket that is not scheduled"
                    ),
                }
            }
            let text = fill(
                texts::VISIT_MOVED_OWNER.get(lang),
                &[("at", &when(at, tz, lang))],
            );
            ctx.reply(from.chat_id, Request::text(text)).await?;
            tell_staff(ctx, &visit, texts::VISIT_MOVED_BY_OWNER_STAFF, at).await
        }
    }
}

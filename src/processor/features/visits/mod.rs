//! Visits and survey campaigns in the chat: staff book a visit (`/visit`),
//! the owner confirms or picks another time (`v:` buttons), staff record
//! the outcome (`/outcome`), managers open a survey campaign (`/survey`).
//! The timed side — reminders and invitations — is `run_due`.

mod due;
mod show;

use anyhow::Result;
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use teloxide::types::{CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message};

pub use due::run_due;
pub use show::{answer_buttons, describe, lang_of, when};

use super::staff::desk::{refuse, Desk};
use super::staff::{card, file_ticket_as, outcome, Actor};
use crate::domain::staff::{self, StaffRole};
use crate::domain::surveys::{self, SurveyCode};
use crate::domain::tickets::transition::{self, Booking, Move, Refusal, Transition};
use crate::domain::tickets::{self, NewTicket, Ticket, TicketId, TicketKind, TicketStatus};
use crate::domain::visits::{self, NewVisit, Outcome, TimeRefusal, Visit, VisitStatus};
use crate::i18n::Lang;
use crate::outbox::{Lane, Outgoing, Request};
use crate::processor::context::Ctx;
use crate::processor::conversation::{self, Key, Waiting};
use crate::processor::reply::{answer, remove_buttons, Sender};
use crate::telegram::callback::{Callback, SlotFor};
use crate::texts::{self as common, fill, visits as texts, Phrase};

/// Minutes since the epoch: how a time travels in callback data.
/// `("visit", "12 2026-12-01 10:00")` from `/visit@bot 12 2026-12-01 10:00`;
/// None for a command addressed to another bot.
fn command<'a>(text: &'a str, bot: &str) -> Option<(String, &'a str)> {
    let rest = text.strip_prefix('/')?;
    let (head, args) = match rest.split_once(char::is_whitespace) {
        Some((h, a)) => (h, a.trim()),
        None => (rest, ""),
    };
    let (name, to) = match head.split_once('@') {
        Some((n, to)) => (n, Some(to)),
        None => (head, None),
    };
    if to.is_some_and(|to| !to.eq_ignore_ascii_case(bot)) {
        return None;
    }
    Some((name.to_ascii_lowercase(), args))
}

fn split_first(s: &str) -> (&str, &str) {
    let s = s.trim();
    match s.split_once(char::is_whitespace) {
        Some((a, b)) => (a, b.trim()),
        None => (s, ""),
    }
}

async fn desk_for(ctx: &mut Ctx<'_>, from: &Sender, member: staff::Staff) -> Result<Desk> {
    let lang = if from.private {
        from.lang
    } else {
        card::staff_language(ctx, from.chat_id).await?
    };
    Ok(Desk {
        staff: member,
        chat_id: from.chat_id,
        private: from.private,
        lang,
    })
}

/// The staff member behind `from` with at least `needed`, or a polite
/// refusal (and None).
async fn staff_desk(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    needed: StaffRole,
    what: &str,
) -> Result<Option<Desk>> {
    let member = staff::by_telegram_id(ctx.conn, from.user_id).await?;
    match member {
        Some(m) if m.role >= needed => Ok(Some(desk_for(ctx, from, m).await?)),
        other => {
            refuse(
                ctx,
                from.chat_id,
                from.lang,
                from.user_id,
                other.as_ref(),
                what,
                needed,
            )
            .await?;
            Ok(None)
        }
    }
}

/// A message: `/visit`, `/outcome` or `/survey`. True if handled here.
pub async fn on_message(ctx: &mut Ctx<'_>, from: &Sender, msg: &Message) -> Result<bool> {
    let Some(text) = msg.text() else {
        return Ok(false);
    };
    let parsed = command(text, &ctx.app.settings.bot_username);
    match parsed.as_ref().map(|(n, a)| (n.as_str(), *a)) {
        Some(("visit", args)) => {
            if let Some(desk) = staff_desk(ctx, from, StaffRole::Butler, "visit").await? {
                visit_command(ctx, &desk, args).await?;
            }
            Ok(true)
        }
        Some(("outcome", args)) => {
            if let Some(desk) = staff_desk(ctx, from, StaffRole::Butler, "outcome").await? {
                outcome_command(ctx, &desk, args).await?;
            }
            Ok(true)
        }
        Some(("survey", args)) => {
            // An owner typing /survey wants to answer it.
            if from.private
                && args.is_empty()
                && staff::by_telegram_id(ctx.conn, from.user_id)
                    .await?
                    .is_none()
            {
                super::dialogue::start_dialogue(ctx, from, "survey").await?;
                return Ok(true);
            }
            if let Some(desk) = staff_desk(ctx, from, StaffRole::Manager, "survey").await? {
                survey_command(ctx, &desk, args).await?;
            }
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// A message from the staff member asked for the note of `visit_id`'s
/// `outcome`, in the chat where they were asked (another person's message
/// there is never theirs): the note, `/skip` for none, `/cancel` to leave
/// it. Other commands and non-text pass (the question waits).
pub async fn on_waiting(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    msg: &Message,
    visit_id: i64,
    outcome: Outcome,
) -> Result<bool> {
    let Some(text) = msg.text() else {
        return Ok(false);
    };
    let key = Key {
        chat_id: from.chat_id,
        user_id: from.user_id,
    };
    let word = conversation::command_word(text, &ctx.app.settings.bot_username);
    let note = match word.as_deref() {
        None => text.trim(),
        Some("skip") => "",
        Some("cancel") => {
            conversation::clear(ctx.conn, key).await?;
            let lang = desk_lang(ctx, from).await?;
            let text = fill(
                common::VISIT_NOTE_CANCELLED.get(lang),
                &[("visit", &visit_id.to_string())],
            );
            ctx.reply(from.chat_id, Request::text(text)).await?;
            return Ok(true);
        }
        Some(_) => return Ok(false),
    };
    conversation::clear(ctx.conn, key).await?;
    let Some(member) = staff::by_telegram_id(ctx.conn, from.user_id).await? else {
        return Ok(false);
    };
    let desk = desk_for(ctx, from, member).await?;
    let Some(visit) = visits::load(ctx.conn, visit_id).await? else {
        return Ok(true);
    };
    record(ctx, &desk, &visit, outcome, note).await?;
    Ok(true)
}

async fn desk_lang(ctx: &mut Ctx<'_>, from: &Sender) -> Result<Lang> {
    if from.private {
        Ok(from.lang)
    } else {
        card::staff_language(ctx, from.chat_id).await
    }
}

/// What a visit is for, before it is booked.
enum Subject {
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

async fn load_subject(ctx: &mut Ctx<'_>, subject: SlotFor) -> Result<Option<Subject>> {
    let id = match subject {
        SlotFor::Ticket(id) => {
            return Ok(tickets::load(ctx.conn, id)
                .await?
                .map(|t| Subject::Ticket(Box::new(t))));
        }
        SlotFor::Unit(id) => id,
    };
    let unit: Option<String> = sqlx::query_scalar("SELECT code FROM units WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *ctx.conn)
        .await?;
    Ok(unit.map(|code| Subject::Unit { id, code }))
}

/// Whether the desk may book a visit for the subject; says why not.
async fn may_book(ctx: &mut Ctx<'_>, desk: &Desk, subject: &Subject) -> Result<bool> {
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
async fn visit_command(ctx: &mut Ctx<'_>, desk: &Desk, args: &str) -> Result<()> {
    let (first, rest) = split_first(args);
    let (subject, arg, when_text) = if first.eq_ignore_ascii_case("unit") || first == "房号" {
        let (code, rest) = split_first(rest);
        if code.is_empty() {
            return desk.say_phrase(ctx, texts::VISIT_USAGE, &[]).await;
        }
        let Some(id) = visits::unit_by_code(ctx.conn, code).await? else {
            return desk
                .say_phrase(ctx, common::NO_SUCH_UNIT, &[("unit", code)])
                .await;
        };
        (
            Subject::Unit {
                id,
                code: code.to_string(),
            },
            format!("unit {code}"),
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
    super::staff::say(ctx, chat, text).await?;
    Ok(false)
}

/// Books (or moves) the visit at `at` and asks the owner to confirm.
async fn book(ctx: &mut Ctx<'_>, desk: &Desk, subject: Subject, at: DateTime<Utc>) -> Result<()> {
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

/// A visit button. Staff: slot picked, outcome. Owner: confirm, ask for
/// another time, move to a picked slot.
pub async fn on_button(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    q: &CallbackQuery,
    button: Callback,
) -> Result<()> {
    match button {
        Callback::VisitSlot { subject, at } => {
            let Some(desk) = staff_desk(ctx, from, StaffRole::Butler, "visit slot").await? else {
                return answer(ctx, q, None).await;
            };
            answer(ctx, q, None).await?;
            let Some(subject) = load_subject(ctx, subject).await? else {
                return desk.say_phrase(ctx, common::BUTTON_EXPIRED, &[]).await;
            };
            if !may_book(ctx, &desk, &subject).await? {
                return Ok(());
            }
            book(ctx, &desk, subject, at).await
        }
        Callback::VisitOutcome { visit, outcome } => {
            let Some(desk) = staff_desk(ctx, from, StaffRole::Butler, "visit outcome").await?
            else {
                return answer(ctx, q, None).await;
            };
            answer(ctx, q, None).await?;
            let Some(visit) = visits::load(ctx.conn, visit).await? else {
                return desk.say_phrase(ctx, common::BUTTON_EXPIRED, &[]).await;
            };
            if !may_record(ctx, &desk, &visit).await? {
                return Ok(());
            }
            ask_note(ctx, &desk, &visit, outcome).await
        }
        Callback::VisitConfirm { visit, at }
        | Callback::VisitReschedule { visit, at }
        | Callback::VisitMove { visit, at } => owner_button(ctx, from, q, &button, visit, at).await,
        _ => answer(ctx, q, Some(common::BUTTON_EXPIRED.get(from.lang))).await,
    }
}

fn outcome_data(visit: i64, outcome: Outcome) -> String {
    Callback::VisitOutcome { visit, outcome }.encode()
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
    let text = fill(
        phrase.get(lang),
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

async fn owner_button(
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

/// `/outcome N` or `/outcome V5`, optionally `done|absent|followup [note]`.
async fn outcome_command(ctx: &mut Ctx<'_>, desk: &Desk, args: &str) -> Result<()> {
    let (which, rest) = split_first(args);
    if which.is_empty() {
        return desk.say_phrase(ctx, texts::OUTCOME_USAGE, &[]).await;
    }
    let visit = if let Some(v) = which.strip_prefix(['V', 'v']) {
        match v.parse::<i64>() {
            Ok(id) => visits::load(ctx.conn, id).await?,
            Err(_) => return desk.say_phrase(ctx, texts::OUTCOME_USAGE, &[]).await,
        }
    } else if let Some(t) = TicketId::parse(which) {
        match visits::awaiting_outcome_for_ticket(ctx.conn, t.0).await? {
            Some(v) => Some(v),
            None => {
                return desk
                    .say_phrase(ctx, texts::OUTCOME_NONE, &[("what", &t.to_string())])
                    .await;
            }
        }
    } else {
        return desk.say_phrase(ctx, texts::OUTCOME_USAGE, &[]).await;
    };
    let Some(visit) = visit else {
        return desk
            .say_phrase(ctx, texts::NO_SUCH_VISIT, &[("what", which)])
            .await;
    };
    if !may_record(ctx, desk, &visit).await? {
        return Ok(());
    }
    let (word, note) = split_first(rest);
    match Outcome::parse(word) {
        Some(outcome) if !word.is_empty() => {
            if outcome == Outcome::FollowUp && note.is_empty() {
                return ask_note(ctx, desk, &visit, outcome).await;
            }
            record(ctx, desk, &visit, outcome, note).await
        }
        _ if !word.is_empty() => desk.say_phrase(ctx, texts::OUTCOME_USAGE, &[]).await,
        _ => {
            let lang = desk.lang;
            let id = visit.id;
            let markup = InlineKeyboardMarkup::new([
                vec![
                    InlineKeyboardButton::callback(
                        texts::BUTTON_OUTCOME_DONE.get(lang),
                        outcome_data(id, Outcome::Done),
                    ),
                    InlineKeyboardButton::callback(
                        texts::BUTTON_OUTCOME_ABSENT.get(lang),
                        outcome_data(id, Outcome::OwnerAbsent),
                    ),
                ],
                vec![InlineKeyboardButton::callback(
                    texts::BUTTON_OUTCOME_FOLLOW_UP.get(lang),
                    outcome_data(id, Outcome::FollowUp),
                )],
            ]);
            let text = fill(
                texts::OUTCOME_PICK.get(lang),
                &[
                    ("visit", &id.to_string()),
                    ("what", &describe(&visit)),
                    ("at", &when(visit.at, ctx.app.settings.timezone, lang)),
                ],
            );
            ctx.reply(desk.chat_id, Request::text_with(text, markup))
                .await?;
            Ok(())
        }
    }
}

/// The visit's own staff member or a supervisor may record its outcome,
/// once.
async fn may_record(ctx: &mut Ctx<'_>, desk: &Desk, visit: &Visit) -> Result<bool> {
    let id = visit.id.to_string();
    if visit.outcome.is_some() || visit.status == VisitStatus::Cancelled {
        desk.say_phrase(ctx, texts::OUTCOME_ALREADY, &[("visit", &id)])
            .await?;
        return Ok(false);
    }
    if visit.staff_id != desk.staff.telegram_user_id && !desk.staff.role.can_assign() {
        let who = staff::by_telegram_id(ctx.conn, visit.staff_id)
            .await?
            .map_or_else(|| visit.staff_id.to_string(), |s| s.display(desk.lang));
        desk.say_phrase(
            ctx,
            texts::OUTCOME_NOT_YOURS,
            &[("visit", &id), ("who", &who)],
        )
        .await?;
        return Ok(false);
    }
    Ok(true)
}

async fn ask_note(ctx: &mut Ctx<'_>, desk: &Desk, visit: &Visit, outcome: Outcome) -> Result<()> {
    let key = Key {
        chat_id: desk.chat_id,
        user_id: desk.staff.telegram_user_id,
    };
    let waiting = Waiting::VisitNote {
        visit: visit.id,
        outcome,
    };
    conversation::wait_for(ctx, key, &waiting).await?;
    let phrase = if outcome == Outcome::FollowUp {
        texts::OUTCOME_ASK_FOLLOW_UP
    } else {
        texts::OUTCOME_ASK_NOTE
    };
    let text = format!(
        "{}\n{}",
        phrase.get(desk.lang),
        common::VISIT_NOTE_WAY_OUT.get(desk.lang)
    );
    desk.say(ctx, text).await
}

fn outcome_label(o: Outcome, lang: Lang) -> &'static str {
    match o {
        Outcome::Done => texts::OUTCOME_DONE.get(lang),
        Outcome::OwnerAbsent => texts::OUTCOME_ABSENT.get(lang),
        Outcome::FollowUp => texts::OUTCOME_FOLLOW_UP.get(lang),
    }
}

/// `绿化: 树枝挡窗` → (Some("绿化"), "树枝挡窗"): the department a follow-up
/// is for, when the note starts with a short name and a colon.
#[must_use]
pub fn split_department(note: &str) -> (Option<String>, String) {
    let note = note.trim();
    if let Some(i) = note.find([':', '：']) {
        let (dept, rest) = note.split_at(i);
        let rest = rest.trim_start_matches([':', '：']).trim();
        let dept = dept.trim();
        if !dept.is_empty() && dept.chars().count() <= 20 && !rest.is_empty() {
            return (Some(dept.to_string()), rest.to_string());
        }
    }
    (None, note.to_string())
}

/// Records the outcome (once); a follow-up files a new ticket.
async fn record(
    ctx: &mut Ctx<'_>,
    desk: &Desk,
    visit: &Visit,
    outcome: Outcome,
    note: &str,
) -> Result<()> {
    if outcome == Outcome::FollowUp && note.is_empty() {
        return ask_note(ctx, desk, visit, outcome).await;
    }
    let id = visit.id.to_string();
    let note_opt = (!note.is_empty()).then_some(note);
    if !visits::record_outcome(ctx.conn, visit.id, outcome, note_opt, None, ctx.now).await? {
        return desk
            .say_phrase(ctx, texts::OUTCOME_ALREADY, &[("visit", &id)])
            .await;
    }
    let me = desk.staff.telegram_user_id;
    let mut follow_up = None;
    if outcome == Outcome::FollowUp {
        let original = match visit.ticket_id {
            Some(t) => tickets::load(ctx.conn, TicketId(t)).await?,
            None => None,
        };
        let (department, text) = split_department(note);
        let kind = original.as_ref().map_or(TicketKind::Other, |t| t.kind);
        let mut new = NewTicket::new(kind, text);
        new.category = department;
        new.unit_id = visit.unit_id;
        new.person_id = original.as_ref().and_then(|t| t.person_id);
        new.owner_chat_id = visit.owner_chat_id;
        new.fields =
            serde_json::json!({ "from_visit": visit.id, "filed_by_staff": desk.staff.staff_no });
        let filed = file_ticket_as(ctx, new, Actor::Staff(me)).await?;
        sqlx::query("UPDATE visits SET follow_up_ticket_id = $2 WHERE id = $1")
            .bind(visit.id)
            .bind(filed.id.0)
            .execute(&mut *ctx.conn)
            .await?;
        follow_up = Some(filed.id);
    }
    if let Some(t) = visit.ticket_id {
        tickets::add_event(
            ctx.conn,
            TicketId(t),
            ctx.now,
            Actor::Staff(me),
            "visit_outcome",
            note_opt,
            true,
            serde_json::json!({
                "visit": visit.id,
                "outcome": outcome.as_str(),
                "follow_up_ticket": follow_up.map(|f| f.0),
            }),
        )
        .await?;
    }
    match follow_up {
        Some(t) => {
            desk.say_phrase(
                ctx,
                texts::OUTCOME_FOLLOW_UP_FILED,
                &[("visit", &id), ("ticket", &t.to_string())],
            )
            .await
        }
        None => {
            desk.say_phrase(
                ctx,
                texts::OUTCOME_RECORDED,
                &[
                    ("visit", &id),
                    ("outcome", outcome_label(outcome, desk.lang)),
                ],
            )
            .await
        }
    }
}

/// `/survey start 2026Q4` (managers).
async fn survey_command(ctx: &mut Ctx<'_>, desk: &Desk, args: &str) -> Result<()> {
    let (verb, code) = split_first(args);
    if !verb.eq_ignore_ascii_case("start") || code.is_empty() {
        return desk.say_phrase(ctx, texts::SURVEY_USAGE, &[]).await;
    }
    let Some(parsed) = SurveyCode::parse(code) else {
        return desk
            .say_phrase(ctx, texts::SURVEY_BAD_CODE, &[("code", code)])
            .await;
    };
    let settings = visits::settings(ctx.conn).await?;
    let tz = ctx.app.settings.timezone;
    let started = surveys::start_campaign(ctx.conn, &parsed, ctx.now, tz, &settings).await?;
    tracing::info!(
        survey = %parsed,
        by = desk.staff.staff_no,
        invited = started.invited,
        "survey campaign started"
    );
    let n = started.invited.to_string();
    if !started.newly_started {
        return desk
            .say_phrase(
                ctx,
                texts::SURVEY_RUNNING,
                &[("code", parsed.as_str()), ("n", &n)],
            )
            .await;
    }
    let when_text = if started.invite_at <= ctx.now {
        texts::WHEN_NOW.get(desk.lang).to_string()
    } else {
        when(started.invite_at, tz, desk.lang)
    };
    desk.say_phrase(
        ctx,
        texts::SURVEY_STARTED,
        &[
            ("code", parsed.as_str()),
            ("n", &n),
            ("when", &when_text),
            ("days", &settings.survey_reminder_days.to_string()),
        ],
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_parsed_with_or_without_the_bot_name() {
        assert_eq!(
            command("/visit 12 2026-12-01 10:00", "bot"),
            Some(("visit".into(), "12 2026-12-01 10:00"))
        );
        assert_eq!(
            command("/Visit@Bot 12", "bot"),
            Some(("visit".into(), "12"))
        );
        assert_eq!(command("/visit@other 12", "bot"), None);
        assert_eq!(command("hello", "bot"), None);
    }

    #[test]
    fn a_follow_up_names_its_department_before_a_colon() {
        assert_eq!(
            split_department("绿化：树枝挡住窗户"),
            (Some("绿化".into()), "树枝挡住窗户".into())
        );
        assert_eq!(
            split_department("plumbing: leak under the sink"),
            (Some("plumbing".into()), "leak under the sink".into())
        );
        assert_eq!(
            split_department("no department"),
            (None, "no department".into())
        );
    }

    #[test]
    fn times_read_naturally_in_both_languages() {
        let at = Utc.with_ymd_and_hms(2026, 12, 1, 2, 0, 0).unwrap();
        let tz = chrono_tz::Asia::Shanghai;
        assert_eq!(when(at, tz, Lang::En), "Tue 01 Dec 10:00");
        assert_eq!(when(at, tz, Lang::Zh), "12月01日（周二）10:00");
    }
}

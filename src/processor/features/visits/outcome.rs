//! A visit's outcome: done, owner absent or a follow-up (which files a new
//! ticket), with an optional note, recorded once by the visit's own staff
//! member or a supervisor (`/outcome`, or the buttons after the visit).

use anyhow::Result;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use super::desk::split_first;
use super::show::{describe, when};
use crate::domain::staff::{self};
use crate::domain::tickets::{self, NewTicket, TicketId, TicketKind};
use crate::domain::visits::{self, Outcome, Visit, VisitStatus};
use crate::i18n::Lang;
use crate::outbox::Request;
use crate::processor::context::Ctx;
use crate::processor::conversation::{self, Key, Waiting};
use crate::processor::features::staff::Desk;
use crate::processor::features::staff::{file_ticket_as, Actor};
use crate::telegram::callback::Callback;
use crate::texts::{self as common, fill, visits as texts};

fn outcome_data(visit: i64, outcome: Outcome) -> String {
    Callback::VisitOutcome { visit, outcome }.encode()
}

/// `/outcome N` or `/outcome V5`, optionally `done|absent|followup [note]`.
pub(super) async fn outcome_command(ctx: &mut Ctx<'_>, desk: &Desk, args: &str) -> Result<()> {
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
pub(super) async fn may_record(ctx: &mut Ctx<'_>, desk: &Desk, visit: &Visit) -> Result<bool> {
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

pub(super) async fn ask_note(
    ctx: &mut Ctx<'_>,
    desk: &Desk,
    visit: &Visit,
    outcome: Outcome,
) -> Result<()> {
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
pub(super) async fn record(
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
        visits::set_follow_up_ticket(ctx.conn, visit.id, filed.id.0).await?;
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

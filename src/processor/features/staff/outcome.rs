//! What follows a ticket's transition, in one place: the card in the staff
//! group shows the ticket as it is now, and the people concerned are told
//! (the owner, a newly assigned staff member, the staff group). Also the
//! words for a refused transition and for the staff member who made one.

use anyhow::Result;

use super::desk::Desk;
use super::phone::Via;
use super::{card, followup, notify};
use crate::domain::staff;
use crate::domain::tickets::transition::{self, Booking, Move, Outcome, Refusal, Transition};
use crate::domain::tickets::{follow_up, Actor, TicketId};
use crate::i18n::Lang;
use crate::processor::context::Ctx;
use crate::texts::{self, fill, Phrase};

/// Refreshes the card and tells whom the change concerns.
pub async fn apply(ctx: &mut Ctx<'_>, outcome: &Outcome) -> Result<()> {
    let t = &outcome.ticket;
    if !matches!(
        outcome.transition,
        Transition::Note { .. } | Transition::Comment { .. }
    ) {
        card::refresh(ctx, t.id).await?;
    }
    match &outcome.transition {
        Transition::Claim | Transition::Assign { .. } => {
            let holder = match t.assignee {
                Some(a) => staff::by_telegram_id(ctx.conn, a).await?,
                None => None,
            };
            if let Some(holder) = holder {
                if outcome.first_taken {
                    notify::owner_taken(ctx, t, &holder).await?;
                }
                let via = match outcome.transition {
                    Transition::Assign { .. } => Via::Assigned,
                    _ => Via::Claimed,
                };
                notify::holder_notice(ctx, t.id, &holder, via).await?;
            }
        }
        Transition::Schedule {
            at,
            booking: Booking::Command,
            ..
        } => notify::owner_scheduled(ctx, t, *at).await?,
        Transition::Resolve { note, photo } => {
            let by = match outcome.actor {
                Actor::Staff(s) => staff::by_telegram_id(ctx.conn, s).await?,
                Actor::Owner(_) | Actor::System => None,
            };
            if let Some(by) = by {
                let note = note.as_deref().unwrap_or_default();
                notify::owner_resolved(ctx, t, &by, note, photo.as_deref()).await?;
            }
        }
        Transition::Reopen { .. } => {
            match outcome.actor {
                Actor::Owner(_) => {
                    notify::staff_group(ctx, t.id, texts::STAFF_OWNER_REOPENED, &[]).await?;
                }
                // Staff reopening it is the low rating's follow-up done.
                Actor::Staff(_) => {
                    follow_up::finish(ctx.conn, t.id, ctx.now).await?;
                }
                Actor::System => {}
            }
            notify::owner_reopened(ctx, t).await?;
        }
        Transition::Rate { stars } if outcome.low_rating() => {
            let shown = stars.to_string();
            notify::staff_group(ctx, t.id, texts::STAFF_LOW_RATING, &[("stars", &shown)]).await?;
            followup::low_rating(ctx, t, *stars).await?;
        }
        Transition::Comment { text } if outcome.low_rating() => {
            notify::staff_group(ctx, t.id, texts::STAFF_RATING_COMMENT, &[("text", text)]).await?;
            followup::low_rating_comment(ctx, t, text).await?;
        }
        _ => {}
    }
    Ok(())
}

/// The move as a verb in a refusal: "cannot be {action}".
fn action(m: Move) -> Phrase {
    match m {
        Move::Claim => texts::ACTION_CLAIM,
        Move::Assign => texts::ACTION_ASSIGN,
        Move::Release => texts::ACTION_RELEASE,
        Move::Schedule => texts::ACTION_SCHEDULE,
        Move::Resolve => texts::ACTION_RESOLVE,
        Move::Reopen => texts::ACTION_REOPEN,
        Move::Cancel => texts::ACTION_CANCEL,
        Move::Close => texts::ACTION_CLOSE,
        Move::Rate => texts::ACTION_RATE,
        Move::Comment => texts::ACTION_COMMENT,
        Move::Note => texts::ACTION_NOTE,
    }
}

/// Why `m` was not done to ticket `id`, for a staff member: "#12 is already
/// held by 管家 #3 张三", "#12 is cancelled, so it cannot be resolved".
pub async fn refusal_text(
    ctx: &mut Ctx<'_>,
    lang: Lang,
    id: TicketId,
    m: Move,
    refusal: Refusal,
) -> Result<String> {
    let ids = id.to_string();
    let (status, assignee) = match refusal {
        Refusal::NotFound => return Ok(fill(texts::NO_SUCH_TICKET.get(lang), &[("id", &ids)])),
        Refusal::AlreadyRated => return Ok(texts::ALREADY_RATED.get(lang).to_string()),
        Refusal::BadRating => return Ok(texts::BUTTON_EXPIRED.get(lang).to_string()),
        Refusal::NotHolder { assignee: None, .. } => {
            return Ok(fill(texts::NOT_HOLDER.get(lang), &[("id", &ids)]))
        }
        Refusal::NotHolder { status, assignee } => (status, assignee),
        // Claiming a held ticket: say who holds it.
        Refusal::Status { status, assignee } if m == Move::Claim => (status, assignee),
        Refusal::Status { status, .. } => (status, None),
    };
    let holder = match assignee {
        Some(a) if status.is_active() => staff::by_telegram_id(ctx.conn, a).await?,
        _ => None,
    };
    Ok(match holder {
        Some(h) => fill(
            texts::ALREADY_HELD.get(lang),
            &[("id", &ids), ("who", &h.display(lang))],
        ),
        None => fill(
            texts::NOT_OPEN.get(lang),
            &[
                ("id", &ids),
                ("status", status.label(lang)),
                ("action", action(m).get(lang)),
            ],
        ),
    })
}

/// What the staff member who made the change is told.
pub async fn confirmation(ctx: &mut Ctx<'_>, lang: Lang, outcome: &Outcome) -> Result<String> {
    let id = outcome.id().to_string();
    let (phrase, extra) = match &outcome.transition {
        Transition::Claim => (texts::CLAIMED_BY_YOU, None),
        Transition::Assign { to } => {
            let who = staff::by_telegram_id(ctx.conn, *to)
                .await?
                .map_or_else(|| to.to_string(), |s| s.display(lang));
            (texts::ASSIGNED, Some(("who", who)))
        }
        Transition::Release => (texts::RELEASED, None),
        Transition::Schedule { shown, .. } => (texts::SCHEDULED_OK, Some(("at", shown.clone()))),
        Transition::Resolve { .. } => (texts::RESOLVED_OK, None),
        Transition::Reopen { .. } => (texts::REOPENED, None),
        Transition::Cancel { .. } => (texts::CANCELLED_OK, None),
        Transition::Note { .. } => (texts::NOTE_SAVED, None),
        Transition::Close | Transition::Rate { .. } | Transition::Comment { .. } => {
            return Ok(texts::THANKS_FOR_RATING.get(lang).to_string());
        }
    };
    let mut vars = vec![("id", id.as_str())];
    if let Some((k, v)) = &extra {
        vars.push((k, v.as_str()));
    }
    Ok(phrase.fill(lang, &vars))
}

/// Does `t` to ticket `id` for the desk's staff member, then either applies
/// it and confirms, or says why not. The outcome, if it was done.
pub async fn at_desk(
    ctx: &mut Ctx<'_>,
    desk: &Desk,
    id: TicketId,
    t: Transition,
) -> Result<Option<Outcome>> {
    let m = t.kind();
    match transition::perform(ctx.conn, id, t, desk.actor(), ctx.now).await? {
        Ok(outcome) => {
            apply(ctx, &outcome).await?;
            let text = confirmation(ctx, desk.lang, &outcome).await?;
            desk.say(ctx, text).await?;
            Ok(Some(outcome))
        }
        Err(refusal) => {
            tracing::info!(
                ticket = id.0,
                ?m,
                ?refusal,
                by = desk.staff.staff_no,
                "ticket transition refused"
            );
            let text = refusal_text(ctx, desk.lang, id, m, refusal).await?;
            desk.say(ctx, text).await?;
            Ok(None)
        }
    }
}

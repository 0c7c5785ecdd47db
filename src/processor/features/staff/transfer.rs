//! `/transfer N DEPARTMENT` (and `/assign N DEPARTMENT`): a ticket moves to
//! another department. Whoever held it lets go; when the department has a
//! chat of its own the card moves there (a new card), and the old card
//! says where it went, with a link to the new one.

use anyhow::Result;

use super::desk::Desk;
use super::{card, topic};
use crate::domain::departments::Department;
use crate::domain::staff::StaffRole;
use crate::domain::tickets::{self, Actor, Ticket};
use crate::outbox::{Lane, Outgoing, Request, Target};
use crate::processor::context::Ctx;
use crate::texts::departments as t;

/// Moves `ticket` to `to`, if the desk may: a supervisor always, otherwise
/// the ticket's holder, or anyone who may claim it while nobody holds it.
pub async fn to_department(
    ctx: &mut Ctx<'_>,
    desk: &Desk,
    ticket: &Ticket,
    to: Department,
) -> Result<()> {
    let id = ticket.id.to_string();
    if !ticket.status.is_active() {
        let n = ticket.id.0.to_string();
        return desk
            .say(
                ctx,
                t::NOT_ACTIVE.fill(desk.lang, &[("id", &id), ("n", &n)]),
            )
            .await;
    }
    let is_holder = ticket.assignee == Some(desk.staff.telegram_user_id);
    let free = ticket.assignee.is_none() && desk.staff.role >= StaffRole::Butler;
    if !(desk.staff.role >= StaffRole::Supervisor || is_holder || free) {
        return desk
            .say(ctx, t::NOT_YOURS.fill(desk.lang, &[("id", &id)]))
            .await;
    }
    let Some(from) = tickets::set_department(ctx.conn, ticket.id, to, ctx.now).await? else {
        let name = to.label(desk.lang);
        let text = t::ALREADY_THERE.fill(desk.lang, &[("id", &id), ("department", name)]);
        return desk.say(ctx, text).await;
    };
    tickets::add_event(
        ctx.conn,
        ticket.id,
        ctx.now,
        Actor::Staff(desk.staff.telegram_user_id),
        "department_transferred",
        None,
        true,
        serde_json::json!({ "from": from.as_str(), "to": to.as_str() }),
    )
    .await?;
    // The card moves when the new department's place differs: another
    // chat, or a department topic of its own (to or from one).
    let old_place = card::department_place(ctx.conn, ctx.app, from).await?;
    let new_place = card::department_place(ctx.conn, ctx.app, to).await?;
    let moves = |old_chat: i64| match (&new_place, &old_place) {
        (Some((chat, thread)), Some((_, old_thread))) => *chat != old_chat || thread != old_thread,
        (Some((chat, _)), None) => *chat != old_chat,
        (None, _) => false,
    };
    match (ticket.card_outbox_id, ticket.card_chat_id) {
        (Some(old_card), Some(old_chat)) if moves(old_chat) => {
            move_card(ctx, ticket, old_card, old_chat, from, to).await?;
        }
        _ => card::refresh(ctx, ticket.id).await?,
    }
    tracing::info!(
        ticket = ticket.id.0,
        from = from.as_str(),
        to = to.as_str(),
        "ticket transferred"
    );
    let name = to.label(desk.lang);
    desk.say(
        ctx,
        t::TRANSFERRED.fill(desk.lang, &[("id", &id), ("department", name)]),
    )
    .await
}

/// The old card, without its buttons, says where the ticket went; a new
/// card opens in the new department's chat (in a topic of its own there,
/// in a forum); a link to it is left behind, and the old topic is renamed
/// to say where it went, and closed.
async fn move_card(
    ctx: &mut Ctx<'_>,
    ticket: &Ticket,
    old_card: i64,
    old_chat: i64,
    from: Department,
    to: Department,
) -> Result<()> {
    let lang = card::staff_language(ctx, old_chat).await?;
    let Some(now) = tickets::load(ctx.conn, ticket.id).await? else {
        return Ok(());
    };
    let moved = t::CARD_MOVED.fill(lang, &[("department", to.label(lang))]);
    let text = card::render(&now, None, lang, ctx.now, ctx.app.settings.timezone);
    ctx.send(Outgoing::new(
        old_chat,
        Lane::Staff,
        Request::EditMessageText {
            target: Target::Outbox(old_card),
            text: format!("{text}\n\n{moved}"),
            reply_markup: None,
        },
    ))
    .await?;
    // The card says how many photos are below it: the same ones go below
    // the new card.
    let mut photos = tickets::photos(ctx.conn, ticket.id).await?;
    photos.truncate(usize::try_from(card::card_photos(&now)).unwrap_or(0));
    let Some(new_card) = card::post(ctx, ticket.id, &photos).await? else {
        return Ok(());
    };
    let link = Request::SendLink {
        text: t::MOVED_HERE.fill(
            lang,
            &[
                ("id", &ticket.id.to_string()),
                ("from", from.label(lang)),
                ("department", to.label(lang)),
            ],
        ),
        button: t::BUTTON_OPEN.get(lang).to_string(),
        to: new_card,
    };
    let old_thread = card::ticket_place(ctx.conn, ctx.app, ticket)
        .await?
        .and_then(|(_, thread)| thread);
    let out = Outgoing::new(old_chat, Lane::Staff, link).in_thread(old_thread);
    let row = ctx.send(out).await?;
    tickets::link_message(ctx.conn, row, ticket.id).await?;
    topic::leave(ctx, ticket, old_chat, to.label(lang)).await
}

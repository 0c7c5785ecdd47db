//! `/reply N text` (and a staff member's Telegram reply to a card or a
//! relayed message): the office's answer to the ticket's owner.

use anyhow::Result;

use super::desk::Desk;
use super::phone::{self, Via};
use super::{card, notify};
use crate::domain::staff;
use crate::domain::tickets::{self, Actor, Ticket};
use crate::processor::context::Ctx;
use crate::texts;

/// Sends `text` (and `photo`) to the ticket's owner, signed by the office
/// (the holder or a supervisor, or anyone while nobody holds it).
pub async fn reply(
    ctx: &mut Ctx<'_>,
    desk: &Desk,
    t: &Ticket,
    text: &str,
    photo: Option<String>,
) -> Result<()> {
    let data = serde_json::json!({ "photo": photo });
    reply_with(ctx, desk, t, text, photo, data).await
}

/// [`reply`], with `data` for its line in the ticket's history (a canned
/// reply names itself there).
pub async fn reply_with(
    ctx: &mut Ctx<'_>,
    desk: &Desk,
    t: &Ticket,
    text: &str,
    photo: Option<String>,
    data: serde_json::Value,
) -> Result<()> {
    if text.trim().is_empty() && photo.is_none() {
        return desk.say_phrase(ctx, texts::NEED_REPLY_TEXT, &[]).await;
    }
    if let Some(holder) = t.assignee.filter(|_| !desk.may_act_on(t)) {
        let id = t.id.to_string();
        return match staff::by_telegram_id(ctx.conn, holder).await? {
            Some(h) => {
                let who = h.display(desk.lang);
                desk.say_phrase(ctx, texts::ALREADY_HELD, &[("id", &id), ("who", &who)])
                    .await
            }
            None => {
                desk.say_phrase(ctx, texts::NOT_HOLDER, &[("id", &id)])
                    .await
            }
        };
    }
    let Some(owner) = t.owner_chat_id else {
        return desk
            .say_phrase(ctx, texts::NO_OWNER_CHAT, &[("id", &t.id.to_string())])
            .await;
    };
    if !crate::domain::chats::is_reachable(ctx.conn, owner).await? {
        let phone =
            match phone::reveal(ctx, &desk.staff, t, desk.private, Via::OwnerBlocked).await? {
                Some(full) => full,
                None => card::contact(t)
                    .and_then(|(_, _, p)| p)
                    .map_or_else(|| "-".into(), |p| card::masked(&p)),
            };
        return desk
            .say_phrase(
                ctx,
                texts::OWNER_BLOCKED,
                &[("id", &t.id.to_string()), ("phone", &phone)],
            )
            .await;
    }
    let parts = notify::owner_reply(ctx, t, &desk.staff, text, photo.as_deref()).await?;
    tickets::add_event(
        ctx.conn,
        t.id,
        ctx.now,
        Actor::Staff(desk.staff.telegram_user_id),
        "reply",
        Some(text),
        false,
        data,
    )
    .await?;
    if let Some(p) = &photo {
        tickets::attach(ctx.conn, t.id, p, ctx.now).await?;
    }
    tickets::responded(ctx.conn, t.id, ctx.now).await?;
    let id = t.id.to_string();
    if parts > 1 {
        let parts = parts.to_string();
        desk.say_phrase(
            ctx,
            texts::REPLY_SENT_SPLIT,
            &[("id", &id), ("parts", &parts)],
        )
        .await
    } else {
        desk.say_phrase(ctx, texts::REPLY_SENT, &[("id", &id)])
            .await
    }
}

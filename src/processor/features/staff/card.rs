//! The ticket card in the staff group: posted once when a ticket is filed,
//! then edited in place on every change, so the group is a live board.

use anyhow::Result;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sqlx::PgConnection;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use crate::domain::staff::{self, mask_phone, Staff};
use crate::domain::tickets::{self, Ticket, TicketId, TicketStatus};
use crate::domain::units::Role;
use crate::i18n::Lang;
use crate::outbox::{self, Lane, Outgoing, Request, Target};
use crate::processor::context::{chat_language, App, Ctx};
use crate::telegram::callback::Callback;
use crate::texts::{self, fill};

/// How much of a description a card shows (`/ticket N` shows it all).
const CARD_DESCRIPTION_CHARS: usize = 1500;

/// The language of a staff chat (groups default to Chinese).
pub async fn staff_language(ctx: &mut Ctx<'_>, chat_id: i64) -> Result<Lang> {
    Ok(chat_language(ctx.conn, chat_id).await?.unwrap_or(Lang::Zh))
}

/// `05-01 10:00` in the estate's time zone.
#[must_use]
pub fn local(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).format("%m-%d %H:%M").to_string()
}

/// `25 分钟` / `3 h`: how long something has been going on.
#[must_use]
pub fn age(from: DateTime<Utc>, now: DateTime<Utc>, lang: Lang) -> String {
    let minutes = (now - from).num_minutes().max(0);
    let (n, unit) = if minutes < 60 {
        (minutes, texts::UNIT_MINUTES)
    } else if minutes < 48 * 60 {
        (minutes / 60, texts::UNIT_HOURS)
    } else {
        (minutes / (24 * 60), texts::UNIT_DAYS)
    };
    fill(unit.get(lang), &[("n", &n.to_string())])
}

fn priority_icon(t: &Ticket) -> &'static str {
    match t.priority {
        tickets::Priority::Urgent => "🚨",
        tickets::Priority::High => "❗",
        tickets::Priority::Normal => "🔧",
        tickets::Priority::Low => "📝",
    }
}

/// The card text. Phones are always masked here: the group is seen by
/// every role.
#[must_use]
pub fn render(
    t: &Ticket,
    assignee: Option<&Staff>,
    lang: Lang,
    now: DateTime<Utc>,
    tz: Tz,
) -> String {
    let mut lines = Vec::new();
    let mut title = format!(
        "{} {} {} · {}",
        priority_icon(t),
        texts::CARD_TICKET.get(lang),
        t.id,
        t.kind.label(lang)
    );
    if let Some(c) = t.category.as_deref().filter(|c| !c.is_empty()) {
        title.push_str(&format!(" / {c}"));
    }
    title.push_str(&format!(" · {}", t.priority.label(lang)));
    lines.push(title);
    let mut place = Vec::new();
    if let Some(unit) = &t.unit_code {
        place.push(format!("{}: {unit}", texts::CARD_UNIT.get(lang)));
    }
    if let Some(loc) = t.location.as_deref().filter(|l| !l.is_empty()) {
        place.push(format!("{}: {loc}", texts::CARD_LOCATION.get(lang)));
    }
    if !place.is_empty() {
        lines.push(place.join(" · "));
    }
    if let Some(name) = &t.person_name {
        let phone = t
            .person_phone
            .as_deref()
            .map(mask_phone)
            .unwrap_or_default();
        lines.push(format!("{}: {name} {phone}", texts::CARD_OWNER.get(lang)));
    }
    if t.channel != tickets::Channel::Telegram {
        lines.push(format!(
            "{}: {}",
            texts::CARD_CHANNEL.get(lang),
            t.channel.label(lang)
        ));
    }
    let description: String = t.description.chars().take(CARD_DESCRIPTION_CHARS).collect();
    let cut = t.description.chars().count() > CARD_DESCRIPTION_CHARS;
    lines.push(String::new());
    lines.push(description);
    if cut {
        lines.push(fill(
            texts::CARD_MORE.get(lang),
            &[("id", &t.id.0.to_string())],
        ));
    }
    lines.push(String::new());
    if t.photo_count > 0 {
        lines.push(fill(
            texts::CARD_PHOTOS.get(lang),
            &[("n", &t.photo_count.to_string())],
        ));
    }
    lines.push(format!(
        "{}: {} ({})",
        texts::CARD_FILED.get(lang),
        local(t.created_at, tz),
        fill(
            texts::CARD_AGO.get(lang),
            &[("age", &age(t.created_at, now, lang))]
        )
    ));
    if t.status.is_active() {
        if let (None, Some(due)) = (t.first_response_at, t.due_response_at) {
            lines.push(format!(
                "{}: {}",
                texts::CARD_DUE_RESPONSE.get(lang),
                local(due, tz)
            ));
        }
        if let Some(due) = t.due_resolve_at {
            lines.push(format!(
                "{}: {}",
                texts::CARD_DUE_RESOLVE.get(lang),
                local(due, tz)
            ));
        }
    }
    let mut status = format!("{}: {}", texts::CARD_STATUS.get(lang), t.status.label(lang));
    if let Some(s) = assignee {
        status.push_str(&format!(" — {}", s.display(lang)));
    }
    lines.push(status);
    if let (TicketStatus::Scheduled, Some(at)) = (t.status, t.appointment_at) {
        lines.push(format!(
            "{}: {}",
            texts::CARD_APPOINTMENT.get(lang),
            local(at, tz)
        ));
    }
    if let Some(r) = t.rating {
        lines.push(format!(
            "{}: {}",
            texts::CARD_RATING.get(lang),
            "⭐".repeat(usize::try_from(r).unwrap_or(0))
        ));
    }
    lines.join("\n")
}

/// Claim and Assign while open; Assign (to hand it on) while held; none
/// once finished. A registration request naming a unit also gets a row to
/// bind the applicant as owner, tenant or family, and a Refuse button.
#[must_use]
pub fn buttons(t: &Ticket, lang: Lang) -> Option<InlineKeyboardMarkup> {
    let queue = queue_buttons(t, lang)?;
    if t.kind != tickets::TicketKind::Registration || t.unit_id.is_none() {
        return Some(queue);
    }
    let id = t.id;
    let bind = |role: Role, label: texts::Phrase| {
        InlineKeyboardButton::callback(
            label.get(lang),
            Callback::RegistrationBind { ticket: id, role }.encode(),
        )
    };
    let mut rows = vec![vec![
        bind(Role::Owner, texts::household::BUTTON_BIND_OWNER),
        bind(Role::Tenant, texts::household::BUTTON_BIND_TENANT),
        bind(Role::Family, texts::household::BUTTON_BIND_FAMILY),
    ]];
    let mut last = queue
        .inline_keyboard
        .into_iter()
        .flatten()
        .collect::<Vec<_>>();
    last.push(InlineKeyboardButton::callback(
        texts::household::BUTTON_REFUSE.get(lang),
        Callback::RegistrationRefuse(id).encode(),
    ));
    rows.push(last);
    Some(InlineKeyboardMarkup::new(rows))
}

fn queue_buttons(t: &Ticket, lang: Lang) -> Option<InlineKeyboardMarkup> {
    let id = t.id.0;
    match t.status {
        TicketStatus::Open => Some(InlineKeyboardMarkup::new([[
            InlineKeyboardButton::callback(
                texts::BUTTON_CLAIM.get(lang),
                Callback::Claim(TicketId(id)).encode(),
            ),
            InlineKeyboardButton::callback(
                texts::BUTTON_ASSIGN.get(lang),
                Callback::Assign(TicketId(id)).encode(),
            ),
        ]])),
        TicketStatus::Claimed | TicketStatus::Scheduled => Some(InlineKeyboardMarkup::new([[
            InlineKeyboardButton::callback(
                texts::BUTTON_ASSIGN.get(lang),
                Callback::Assign(TicketId(id)).encode(),
            ),
        ]])),
        _ => None,
    }
}

/// The assignee of `t`, if any (even if no longer active, for the record).
pub async fn assignee_of(ctx: &mut Ctx<'_>, t: &Ticket) -> Result<Option<Staff>> {
    match t.assignee {
        Some(id) => staff::by_telegram_id(ctx.conn, id).await,
        None => Ok(None),
    }
}

/// Posts the card of a newly filed ticket to the staff group, then its
/// photos as an album that replies to nothing (Telegram cannot put buttons
/// on an album, and a photo card could not be edited as text).
pub async fn post(ctx: &mut Ctx<'_>, id: TicketId, photos: &[String]) -> Result<()> {
    let Some(chat) = ctx.app.settings.staff_chat_id else {
        tracing::warn!(
            ticket = id.0,
            "no staff group configured (PROPDESK_STAFF_CHAT_ID); no card posted"
        );
        return Ok(());
    };
    let Some(t) = tickets::load(ctx.conn, id).await? else {
        return Ok(());
    };
    let lang = staff_language(ctx, chat).await?;
    let text = render(&t, None, lang, ctx.now, ctx.app.settings.timezone);
    let request = Request::SendMessage {
        text,
        reply_markup: buttons(&t, lang).map(Into::into),
        reply_to: None,
    };
    let card = ctx.send(Outgoing::new(chat, Lane::Staff, request)).await?;
    tickets::set_card(ctx.conn, id, chat, card).await?;
    send_photos(ctx, chat, id, photos, &format!("{id}")).await
}

/// Photos as one message (1) or albums of up to 10; each linked to the ticket
/// so a reply to it reaches the owner.
pub async fn send_photos(
    ctx: &mut Ctx<'_>,
    chat: i64,
    id: TicketId,
    photos: &[String],
    caption: &str,
) -> Result<()> {
    for chunk in photos.chunks(10) {
        let request = match chunk {
            [one] => Request::SendPhoto {
                photo: one.clone(),
                caption: Some(caption.to_string()),
                reply_markup: None,
            },
            many => Request::SendMediaGroup {
                photos: many.to_vec(),
                caption: Some(caption.to_string()),
            },
        };
        let row = ctx.send(Outgoing::new(chat, Lane::Staff, request)).await?;
        tickets::link_message(ctx.conn, row, id).await?;
    }
    Ok(())
}

/// Edits the card to show the ticket as it is now. Never re-posts: the edit
/// targets the card's outbox row, and waits for it if it is not sent yet.
pub async fn refresh(ctx: &mut Ctx<'_>, id: TicketId) -> Result<()> {
    refresh_in(ctx.conn, ctx.app, ctx.now, Some(ctx.update_id), id).await
}

/// [`refresh`] outside an update (the scheduler), in `conn`'s transaction.
pub async fn refresh_in(
    conn: &mut PgConnection,
    app: &App,
    now: DateTime<Utc>,
    update_id: Option<i64>,
    id: TicketId,
) -> Result<()> {
    let Some(t) = tickets::load(conn, id).await? else {
        return Ok(());
    };
    let (Some(card), Some(chat)) = (t.card_outbox_id, t.card_chat_id) else {
        return Ok(());
    };
    let lang = chat_language(conn, chat).await?.unwrap_or(Lang::Zh);
    let assignee = match t.assignee {
        Some(a) => staff::by_telegram_id(conn, a).await?,
        None => None,
    };
    let text = render(&t, assignee.as_ref(), lang, now, app.settings.timezone);
    let request = Request::EditMessageText {
        target: Target::Outbox(card),
        text,
        reply_markup: buttons(&t, lang),
    };
    outbox::enqueue(conn, update_id, &Outgoing::new(chat, Lane::Staff, request)).await?;
    Ok(())
}

//! The ticket card in the staff group: posted once when a ticket is filed,
//! then edited in place on every change, so the group is a live board.

use anyhow::Result;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sqlx::PgConnection;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use crate::domain::departments::Department;
use crate::domain::office_settings;
use crate::domain::phone::Phone;
use crate::domain::staff::{self, mask_phone, Staff};
use crate::domain::tickets::{self, Ticket, TicketId, TicketStatus};
use crate::domain::units::Role;
use crate::i18n::Lang;
use crate::outbox::{self, Lane, Outgoing, Request, Target};
use crate::processor::context::{chat_language, App, Ctx};
use crate::telegram::callback::Callback;
use crate::texts::{self, fill, Phrase};

use super::topic;

/// How much of a description a card shows (`/ticket N` shows it all).
const CARD_DESCRIPTION_CHARS: usize = 1500;

/// The language of a staff chat: a group's is the office setting
/// `staff_language`, a staff member's private chat its own (else Chinese).
pub async fn staff_language(ctx: &mut Ctx<'_>, chat_id: i64) -> Result<Lang> {
    staff_chat_language(ctx.conn, chat_id).await
}

/// [`staff_language`] with only a connection (the scheduler).
pub async fn staff_chat_language(conn: &mut PgConnection, chat_id: i64) -> Result<Lang> {
    if chat_id < 0 {
        return Ok(office_settings::load(conn).await?.staff_language);
    }
    Ok(chat_language(conn, chat_id).await?.unwrap_or(Lang::Zh))
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
    unit.fill(lang, &[("n", &n.to_string())])
}

fn priority_icon(t: &Ticket) -> &'static str {
    match t.priority {
        tickets::Priority::Urgent => "🚨",
        tickets::Priority::High => "❗",
        tickets::Priority::Normal => "🔧",
        tickets::Priority::Low => "📝",
    }
}

/// Where a card is shown, which decides what it may say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View<'a> {
    /// The staff group (every role sees it): the phone masked; the photos
    /// posted with the card are below it.
    Group,
    /// A staff member's private chat: `phone` is the full number when the
    /// caller decided this member may see it (and recorded that they did);
    /// `photos_below` when the photos follow this message.
    Private {
        phone: Option<&'a str>,
        photos_below: bool,
    },
}

/// Who the ticket's contact person is, as the card names them: the owner,
/// a caller who phoned or walked in, or a registration's applicant; with
/// their phone as stored (full: mask it before showing it to the group).
#[must_use]
pub fn contact(t: &Ticket) -> Option<(Phrase, String, Option<String>)> {
    let field = |k: &str| {
        t.fields
            .get(k)
            .and_then(serde_json::Value::as_str)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    if let Some(name) = &t.person_name {
        return Some((texts::CARD_OWNER, name.clone(), t.person_phone.clone()));
    }
    let (caller, caller_phone) = (field("caller_name"), field("caller_phone"));
    if caller.is_some() || caller_phone.is_some() {
        let name = caller.unwrap_or_else(|| "-".into());
        return Some((texts::desk::CARD_CALLER, name, caller_phone));
    }
    if t.kind == tickets::TicketKind::Registration {
        let name = field("name").unwrap_or_else(|| "-".into());
        return Some((texts::desk::CARD_APPLICANT, name, field("phone")));
    }
    None
}

/// A stored phone as staff below the holder see it: `138****1234`.
#[must_use]
pub fn masked(phone: &str) -> String {
    match Phone::parse(phone) {
        Ok(p) => p.masked(),
        Err(_) => mask_phone(phone),
    }
}

/// A stored phone in the international form Telegram makes tappable
/// (`+86 138 1234 5678`; other numbers as stored, `+447911123456`).
#[must_use]
pub fn dialable(phone: &str) -> String {
    match Phone::parse(phone) {
        Ok(p) if p.is_china_mobile() => {
            let d = &p.as_str()[3..];
            format!("+86 {} {} {}", &d[..3], &d[3..7], &d[7..])
        }
        Ok(p) => p.as_str().to_string(),
        Err(_) => phone.to_string(),
    }
}

/// The label of a ticket's `var` (`category`, `place`) in `lang` as the
/// dialogue offered it, else the stored key.
#[must_use]
pub fn label_or_key<'a>(t: &'a Ticket, var: &str, key: &'a str, lang: Lang) -> &'a str {
    if let Some(label) = t.label(var, lang) {
        return label;
    }
    match key {
        "verify_resident" => texts::desk::CATEGORY_VERIFY_RESIDENT.get(lang),
        _ => key,
    }
}

/// The card text as the staff group sees it (phones masked).
#[must_use]
pub fn render(
    t: &Ticket,
    assignee: Option<&Staff>,
    lang: Lang,
    now: DateTime<Utc>,
    tz: Tz,
) -> String {
    render_view(t, assignee, lang, now, tz, View::Group)
}

/// The card text for `view`.
#[must_use]
pub fn render_view(
    t: &Ticket,
    assignee: Option<&Staff>,
    lang: Lang,
    now: DateTime<Utc>,
    tz: Tz,
    view: View<'_>,
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
        title.push_str(&format!(" / {}", label_or_key(t, "category", c, lang)));
    }
    title.push_str(&format!(" · {}", t.priority.label(lang)));
    lines.push(title);
    let mut place = Vec::new();
    if let Some(unit) = &t.unit_code {
        place.push(format!("{}: {unit}", texts::CARD_UNIT.get(lang)));
    }
    let mut location = Vec::new();
    if let Some(p) = t.fields.get("place").and_then(serde_json::Value::as_str) {
        if t.label("place", lang).is_some() {
            location.push(label_or_key(t, "place", p, lang).to_string());
        }
    }
    if let Some(loc) = t.location.as_deref().filter(|l| !l.is_empty()) {
        if t.unit_code.as_deref() != Some(loc) || location.is_empty() {
            location.push(loc.to_string());
        }
    }
    if !location.is_empty() {
        place.push(format!(
            "{}: {}",
            texts::CARD_LOCATION.get(lang),
            location.join(" · ")
        ));
    }
    if !place.is_empty() {
        lines.push(place.join(" · "));
    }
    if let Some((label, name, phone)) = contact(t) {
        let phone = match (view, phone.as_deref()) {
            (
                View::Private {
                    phone: Some(full), ..
                },
                Some(_),
            ) => dialable(full),
            (_, Some(p)) => masked(p),
            (_, None) => String::new(),
        };
        lines.push(
            format!("{}: {name} {phone}", label.get(lang))
                .trim_end()
                .to_string(),
        );
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
    let id = t.id.0.to_string();
    match view {
        View::Group => {
            // Only the photos posted with the card are below it; later ones
            // (owner follow-ups, the finished work) are in /ticket N.
            let below = card_photos(t).min(t.photo_count);
            if below > 0 {
                lines.push(fill(
                    texts::CARD_PHOTOS.get(lang),
                    &[("n", &below.to_string())],
                ));
            }
            if t.photo_count > below {
                lines.push(texts::desk::CARD_PHOTOS_LATER.fill(
                    lang,
                    &[("n", &(t.photo_count - below).to_string()), ("id", &id)],
                ));
            }
        }
        View::Private {
            photos_below: true, ..
        } if t.photo_count > 0 => lines.push(fill(
            texts::CARD_PHOTOS.get(lang),
            &[("n", &t.photo_count.to_string())],
        )),
        View::Private { .. } if t.photo_count > 0 => lines.push(
            texts::desk::CARD_PHOTOS_ELSEWHERE
                .fill(lang, &[("n", &t.photo_count.to_string()), ("id", &id)]),
        ),
        View::Private { .. } => {}
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
    if t.department != Department::Service {
        lines.push(
            texts::departments::CARD_DEPARTMENT
                .fill(lang, &[("department", t.department.label(lang))]),
        );
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

/// The 💬 button under a card or a holder's notice.
#[must_use]
pub fn canned_button(id: TicketId, lang: Lang) -> InlineKeyboardButton {
    InlineKeyboardButton::callback(
        texts::desk::BUTTON_CANNED.get(lang),
        Callback::CannedPick(id).encode(),
    )
}

/// How many photos were posted below the card when it was filed.
pub fn card_photos(t: &Ticket) -> i64 {
    t.fields
        .get(CARD_PHOTOS_FIELD)
        .and_then(serde_json::Value::as_i64)
        .unwrap_or(0)
}

/// The field of `tickets.fields` that counts the photos posted with the card.
pub const CARD_PHOTOS_FIELD: &str = "card_photos";

/// Claim and Assign while open; Assign (to hand it on) while held; a
/// canned reply while it is active; none once finished. A registration
/// request naming a unit also gets a row to bind the applicant as owner,
/// tenant or family, and a Refuse button.
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
    let canned = canned_button(TicketId(id), lang);
    match t.status {
        TicketStatus::Open => Some(InlineKeyboardMarkup::new([
            vec![
                InlineKeyboardButton::callback(
                    texts::BUTTON_CLAIM.get(lang),
                    Callback::Claim(TicketId(id)).encode(),
                ),
                InlineKeyboardButton::callback(
                    texts::BUTTON_ASSIGN.get(lang),
                    Callback::Assign(TicketId(id)).encode(),
                ),
            ],
            vec![canned],
        ])),
        TicketStatus::Claimed | TicketStatus::Scheduled => Some(InlineKeyboardMarkup::new([
            vec![InlineKeyboardButton::callback(
                texts::BUTTON_ASSIGN.get(lang),
                Callback::Assign(TicketId(id)).encode(),
            )],
            vec![canned],
        ])),
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

/// The chat a department's cards go to: its own, else the staff group.
pub async fn department_chat(
    conn: &mut PgConnection,
    app: &App,
    department: Department,
) -> Result<Option<i64>> {
    Ok(department_place(conn, app, department)
        .await?
        .map(|(chat, _)| chat))
}

/// Where a department's cards go: its own chat or topic, else the staff
/// group (with no topic of its own: each ticket opens one, in a forum).
pub async fn department_place(
    conn: &mut PgConnection,
    app: &App,
    department: Department,
) -> Result<Option<(i64, Option<Target>)>> {
    let own = office_settings::load(conn)
        .await?
        .department_place(department);
    Ok(match own {
        Some(place) => Some((place.chat, place.topic.map(Target::Message))),
        None => app.settings.staff_chat_id.map(|chat| (chat, None)),
    })
}

/// Where messages about a ticket go among staff: the chat of its card
/// (else its department's) and, in a forum, the ticket's topic (or its
/// department's, when the department has a topic of its own there).
pub async fn ticket_place(
    conn: &mut PgConnection,
    app: &App,
    t: &Ticket,
) -> Result<Option<(i64, Option<Target>)>> {
    // A ticket with a topic of its own needs no settings read (this runs
    // for every owner follow-up and notice).
    if let (Some(chat), Some(thread)) = (t.card_chat_id, topic::thread(t)) {
        return Ok(Some((chat, Some(thread))));
    }
    let department = department_place(conn, app, t.department).await?;
    match t.card_chat_id {
        Some(chat) => {
            let shared = department
                .filter(|(c, _)| *c == chat)
                .and_then(|(_, thread)| thread);
            Ok(Some((chat, shared)))
        }
        None => Ok(department),
    }
}

/// Posts the card of a newly filed ticket to its department's chat — in a
/// forum, as the first message of the ticket's own topic, pinned, unless
/// the department has a topic of its own there — then
/// its photos as an album that replies to nothing (Telegram cannot put
/// buttons on an album, and a photo card could not be edited as text).
/// Returns the card's outbox row.
pub async fn post(ctx: &mut Ctx<'_>, id: TicketId, photos: &[String]) -> Result<Option<i64>> {
    let Some(t) = tickets::load(ctx.conn, id).await? else {
        return Ok(None);
    };
    let Some((chat, department_topic)) = department_place(ctx.conn, ctx.app, t.department).await?
    else {
        tracing::warn!(
            ticket = id.0,
            "no staff group configured (PROPDESK_STAFF_CHAT_ID); no card posted"
        );
        return Ok(None);
    };
    let lang = staff_language(ctx, chat).await?;
    let thread = match department_topic {
        Some(topic) => Some(topic),
        None => topic::open(ctx, &t, chat, lang).await?,
    };
    let place = Place {
        chat,
        thread,
        lang,
        update_id: Some(ctx.update_id),
    };
    post_in(ctx.conn, ctx.app, ctx.now, &t, place, photos)
        .await
        .map(Some)
}

/// Where and how a card is posted.
#[derive(Debug, Clone, Copy)]
pub struct Place {
    pub chat: i64,
    pub thread: Option<Target>,
    pub lang: Lang,
    /// The update that caused it, if one did.
    pub update_id: Option<i64>,
}

/// Posts `t`'s card at `place` (pinned when in a topic) with `photos`
/// below it, in `conn`'s transaction; returns the card's outbox row.
pub async fn post_in(
    conn: &mut PgConnection,
    app: &App,
    now: DateTime<Utc>,
    t: &Ticket,
    place: Place,
    photos: &[String],
) -> Result<i64> {
    let Place {
        chat,
        thread,
        lang,
        update_id,
    } = place;
    let assignee = match t.assignee {
        Some(a) => staff::by_telegram_id(conn, a).await?,
        None => None,
    };
    let request = Request::SendMessage {
        text: render(t, assignee.as_ref(), lang, now, app.settings.timezone),
        reply_markup: buttons(t, lang).map(Into::into),
        reply_to: None,
    };
    let out = Outgoing::new(chat, Lane::Staff, request).in_thread(thread);
    let card = outbox::enqueue(conn, update_id, &out).await?;
    tickets::set_card(conn, t.id, chat, card).await?;
    if thread.is_some() {
        let pin = Request::PinChatMessage {
            target: Target::Outbox(card),
        };
        outbox::enqueue(conn, update_id, &Outgoing::new(chat, Lane::Staff, pin)).await?;
    }
    for request in photo_requests(photos, &t.id.to_string()) {
        let out = Outgoing::new(chat, Lane::Staff, request).in_thread(thread);
        let row = outbox::enqueue(conn, update_id, &out).await?;
        tickets::link_message(conn, row, t.id).await?;
    }
    Ok(card)
}

/// Photos as one message (1) or albums of up to 10, captioned.
fn photo_requests(photos: &[String], caption: &str) -> Vec<Request> {
    photos
        .chunks(10)
        .map(|chunk| match chunk {
            [one] => Request::SendPhoto {
                photo: one.clone(),
                caption: Some(caption.to_string()),
                reply_markup: None,
            },
            many => Request::SendMediaGroup {
                photos: many.to_vec(),
                caption: Some(caption.to_string()),
            },
        })
        .collect()
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
    for request in photo_requests(photos, caption) {
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
    let lang = staff_chat_language(conn, chat).await?;
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
    topic::sync(conn, update_id, &t, chat, lang).await
}

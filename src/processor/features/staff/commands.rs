//! Staff commands, in the staff group or a private chat with the bot. Every
//! command first checks who is asking; a refusal is polite and logged.

use anyhow::Result;
use chrono::{NaiveDateTime, TimeZone};
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, Message};
use teloxide::utils::command::BotCommands;

use super::desk::{file_ticket_as, say, split_text};
use super::{card, notify};
use crate::domain::office_settings;
use crate::domain::staff::{self, mask_phone, Staff, StaffRole};
use crate::domain::tickets::{self, Actor, Channel, ClaimOutcome, NewTicket, Ticket, TicketId};
use crate::i18n::Lang;
use crate::outbox::{Lane, Outgoing, Request, Target};
use crate::processor::context::Ctx;
use crate::telegram::callback::Callback;
use crate::texts::{self, fill, Phrase};

/// Tickets per `/queue` page.
pub const PAGE: i64 = 10;

/// Commands for the office's staff (a separate set from the owners').
#[derive(BotCommands, Debug, Clone, PartialEq, Eq)]
#[command(rename_rule = "lowercase")]
pub enum StaffCommand {
    Queue(String),
    Next,
    Claim(String),
    Release(String),
    Assign(String),
    Transfer(String),
    Reply(String),
    Note(String),
    Resolve(String),
    Reopen(String),
    Schedule(String),
    Mine,
    Ticket(String),
    Newticket(String),
    Staff(String),
    Settings(String),
}

impl StaffCommand {
    /// The least role that may use the command at all (finer checks, such
    /// as "only the holder", come with the ticket).
    fn needs(&self) -> StaffRole {
        match self {
            StaffCommand::Next
            | StaffCommand::Claim(_)
            | StaffCommand::Release(_)
            | StaffCommand::Resolve(_)
            | StaffCommand::Schedule(_)
            | StaffCommand::Transfer(_) => StaffRole::Butler,
            StaffCommand::Assign(_) | StaffCommand::Reopen(_) => StaffRole::Supervisor,
            StaffCommand::Staff(_) | StaffCommand::Settings(_) => StaffRole::Manager,
            _ => StaffRole::Assistant,
        }
    }
}

/// A staff member at work in a chat.
pub struct Desk {
    pub staff: Staff,
    pub chat_id: i64,
    pub private: bool,
    pub lang: Lang,
}

impl Desk {
    pub async fn say(&self, ctx: &mut Ctx<'_>, text: impl Into<String>) -> Result<()> {
        say(ctx, self.chat_id, text.into()).await
    }

    pub async fn say_phrase(
        &self,
        ctx: &mut Ctx<'_>,
        p: Phrase,
        vars: &[(&str, &str)],
    ) -> Result<()> {
        self.say(ctx, fill(p.get(self.lang), vars)).await
    }

    fn may_act_on(&self, t: &Ticket) -> bool {
        t.assignee == Some(self.staff.telegram_user_id) || self.staff.role.can_assign()
    }
}

/// Says no to `user_id` for `what`, and logs the attempt.
pub async fn refuse(
    ctx: &mut Ctx<'_>,
    chat_id: i64,
    lang: Lang,
    user_id: i64,
    who: Option<&Staff>,
    what: &str,
    needed: StaffRole,
) -> Result<()> {
    tracing::warn!(user_id, chat_id, command = what, role = ?who.map(|s| s.role), "staff command refused");
    let text = match who {
        None => texts::STAFF_ONLY.get(lang).to_string(),
        Some(s) => fill(
            texts::STAFF_ROLE_TOO_LOW.get(lang),
            &[("role", s.role.label(lang)), ("needed", needed.label(lang))],
        ),
    };
    say(ctx, chat_id, text).await
}

/// Runs a parsed staff command for `desk`; `photo` is a photo sent with it
/// (a `/resolve` caption).
pub async fn run(
    ctx: &mut Ctx<'_>,
    desk: &Desk,
    command: StaffCommand,
    photo: Option<String>,
) -> Result<()> {
    let needed = command.needs();
    if desk.staff.role < needed {
        return refuse(
            ctx,
            desk.chat_id,
            desk.lang,
            desk.staff.telegram_user_id,
            Some(&desk.staff),
            &format!("{command:?}"),
            needed,
        )
        .await;
    }
    match command {
        StaffCommand::Queue(page) => {
            let page = page.trim().parse::<i64>().unwrap_or(1).max(1);
            let (text, markup) = queue_page(ctx, desk.lang, page).await?;
            say_with(ctx, desk.chat_id, text, markup).await
        }
        StaffCommand::Next => match tickets::next_open(ctx.conn).await? {
            Some(id) => claim(ctx, desk, id).await.map(|_| ()),
            None => desk.say_phrase(ctx, texts::QUEUE_EMPTY, &[]).await,
        },
        StaffCommand::Claim(arg) => match ticket_arg(ctx, desk, &arg).await? {
            Some(t) => claim(ctx, desk, t.id).await.map(|_| ()),
            None => Ok(()),
        },
        StaffCommand::Release(arg) => release(ctx, desk, &arg).await,
        StaffCommand::Assign(arg) => assign(ctx, desk, &arg, false).await,
        StaffCommand::Transfer(arg) => assign(ctx, desk, &arg, true).await,
        StaffCommand::Reply(arg) => {
            let (id, text) = split_first(&arg);
            let Some(t) = ticket_arg(ctx, desk, id).await? else {
                return Ok(());
            };
            reply(ctx, desk, &t, text, photo).await
        }
        StaffCommand::Note(arg) => note(ctx, desk, &arg).await,
        StaffCommand::Resolve(arg) => resolve(ctx, desk, &arg, photo).await,
        StaffCommand::Reopen(arg) => reopen(ctx, desk, &arg).await,
        StaffCommand::Schedule(arg) => schedule(ctx, desk, &arg).await,
        StaffCommand::Mine => mine(ctx, desk).await,
        StaffCommand::Ticket(arg) => show(ctx, desk, &arg).await,
        StaffCommand::Newticket(arg) => new_ticket(ctx, desk, &arg).await,
        StaffCommand::Staff(arg) => roster(ctx, desk, &arg).await,
        StaffCommand::Settings(arg) => office_settings_command(ctx, desk, &arg).await,
    }
}

/// `("12", "the rest")` from `"12 the rest"`.
fn split_first(s: &str) -> (&str, &str) {
    let s = s.trim();
    match s.split_once(char::is_whitespace) {
        Some((a, b)) => (a, b.trim()),
        None => (s, ""),
    }
}

/// The ticket named by the first word of `arg`, or an answer saying why not.
async fn ticket_arg(ctx: &mut Ctx<'_>, desk: &Desk, arg: &str) -> Result<Option<Ticket>> {
    let (first, _) = split_first(arg);
    let Some(id) = TicketId::parse(first) else {
        desk.say_phrase(ctx, texts::NEED_TICKET_NUMBER, &[]).await?;
        return Ok(None);
    };
    let t = tickets::load(ctx.conn, id).await?;
    if t.is_none() {
        desk.say_phrase(ctx, texts::NO_SUCH_TICKET, &[("id", &id.to_string())])
            .await?;
    }
    Ok(t)
}

async fn say_with(
    ctx: &mut Ctx<'_>,
    chat: i64,
    text: String,
    markup: Option<InlineKeyboardMarkup>,
) -> Result<()> {
    let request = Request::SendMessage {
        text,
        reply_markup: markup.map(Into::into),
        reply_to: None,
    };
    ctx.reply(chat, request).await?;
    Ok(())
}

/// One line per ticket: `#12 🚨 报修 3-2-1101 · 2 小时 · 待认领`.
fn line(t: &Ticket, lang: Lang, now: chrono::DateTime<chrono::Utc>) -> String {
    let overdue = t.status.is_active()
        && (t.due_resolve_at.is_some_and(|d| d < now)
            || (t.first_response_at.is_none() && t.due_response_at.is_some_and(|d| d < now)));
    format!(
        "{}{} {} {} {} · {} · {}",
        if overdue { "⏰ " } else { "" },
        t.id,
        t.priority.label(lang),
        t.kind.label(lang),
        t.unit_code.as_deref().unwrap_or("-"),
        card::age(t.created_at, now, lang),
        t.status.label(lang)
    )
}

/// A page of `/queue` and its Prev / Next buttons.
pub async fn queue_page(
    ctx: &mut Ctx<'_>,
    lang: Lang,
    page: i64,
) -> Result<(String, Option<InlineKeyboardMarkup>)> {
    let (list, total) = tickets::queue(ctx.conn, PAGE, (page - 1) * PAGE).await?;
    if total == 0 {
        return Ok((texts::QUEUE_EMPTY.get(lang).to_string(), None));
    }
    let pages = (total + PAGE - 1) / PAGE;
    let mut text = fill(
        texts::QUEUE_HEADER.get(lang),
        &[
            ("total", &total.to_string()),
            ("page", &page.to_string()),
            ("pages", &pages.to_string()),
        ],
    );
    for t in &list {
        text.push('\n');
        text.push_str(&line(t, lang, ctx.now));
    }
    let mut row = Vec::new();
    if page > 1 {
        row.push(InlineKeyboardButton::callback(
            texts::BUTTON_PREV.get(lang),
            Callback::QueuePage(page - 1).encode(),
        ));
    }
    if page < pages {
        row.push(InlineKeyboardButton::callback(
            texts::BUTTON_NEXT.get(lang),
            Callback::QueuePage(page + 1).encode(),
        ));
    }
    Ok((
        text,
        (!row.is_empty()).then(|| InlineKeyboardMarkup::new([row])),
    ))
}

/// Claims `id` for the desk's staff member; true if they got it.
pub async fn claim(ctx: &mut Ctx<'_>, desk: &Desk, id: TicketId) -> Result<bool> {
    match tickets::claim(ctx.conn, id, desk.staff.telegram_user_id, ctx.now).await? {
        ClaimOutcome::Claimed => {
            after_taken(
                ctx,
                id,
                &desk.staff,
                Actor::Staff(desk.staff.telegram_user_id),
                "claimed",
            )
            .await?;
            desk.say_phrase(ctx, texts::CLAIMED_BY_YOU, &[("id", &id.to_string())])
                .await?;
            Ok(true)
        }
        ClaimOutcome::NotFound => {
            desk.say_phrase(ctx, texts::NO_SUCH_TICKET, &[("id", &id.to_string())])
                .await?;
            Ok(false)
        }
        ClaimOutcome::Taken { status, assignee } => {
            let text = taken_text(ctx, desk.lang, id, status, assignee).await?;
            desk.say(ctx, text).await?;
            Ok(false)
        }
    }
}

/// "#12 is already held by 管家 #3 张三" / "#12 is resolved".
pub async fn taken_text(
    ctx: &mut Ctx<'_>,
    lang: Lang,
    id: TicketId,
    status: tickets::TicketStatus,
    assignee: Option<i64>,
) -> Result<String> {
    let holder = match assignee {
        Some(a) if status.is_active() => staff::by_telegram_id(ctx.conn, a).await?,
        _ => None,
    };
    Ok(match holder {
        Some(h) => fill(
            texts::ALREADY_HELD.get(lang),
            &[("id", &id.to_string()), ("who", &h.display(lang))],
        ),
        None => fill(
            texts::NOT_OPEN.get(lang),
            &[("id", &id.to_string()), ("status", status.label(lang))],
        ),
    })
}

/// What follows a ticket changing hands: its event, the card, the owner's
/// status push (first time only), and a note to the new holder.
pub async fn after_taken(
    ctx: &mut Ctx<'_>,
    id: TicketId,
    holder: &Staff,
    actor: Actor,
    event: &str,
) -> Result<()> {
    tickets::add_event(
        ctx.conn,
        id,
        ctx.now,
        actor,
        event,
        None,
        true,
        serde_json::json!({ "assignee": holder.telegram_user_id, "staff_no": holder.staff_no }),
    )
    .await?;
    card::refresh(ctx, id).await?;
    if let Some(t) = tickets::load(ctx.conn, id).await? {
        notify::owner_taken(ctx, &t, holder).await?;
    }
    Ok(())
}

async fn release(ctx: &mut Ctx<'_>, desk: &Desk, arg: &str) -> Result<()> {
    let Some(t) = ticket_arg(ctx, desk, arg).await? else {
        return Ok(());
    };
    if t.assignee.is_none() || !desk.may_act_on(&t) {
        let text = taken_text(ctx, desk.lang, t.id, t.status, t.assignee).await?;
        return desk.say(ctx, text).await;
    }
    if !tickets::release(ctx.conn, t.id, ctx.now).await? {
        let text = taken_text(ctx, desk.lang, t.id, t.status, t.assignee).await?;
        return desk.say(ctx, text).await;
    }
    tickets::add_event(
        ctx.conn,
        t.id,
        ctx.now,
        Actor::Staff(desk.staff.telegram_user_id),
        "released",
        None,
        true,
        serde_json::Value::Null,
    )
    .await?;
    card::refresh(ctx, t.id).await?;
    desk.say_phrase(ctx, texts::RELEASED, &[("id", &t.id.to_string())])
        .await
}

/// `/assign N @staff` (supervisors) and `/transfer N @staff` (the holder or
/// a supervisor).
async fn assign(ctx: &mut Ctx<'_>, desk: &Desk, arg: &str, transfer: bool) -> Result<()> {
    let (_, who) = split_first(arg);
    let Some(t) = ticket_arg(ctx, desk, arg).await? else {
        return Ok(());
    };
    if who.is_empty() {
        return desk.say_phrase(ctx, texts::NEED_STAFF_REF, &[]).await;
    }
    if transfer && !desk.may_act_on(&t) {
        let text = taken_text(ctx, desk.lang, t.id, t.status, t.assignee).await?;
        return desk.say(ctx, text).await;
    }
    let Some(target) = staff::find(ctx.conn, who).await? else {
        return desk
            .say_phrase(ctx, texts::NO_SUCH_STAFF, &[("who", who)])
            .await;
    };
    assign_to(ctx, desk, &t, &target).await
}

/// Gives `t` to `target`, telling everyone concerned.
pub async fn assign_to(ctx: &mut Ctx<'_>, desk: &Desk, t: &Ticket, target: &Staff) -> Result<()> {
    if !tickets::assign(ctx.conn, t.id, ctx.now, target.telegram_user_id).await? {
        let text = taken_text(ctx, desk.lang, t.id, t.status, t.assignee).await?;
        return desk.say(ctx, text).await;
    }
    after_taken(
        ctx,
        t.id,
        target,
        Actor::Staff(desk.staff.telegram_user_id),
        "assigned",
    )
    .await?;
    notify::staff_assigned(ctx, t.id, target).await?;
    desk.say_phrase(
        ctx,
        texts::ASSIGNED,
        &[
            ("id", &t.id.to_string()),
            ("who", &target.display(desk.lang)),
        ],
    )
    .await
}

/// Sends `text` (and `photo`) to the ticket's owner, signed by the office.
pub async fn reply(
    ctx: &mut Ctx<'_>,
    desk: &Desk,
    t: &Ticket,
    text: &str,
    photo: Option<String>,
) -> Result<()> {
    if text.trim().is_empty() && photo.is_none() {
        return desk.say_phrase(ctx, texts::NEED_REPLY_TEXT, &[]).await;
    }
    if t.assignee.is_some() && !desk.may_act_on(t) {
        let text = taken_text(ctx, desk.lang, t.id, t.status, t.assignee).await?;
        return desk.say(ctx, text).await;
    }
    let Some(owner) = t.owner_chat_id else {
        return desk
            .say_phrase(ctx, texts::NO_OWNER_CHAT, &[("id", &t.id.to_string())])
            .await;
    };
    if !crate::domain::chats::is_reachable(ctx.conn, owner).await? {
        let phone = phone_for(desk, t);
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
        serde_json::json!({ "photo": photo }),
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

fn phone_for(desk: &Desk, t: &Ticket) -> String {
    match &t.person_phone {
        Some(p) if desk.staff.role.sees_full_phone() && desk.private => p.clone(),
        Some(p) => mask_phone(p),
        None => "-".into(),
    }
}

async fn note(ctx: &mut Ctx<'_>, desk: &Desk, arg: &str) -> Result<()> {
    let (_, text) = split_first(arg);
    let Some(t) = ticket_arg(ctx, desk, arg).await? else {
        return Ok(());
    };
    if text.is_empty() {
        return desk.say_phrase(ctx, texts::NEED_NOTE_TEXT, &[]).await;
    }
    tickets::add_event(
        ctx.conn,
        t.id,
        ctx.now,
        Actor::Staff(desk.staff.telegram_user_id),
        "note",
        Some(text),
        true,
        serde_json::Value::Null,
    )
    .await?;
    desk.say_phrase(ctx, texts::NOTE_SAVED, &[("id", &t.id.to_string())])
        .await
}

async fn resolve(ctx: &mut Ctx<'_>, desk: &Desk, arg: &str, photo: Option<String>) -> Result<()> {
    let (_, note) = split_first(arg);
    let Some(t) = ticket_arg(ctx, desk, arg).await? else {
        return Ok(());
    };
    // An unclaimed ticket may be resolved by anyone who could claim it.
    if t.assignee.is_some() && !desk.may_act_on(&t) {
        let text = taken_text(ctx, desk.lang, t.id, t.status, t.assignee).await?;
        return desk.say(ctx, text).await;
    }
    if !tickets::resolve(ctx.conn, t.id, ctx.now).await? {
        let text = taken_text(ctx, desk.lang, t.id, t.status, t.assignee).await?;
        return desk.say(ctx, text).await;
    }
    if t.assignee.is_none() {
        tickets::assign(ctx.conn, t.id, ctx.now, desk.staff.telegram_user_id).await?;
    }
    if let Some(p) = &photo {
        tickets::attach(ctx.conn, t.id, p, ctx.now).await?;
    }
    tickets::add_event(
        ctx.conn,
        t.id,
        ctx.now,
        Actor::Staff(desk.staff.telegram_user_id),
        "resolved",
        (!note.is_empty()).then_some(note),
        false,
        serde_json::json!({ "photo": photo }),
    )
    .await?;
    card::refresh(ctx, t.id).await?;
    notify::owner_resolved(ctx, &t, &desk.staff, note, photo.as_deref()).await?;
    desk.say_phrase(ctx, texts::RESOLVED_OK, &[("id", &t.id.to_string())])
        .await
}

async fn reopen(ctx: &mut Ctx<'_>, desk: &Desk, arg: &str) -> Result<()> {
    let Some(t) = ticket_arg(ctx, desk, arg).await? else {
        return Ok(());
    };
    let deadline = office_settings::load(ctx.conn)
        .await?
        .deadline(t.kind, t.priority);
    if !tickets::reopen(ctx.conn, t.id, ctx.now, deadline).await? {
        let text = taken_text(ctx, desk.lang, t.id, t.status, t.assignee).await?;
        return desk.say(ctx, text).await;
    }
    tickets::add_event(
        ctx.conn,
        t.id,
        ctx.now,
        Actor::Staff(desk.staff.telegram_user_id),
        "reopened",
        None,
        false,
        serde_json::Value::Null,
    )
    .await?;
    card::refresh(ctx, t.id).await?;
    notify::owner_reopened(ctx, &t).await?;
    desk.say_phrase(ctx, texts::REOPENED, &[("id", &t.id.to_string())])
        .await
}

/// `/schedule N YYYY-MM-DD HH:MM` (local time): books the visit.
async fn schedule(ctx: &mut Ctx<'_>, desk: &Desk, arg: &str) -> Result<()> {
    let (_, when) = split_first(arg);
    let Some(t) = ticket_arg(ctx, desk, arg).await? else {
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
    if !desk.may_act_on(&t) || !tickets::schedule(ctx.conn, t.id, ctx.now, at).await? {
        let text = taken_text(ctx, desk.lang, t.id, t.status, t.assignee).await?;
        return desk.say(ctx, text).await;
    }
    tickets::add_event(
        ctx.conn,
        t.id,
        ctx.now,
        Actor::Staff(desk.staff.telegram_user_id),
        "scheduled",
        Some(&card::local(at, tz)),
        false,
        serde_json::json!({ "appointment_at": at }),
    )
    .await?;
    card::refresh(ctx, t.id).await?;
    notify::owner_scheduled(ctx, &t, at).await?;
    desk.say_phrase(
        ctx,
        texts::SCHEDULED_OK,
        &[("id", &t.id.to_string()), ("at", &card::local(at, tz))],
    )
    .await
}

async fn mine(ctx: &mut Ctx<'_>, desk: &Desk) -> Result<()> {
    let list = tickets::held_by(ctx.conn, desk.staff.telegram_user_id).await?;
    if list.is_empty() {
        return desk.say_phrase(ctx, texts::MINE_EMPTY, &[]).await;
    }
    let mut text = texts::MINE_HEADER.get(desk.lang).to_string();
    for t in &list {
        text.push('\n');
        text.push_str(&line(t, desk.lang, ctx.now));
    }
    for part in split_text(&text) {
        desk.say(ctx, part).await?;
    }
    Ok(())
}

/// `/ticket N`: the card, the full description and the whole history
/// (internal notes included — this is staff only).
async fn show(ctx: &mut Ctx<'_>, desk: &Desk, arg: &str) -> Result<()> {
    let Some(t) = ticket_arg(ctx, desk, arg).await? else {
        return Ok(());
    };
    let lang = desk.lang;
    let tz = ctx.app.settings.timezone;
    let assignee = card::assignee_of(ctx, &t).await?;
    let mut text = card::render(&t, assignee.as_ref(), lang, ctx.now, tz);
    if let (Some(p), true) = (
        &t.person_phone,
        desk.staff.role.sees_full_phone() && desk.private,
    ) {
        text.push_str(&format!("\n{}: {p}", texts::CARD_PHONE.get(lang)));
    }
    if t.description.chars().count() > 1500 {
        text.push_str(&format!("\n\n{}", t.description));
    }
    text.push_str(&format!("\n\n{}", texts::HISTORY.get(lang)));
    for e in tickets::history(ctx.conn, t.id).await? {
        let who = match (e.actor_kind.as_str(), e.actor_id) {
            ("staff", Some(id)) => match staff::by_telegram_id(ctx.conn, id).await? {
                Some(s) => s.display(lang),
                None => format!("staff {id}"),
            },
            ("owner", _) => texts::ACTOR_OWNER.get(lang).to_string(),
            _ => texts::ACTOR_SYSTEM.get(lang).to_string(),
        };
        text.push_str(&format!(
            "\n{} {}{} {}{}",
            card::local(e.at, tz),
            if e.internal { "🔒 " } else { "" },
            who,
            e.kind,
            e.body.map(|b| format!(": {b}")).unwrap_or_default()
        ));
    }
    for part in split_text(&text) {
        desk.say(ctx, part).await?;
    }
    Ok(())
}

/// `/newticket UNIT kind [phone|walk-in] text`: a report taken by phone or
/// at the desk. The unit's default member (if they use the bot) gets the
/// status pushes.
async fn new_ticket(ctx: &mut Ctx<'_>, desk: &Desk, arg: &str) -> Result<()> {
    let (unit_code, rest) = split_first(arg);
    let (kind, rest) = split_first(rest);
    let (maybe_channel, after) = split_first(rest);
    let (channel, text) = match Channel::from_user(maybe_channel) {
        Some(c) => (c, after),
        None => (Channel::Phone, rest),
    };
    let Some(kind) = tickets::TicketKind::from_user(kind) else {
        return desk.say_phrase(ctx, texts::NEWTICKET_USAGE, &[]).await;
    };
    if text.is_empty() {
        return desk.say_phrase(ctx, texts::NEWTICKET_USAGE, &[]).await;
    }
    let unit = sqlx::query_as::<_, (i64, Option<i64>, Option<i64>)>(
        "SELECT u.id, m.person_id, p.telegram_user_id
           FROM units u
           LEFT JOIN LATERAL (
               SELECT person_id FROM unit_members WHERE unit_id = u.id
                ORDER BY is_default DESC, role = 'owner' DESC, created_at LIMIT 1) m ON TRUE
           LEFT JOIN people p ON p.id = m.person_id
          WHERE u.code = $1",
    )
    .bind(unit_code)
    .fetch_optional(&mut *ctx.conn)
    .await?;
    let Some((unit_id, person_id, owner_user)) = unit else {
        return desk
            .say_phrase(ctx, texts::NO_SUCH_UNIT, &[("unit", unit_code)])
            .await;
    };
    let mut new = NewTicket::new(kind, text);
    new.unit_id = Some(unit_id);
    new.person_id = person_id;
    new.owner_chat_id = owner_user;
    new.channel = channel;
    new.fields = serde_json::json!({ "filed_by_staff": desk.staff.staff_no });
    let filed = file_ticket_as(ctx, new, Actor::Staff(desk.staff.telegram_user_id)).await?;
    desk.say_phrase(ctx, texts::NEWTICKET_OK, &[("id", &filed.id.to_string())])
        .await
}

/// `/staff` (list), `/staff add TELEGRAM_ID ROLE NAME`, `/staff remove NO`,
/// `/staff role NO ROLE` — managers, in a private chat only.
async fn roster(ctx: &mut Ctx<'_>, desk: &Desk, arg: &str) -> Result<()> {
    if !desk.private {
        return desk.say_phrase(ctx, texts::STAFF_PRIVATE_ONLY, &[]).await;
    }
    let (verb, rest) = split_first(arg);
    let (a, rest2) = split_first(rest);
    let (b, name) = split_first(rest2);
    match verb {
        "" | "list" => {
            let mut text = texts::STAFF_LIST.get(desk.lang).to_string();
            for s in staff::all_active(ctx.conn).await? {
                text.push_str(&format!(
                    "\n{} · {}{}",
                    s.display(desk.lang),
                    s.telegram_user_id,
                    s.username.map(|u| format!(" · @{u}")).unwrap_or_default()
                ));
            }
            desk.say(ctx, text).await
        }
        "add" => {
            let (Ok(id), Some(role)) = (a.parse::<i64>(), StaffRole::parse(b)) else {
                return desk.say_phrase(ctx, texts::STAFF_USAGE, &[]).await;
            };
            if name.is_empty() {
                return desk.say_phrase(ctx, texts::STAFF_USAGE, &[]).await;
            }
            let s = staff::upsert(ctx.conn, id, name, role).await?;
            tracing::info!(
                by = desk.staff.staff_no,
                staff_no = s.staff_no,
                role = role.as_str(),
                "staff added"
            );
            desk.say_phrase(ctx, texts::STAFF_SAVED, &[("who", &s.display(desk.lang))])
                .await
        }
        "remove" => {
            let Some(no) = a.trim_start_matches('#').parse::<i32>().ok() else {
                return desk.say_phrase(ctx, texts::STAFF_USAGE, &[]).await;
            };
            if no == desk.staff.staff_no {
                return desk.say_phrase(ctx, texts::STAFF_NOT_SELF, &[]).await;
            }
            let done = staff::deactivate(ctx.conn, no).await?;
            let p = if done {
                texts::STAFF_REMOVED
            } else {
                texts::NO_SUCH_STAFF
            };
            desk.say_phrase(ctx, p, &[("who", &format!("#{no}"))]).await
        }
        "role" => {
            let (Some(no), Some(role)) = (
                a.trim_start_matches('#').parse::<i32>().ok(),
                StaffRole::parse(b),
            ) else {
                return desk.say_phrase(ctx, texts::STAFF_USAGE, &[]).await;
            };
            let done = staff::set_role(ctx.conn, no, role).await?;
            let p = if done {
                texts::STAFF_ROLE_SET
            } else {
                texts::NO_SUCH_STAFF
            };
            desk.say_phrase(
                ctx,
                p,
                &[("who", &format!("#{no}")), ("role", role.label(desk.lang))],
            )
            .await
        }
        _ => desk.say_phrase(ctx, texts::STAFF_USAGE, &[]).await,
    }
}

/// `/settings` (every office setting: value, default, meaning) and
/// `/settings set KEY VALUE` — managers, in the staff group or privately.
async fn office_settings_command(ctx: &mut Ctx<'_>, desk: &Desk, arg: &str) -> Result<()> {
    let (verb, rest) = split_first(arg);
    match verb {
        "" | "show" | "list" => {
            let mut text = texts::SETTINGS_TITLE.get(desk.lang).to_string();
            for line in office_settings::show(ctx.conn, desk.lang).await? {
                text.push_str(&format!(
                    "\n\n{} = {} [{}]\n{}",
                    line.key, line.value, line.default, line.meaning
                ));
            }
            desk.say(ctx, text).await
        }
        "set" => {
            let (key, value) = split_first(rest);
            if key.is_empty() || value.is_empty() {
                return desk.say_phrase(ctx, texts::SETTINGS_USAGE, &[]).await;
            }
            let who = format!(
                "staff #{} {} (Telegram {})",
                desk.staff.staff_no, desk.staff.name, desk.staff.telegram_user_id
            );
            match office_settings::set(ctx.conn, key, value, &who).await? {
                Ok(change) => {
                    desk.say_phrase(
                        ctx,
                        texts::SETTING_CHANGED,
                        &[
                            ("key", &change.key),
                            ("old", &change.old),
                            ("new", &change.new),
                        ],
                    )
                    .await
                }
                Err(refusal) => {
                    tracing::info!(
                        key,
                        value,
                        by = desk.staff.staff_no,
                        "office setting refused"
                    );
                    desk.say(ctx, refusal.sentence(desk.lang)).await
                }
            }
        }
        _ => desk.say_phrase(ctx, texts::SETTINGS_USAGE, &[]).await,
    }
}

/// The staff picker shown by the Assign button (supervisors only).
pub async fn assign_picker(
    ctx: &mut Ctx<'_>,
    lang: Lang,
    id: TicketId,
) -> Result<InlineKeyboardMarkup> {
    let people = staff::with_role_at_least(ctx.conn, StaffRole::Butler).await?;
    let buttons: Vec<InlineKeyboardButton> = people
        .iter()
        .take(30)
        .map(|s| {
            InlineKeyboardButton::callback(
                format!("{} #{} {}", s.role.label(lang), s.staff_no, s.name),
                Callback::GiveTo {
                    ticket: id,
                    staff_no: s.staff_no,
                }
                .encode(),
            )
        })
        .collect();
    Ok(InlineKeyboardMarkup::new(
        buttons.chunks(2).map(<[_]>::to_vec),
    ))
}

/// Edits a `/queue` message to show another page.
pub async fn turn_page(
    ctx: &mut Ctx<'_>,
    chat: i64,
    message_id: i32,
    lang: Lang,
    page: i64,
) -> Result<()> {
    let (text, markup) = queue_page(ctx, lang, page.max(1)).await?;
    ctx.send(Outgoing::new(
        chat,
        Lane::Reply,
        Request::EditMessageText {
            target: Target::Message(message_id),
            text,
            reply_markup: markup,
        },
    ))
    .await?;
    Ok(())
}

/// The photo of a message (its largest size), if any.
#[must_use]
pub fn photo_of(msg: &Message) -> Option<String> {
    msg.photo()
        .and_then(|sizes| sizes.last())
        .map(|p| p.file.id.0.clone())
}

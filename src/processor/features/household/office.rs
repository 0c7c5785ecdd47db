//! The office's side: a registration request completed from its card (bind
//! the applicant as owner, tenant or family, or refuse with a reason) and
//! `/unbind` for someone who moved out. Binding and unbinding need a
//! butler or above; whoever is bound or unbound is told.

use anyhow::Result;
use serde_json::Value;
use teloxide::types::{CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message};

use super::owner::member_line;
use super::reminders::offer_reminders;
use crate::domain::households::{self, Actor, Binding, Source};
use crate::domain::phone::Phone;
use crate::domain::staff::{self as roster, Staff, StaffRole};
use crate::domain::tickets::transition::{self, Move, Transition};
use crate::domain::tickets::{self, Ticket, TicketId, TicketKind};
use crate::domain::units::Role;
use crate::domain::{chats, people};
use crate::i18n::Lang;
use crate::outbox::Request;
use crate::processor::context::Ctx;
use crate::processor::conversation::{self, Key, Waiting};
use crate::processor::features::staff::desk::{
    answer_alert, desk_lang, say, split_first, unit_arg, Desk,
};
use crate::processor::features::staff::{card, outcome};
use crate::processor::main_menu::main_menu;
use crate::processor::reply::{answer, remove_buttons, Sender};
use crate::telegram::callback::Callback;
use crate::texts::{self, household as words};

/// The least role that binds and unbinds people.
pub const BINDS: StaffRole = StaffRole::Butler;

/// The staff member pressing, when they may bind (else refused with an
/// alert, logged) and the language of the chat.
async fn binder(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    q: &CallbackQuery,
) -> Result<Option<(Staff, Lang)>> {
    let data = q.data.as_deref().unwrap_or_default();
    let Some(member) = roster::by_telegram_id(ctx.conn, from.user_id).await? else {
        tracing::warn!(
            user_id = from.user_id,
            data,
            "household button pressed by someone not on the staff"
        );
        answer_alert(ctx, q, texts::STAFF_ONLY.get(from.lang)).await?;
        return Ok(None);
    };
    let lang = desk_lang(ctx, from).await?;
    if member.role < BINDS {
        tracing::warn!(user_id = from.user_id, data, role = ?member.role, "household button refused");
        let text = texts::STAFF_ROLE_TOO_LOW.fill(
            lang,
            &[
                ("role", member.role.label(lang)),
                ("needed", BINDS.label(lang)),
            ],
        );
        answer_alert(ctx, q, &text).await?;
        return Ok(None);
    }
    Ok(Some((member, lang)))
}

/// A registration request still waiting: the ticket, its applicant's
/// Telegram account and the unit they named.
struct Pending {
    ticket: Ticket,
    applicant: i64,
    unit_id: i64,
    unit_code: String,
}

/// The pending registration request `id`, or `None` after an alert saying
/// why it cannot be completed with a button.
async fn pending(
    ctx: &mut Ctx<'_>,
    q: Option<&CallbackQuery>,
    chat: i64,
    lang: Lang,
    id: TicketId,
) -> Result<Option<Pending>> {
    let t = tickets::load(ctx.conn, id).await?;
    let refusal = match t {
        Some(t) if t.kind == TicketKind::Registration && t.status.is_active() => {
            let applicant = t
                .fields
                .get("applicant_user_id")
                .and_then(Value::as_i64)
                .or(t.owner_chat_id);
            match (applicant, t.unit_id, t.unit_code.clone()) {
                (Some(applicant), Some(unit_id), Some(unit_code)) => {
                    return Ok(Some(Pending {
                        ticket: t,
                        applicant,
                        unit_id,
                        unit_code,
                    }))
                }
                _ => words::NO_APPLICANT,
            }
        }
        _ => words::NOT_PENDING,
    };
    match q {
        Some(q) => answer_alert(ctx, q, refusal.get(lang)).await?,
        None => say(ctx, chat, refusal.get(lang).to_string()).await?,
    }
    Ok(None)
}

/// Resolves and closes registration request `id` with `note` for staff
/// member `by`; false (and the reason said in `chat`) if someone else got
/// there first.
async fn finish(
    ctx: &mut Ctx<'_>,
    chat: i64,
    lang: Lang,
    by: &Staff,
    id: TicketId,
    note: String,
) -> Result<bool> {
    let actor = tickets::Actor::Staff(by.telegram_user_id);
    let resolve = Transition::Resolve {
        note: Some(note),
        photo: None,
    };
    if let Err(refusal) = transition::perform(ctx.conn, id, resolve, actor, ctx.now).await? {
        let text = outcome::refusal_text(ctx, lang, id, Move::Resolve, refusal).await?;
        say(ctx, chat, text).await?;
        return Ok(false);
    }
    // Nothing more to do on it: no rating, no reopening.
    let _ = transition::perform(ctx.conn, id, Transition::Close, actor, ctx.now).await?;
    card::refresh(ctx, id).await?;
    Ok(true)
}

/// "Bind as owner / tenant / family" on a registration card.
pub(super) async fn bind_applicant(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    q: &CallbackQuery,
    id: TicketId,
    role: Role,
) -> Result<()> {
    let Some((member, lang)) = binder(ctx, from, q).await? else {
        return Ok(());
    };
    let Some(request) = pending(ctx, Some(q), from.chat_id, lang, id).await? else {
        return Ok(());
    };
    answer(ctx, q, None).await?;
    let note = words::BIND_NOTE.fill(
        lang,
        &[("unit", &request.unit_code), ("role", role.label(lang))],
    );
    if !finish(ctx, from.chat_id, lang, &member, id, note).await? {
        return Ok(());
    }
    let fields = &request.ticket.fields;
    let text_field = |k: &str| fields.get(k).and_then(Value::as_str).unwrap_or_default();
    let phone = Phone::parse(text_field("phone")).ok();
    let applicant_lang = chats::language(ctx.conn, request.applicant)
        .await?
        .or_else(|| Lang::parse(text_field("applicant_lang")))
        .unwrap_or_default();
    let name = match text_field("name") {
        "" => format!("Telegram {}", request.applicant),
        name => name.to_string(),
    };
    let person = people::for_account(
        ctx.conn,
        request.applicant,
        phone.as_ref(),
        &name,
        applicant_lang.code(),
    )
    .await?;
    let binding = Binding {
        unit_id: request.unit_id,
        person_id: person,
        role,
        source: Source::Staff,
        invited_by: None,
    };
    let note = format!("registration request {id}");
    let actor = Actor::Staff(member.telegram_user_id);
    households::bind(ctx.conn, binding, actor, Some(&note), ctx.now).await?;
    let text = words::BOUND_APPLICANT.fill(
        applicant_lang,
        &[
            ("unit", &request.unit_code),
            ("role", role.label(applicant_lang)),
        ],
    );
    ctx.reply(
        request.applicant,
        Request::text_with(text, main_menu(applicant_lang)),
    )
    .await?;
    offer_reminders(ctx, request.applicant, applicant_lang).await?;
    let text = words::BOUND_STAFF.fill(
        lang,
        &[
            ("id", &id.to_string()),
            ("name", &name),
            ("unit", &request.unit_code),
            ("role", role.label(lang)),
        ],
    );
    tracing::info!(
        ticket = id.0,
        unit = request.unit_id,
        role = role.as_str(),
        by = member.staff_no,
        "applicant bound"
    );
    say(ctx, from.chat_id, text).await
}

/// "Refuse" on a registration card: asks the presser for the reason.
pub(super) async fn ask_reason(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    q: &CallbackQuery,
    id: TicketId,
) -> Result<()> {
    let Some((_, lang)) = binder(ctx, from, q).await? else {
        return Ok(());
    };
    if pending(ctx, Some(q), from.chat_id, lang, id)
        .await?
        .is_none()
    {
        return Ok(());
    }
    answer(ctx, q, None).await?;
    let key = Key {
        chat_id: from.chat_id,
        user_id: from.user_id,
    };
    conversation::wait_for(ctx, key, &Waiting::RegistrationRefusal { ticket: id.0 }).await?;
    let text = words::REFUSE_ASK.fill(lang, &[("id", &id.to_string())]);
    say(ctx, from.chat_id, text).await
}

/// The reason for refusing registration request `ticket`, from the staff
/// member who pressed Refuse. A command is not the reason (false: it runs
/// as usual and the question stays).
pub async fn on_refusal_reason(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    msg: &Message,
    ticket: i64,
) -> Result<bool> {
    let Some(reason) = msg.text().map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(false);
    };
    if reason.starts_with('/') {
        return Ok(false);
    }
    let key = Key {
        chat_id: from.chat_id,
        user_id: from.user_id,
    };
    conversation::clear(ctx.conn, key).await?;
    let lang = desk_lang(ctx, from).await?;
    let Some(member) = roster::by_telegram_id(ctx.conn, from.user_id)
        .await?
        .filter(|m| m.role >= BINDS)
    else {
        say(ctx, from.chat_id, texts::STAFF_ONLY.get(lang).to_string()).await?;
        return Ok(true);
    };
    let id = TicketId(ticket);
    let Some(request) = pending(ctx, None, from.chat_id, lang, id).await? else {
        return Ok(true);
    };
    if !finish(ctx, from.chat_id, lang, &member, id, reason.to_string()).await? {
        return Ok(true);
    }
    let applicant_lang = chats::language(ctx.conn, request.applicant)
        .await?
        .unwrap_or_default();
    let text = words::REFUSED_APPLICANT.fill(
        applicant_lang,
        &[("id", &id.to_string()), ("reason", reason)],
    );
    ctx.reply(
        request.applicant,
        Request::text_with(text, main_menu(applicant_lang)),
    )
    .await?;
    tracing::info!(
        ticket = ticket,
        by = member.staff_no,
        "registration refused"
    );
    let text = words::REFUSED_STAFF.fill(lang, &[("id", &id.to_string())]);
    say(ctx, from.chat_id, text).await?;
    Ok(true)
}

/// `/unbind UNIT [phone|name]` (butler and above; the command set checks
/// the role): lists the unit's members with a button each, or unbinds the
/// one named.
pub async fn unbind_command(ctx: &mut Ctx<'_>, desk: &Desk, arg: &str) -> Result<()> {
    let (unit_text, who) = split_first(arg);
    if unit_text.is_empty() {
        return desk.say_phrase(ctx, words::UNBIND_USAGE, &[]).await;
    }
    let Some(unit) = unit_arg(ctx, desk.chat_id, desk.lang, unit_text).await? else {
        return Ok(());
    };
    let members = households::members_of_unit(ctx.conn, unit.id).await?;
    let lang = desk.lang;
    if who.is_empty() {
        if members.is_empty() {
            return desk
                .say_phrase(ctx, words::UNBIND_NOBODY, &[("unit", &unit.code)])
                .await;
        }
        let rows: Vec<Vec<InlineKeyboardButton>> = members
            .iter()
            .map(|m| {
                vec![InlineKeyboardButton::callback(
                    words::BUTTON_UNBIND
                        .fill(lang, &[("name", &m.name), ("role", m.role.label(lang))]),
                    Callback::Unbind {
                        unit: unit.id,
                        person: m.person_id,
                    }
                    .encode(),
                )]
            })
            .collect();
        let text = words::UNBIND_PICK.fill(lang, &[("unit", &unit.code)]);
        ctx.reply(
            desk.chat_id,
            Request::text_with(text, InlineKeyboardMarkup::new(rows)),
        )
        .await?;
        return Ok(());
    }
    let phone = Phone::parse(who).ok();
    let named: Vec<i64> = members
        .iter()
        .filter(|m| match &phone {
            Some(p) => m.phone.as_deref() == Some(p.as_str()),
            None => m.name == who,
        })
        .map(|m| m.person_id)
        .collect();
    match named.as_slice() {
        [] => {
            desk.say_phrase(
                ctx,
                words::UNBIND_NO_MATCH,
                &[("unit", &unit.code), ("who", who)],
            )
            .await
        }
        [person] => unbind(ctx, desk.chat_id, lang, &desk.staff, unit.id, *person).await,
        _ => {
            desk.say_phrase(
                ctx,
                words::UNBIND_AMBIGUOUS,
                &[("unit", &unit.code), ("who", who)],
            )
            .await
        }
    }
}

/// "Unbind 王芳" after `/unbind UNIT`.
pub(super) async fn unbind_button(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    q: &CallbackQuery,
    unit: i64,
    person: i64,
) -> Result<()> {
    let Some((member, lang)) = binder(ctx, from, q).await? else {
        return Ok(());
    };
    answer(ctx, q, None).await?;
    remove_buttons(ctx, q).await?;
    unbind(ctx, from.chat_id, lang, &member, unit, person).await
}

/// Unbinds `person` from `unit` (and those they invited to it), tells each
/// of them, and lists them to the staff member.
async fn unbind(
    ctx: &mut Ctx<'_>,
    chat: i64,
    lang: Lang,
    by: &Staff,
    unit: i64,
    person: i64,
) -> Result<()> {
    let members = households::members_of_unit(ctx.conn, unit).await?;
    let code = households::unit_code(ctx.conn, unit)
        .await?
        .unwrap_or_default();
    let actor = Actor::Staff(by.telegram_user_id);
    let removed = households::unbind(ctx.conn, unit, person, actor, None, ctx.now).await?;
    if removed.is_empty() {
        let text = words::GONE_ALREADY.fill(lang, &[("unit", &code)]);
        return say(ctx, chat, text).await;
    }
    let mut names = Vec::new();
    for r in &removed {
        if let Some(m) = members.iter().find(|m| m.person_id == r.person_id) {
            names.push(member_line(lang, m, &members, None));
        }
        if let Some(user) = r.telegram_user_id {
            let their = chats::language(ctx.conn, user).await?.unwrap_or_default();
            let text = words::UNBOUND_NOTICE.fill(their, &[("unit", &code)]);
            ctx.reply(user, Request::text(text)).await?;
        }
    }
    tracing::info!(
        unit,
        person,
        removed = removed.len(),
        by = by.staff_no,
        "unbound"
    );
    let text = words::UNBOUND.fill(lang, &[("unit", &code), ("names", &names.join("\n"))]);
    say(ctx, chat, text).await
}

//! The owner's side: `/household` (each unit's members; invite and remove
//! buttons for an owner), invitation links, and the invited person opening
//! one.

use anyhow::Result;
use chrono::{DateTime, Duration, Utc};
use teloxide::types::{CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message};

use super::reminders::offer_reminders;
use crate::domain::households::{self, Actor, Member, Refusal};
use crate::domain::units::{self, MemberUnit, Role};
use crate::domain::{chats, office_settings, people};
use crate::i18n::Lang;
use crate::outbox::Request;
use crate::processor::context::Ctx;
use crate::processor::main_menu::main_menu;
use crate::processor::reply::{answer, remove_buttons, Sender};
use crate::telegram::callback::Callback;
use crate::texts::household as words;

/// Units shown by one `/household` (one message each).
const MAX_UNITS: usize = 10;

/// `/household`: one message per unit of the person's.
pub async fn on_command(ctx: &mut Ctx<'_>, from: &Sender) -> Result<()> {
    let lang = from.lang;
    let person = people::find_person_by_telegram_id(ctx.conn, from.user_id).await?;
    let mine = match &person {
        Some(p) => units::units_of_person(ctx.conn, p.id).await?,
        None => Vec::new(),
    };
    let (Some(person), false) = (person, mine.is_empty()) else {
        return ctx
            .reply(from.chat_id, Request::text(words::NOT_REGISTERED.get(lang)))
            .await
            .map(drop);
    };
    for unit in mine.iter().take(MAX_UNITS) {
        let members = households::members_of_unit(ctx.conn, unit.unit_id).await?;
        let (text, keyboard) = unit_card(lang, unit, &members, person.id);
        let request = match keyboard {
            Some(k) => Request::text_with(text, k),
            None => Request::text(text),
        };
        ctx.reply(from.chat_id, request).await?;
    }
    Ok(())
}

/// One unit's members; for an owner, a Remove button per family member or
/// tenant and the two invitation buttons.
fn unit_card(
    lang: Lang,
    unit: &MemberUnit,
    members: &[Member],
    me: i64,
) -> (String, Option<InlineKeyboardMarkup>) {
    let mut lines = vec![words::UNIT_HEADER.fill(
        lang,
        &[("unit", &unit.code), ("role", unit.role.label(lang))],
    )];
    for m in members {
        lines.push(member_line(lang, m, members, Some(me)));
    }
    if unit.role != Role::Owner {
        lines.push(String::new());
        lines.push(words::NOT_OWNER_NOTE.get(lang).to_string());
        return (lines.join("\n"), None);
    }
    lines.push(String::new());
    lines.push(words::OWNER_ACTIONS.get(lang).to_string());
    let mut rows: Vec<Vec<InlineKeyboardButton>> = members
        .iter()
        .filter(|m| m.person_id != me && m.role != Role::Owner)
        .map(|m| {
            vec![InlineKeyboardButton::callback(
                words::BUTTON_REMOVE.fill(lang, &[("name", &m.name)]),
                Callback::HouseholdRemove {
                    unit: unit.unit_id,
                    person: m.person_id,
                }
                .encode(),
            )]
        })
        .collect();
    rows.push(vec![
        InlineKeyboardButton::callback(
            words::BUTTON_INVITE_FAMILY.get(lang),
            Callback::HouseholdInvite {
                unit: unit.unit_id,
                role: Role::Family,
            }
            .encode(),
        ),
        InlineKeyboardButton::callback(
            words::BUTTON_INVITE_TENANT.get(lang),
            Callback::HouseholdInvite {
                unit: unit.unit_id,
                role: Role::Tenant,
            }
            .encode(),
        ),
    ]);
    (lines.join("\n"), Some(InlineKeyboardMarkup::new(rows)))
}

/// `• 王小明（家属，由 王芳 邀请）`: a member as a list line (`me`: marked
/// as the reader).
pub(super) fn member_line(lang: Lang, m: &Member, all: &[Member], me: Option<i64>) -> String {
    let role = m.role.label(lang);
    if Some(m.person_id) == me {
        return words::MEMBER_YOU.fill(lang, &[("name", &m.name), ("role", role)]);
    }
    let inviter = m
        .invited_by
        .and_then(|by| all.iter().find(|o| o.person_id == by));
    match inviter {
        Some(by) => {
            words::INVITED_BY.fill(lang, &[("name", &m.name), ("role", role), ("by", &by.name)])
        }
        None => words::MEMBER.fill(lang, &[("name", &m.name), ("role", role)]),
    }
}

/// The presser's person id when they own `unit`; otherwise they are told
/// only owners may (and `None`).
async fn owner_pressing(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    q: &CallbackQuery,
    unit: i64,
) -> Result<Option<i64>> {
    let person = people::find_person_by_telegram_id(ctx.conn, from.user_id).await?;
    if let Some(p) = person {
        if households::role_in(ctx.conn, unit, p.id).await? == Some(Role::Owner) {
            return Ok(Some(p.id));
        }
    }
    answer(ctx, q, Some(words::ONLY_OWNERS.get(from.lang))).await?;
    Ok(None)
}

/// "Invite family" / "Invite a tenant": a one-time link, shown once.
pub(super) async fn invite(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    q: &CallbackQuery,
    unit: i64,
    role: Role,
) -> Result<()> {
    let Some(owner) = owner_pressing(ctx, from, q, unit).await? else {
        return Ok(());
    };
    answer(ctx, q, None).await?;
    let hours = office_settings::load(ctx.conn).await?.invite_hours;
    let valid_for = Duration::hours(i64::from(hours));
    let invite = households::create_invite(ctx.conn, unit, role, owner, valid_for, ctx.now).await?;
    let code = households::unit_code(ctx.conn, unit)
        .await?
        .unwrap_or_default();
    let link = format!(
        "https://t.me/{}?start={}",
        ctx.app.settings.bot_username,
        invite.code.as_str()
    );
    let lang = from.lang;
    let text = words::INVITE_LINK.fill(
        lang,
        &[
            ("role", role.label(lang)),
            ("unit", &code),
            ("until", &local_time(ctx, invite.expires_at)),
            ("link", &link),
        ],
    );
    ctx.reply(from.chat_id, Request::text(text)).await?;
    Ok(())
}

/// `2026-05-01 18:00` in the estate's time zone.
fn local_time(ctx: &Ctx<'_>, at: DateTime<Utc>) -> String {
    at.with_timezone(&ctx.app.settings.timezone)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// The member `person` of `unit` an owner may remove (not an owner, not
/// themselves), or `None` after telling the presser why not.
async fn removable(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    q: &CallbackQuery,
    unit: i64,
    person: i64,
) -> Result<Option<(i64, Member, String)>> {
    let Some(owner) = owner_pressing(ctx, from, q, unit).await? else {
        return Ok(None);
    };
    let members = households::members_of_unit(ctx.conn, unit).await?;
    let code = households::unit_code(ctx.conn, unit)
        .await?
        .unwrap_or_default();
    let Some(member) = members.into_iter().find(|m| m.person_id == person) else {
        answer(ctx, q, None).await?;
        remove_buttons(ctx, q).await?;
        let text = words::GONE_ALREADY.fill(from.lang, &[("unit", &code)]);
        ctx.reply(from.chat_id, Request::text(text)).await?;
        return Ok(None);
    };
    if member.role == Role::Owner || member.person_id == owner {
        answer(ctx, q, Some(words::CANNOT_REMOVE_OWNER.get(from.lang))).await?;
        return Ok(None);
    }
    Ok(Some((owner, member, code)))
}

/// "Remove 王小明": asks first.
pub(super) async fn ask_remove(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    q: &CallbackQuery,
    unit: i64,
    person: i64,
) -> Result<()> {
    let Some((_, member, code)) = removable(ctx, from, q, unit, person).await? else {
        return Ok(());
    };
    answer(ctx, q, None).await?;
    let lang = from.lang;
    let keyboard = InlineKeyboardMarkup::new([[
        InlineKeyboardButton::callback(
            words::BUTTON_REMOVE_YES.get(lang),
            Callback::HouseholdRemoveYes { unit, person }.encode(),
        ),
        InlineKeyboardButton::callback(
            words::BUTTON_REMOVE_NO.get(lang),
            Callback::HouseholdKeep.encode(),
        ),
    ]]);
    let text = words::REMOVE_ASK.fill(lang, &[("name", &member.name), ("unit", &code)]);
    ctx.reply(from.chat_id, Request::text_with(text, keyboard))
        .await?;
    Ok(())
}

/// "Yes, remove": the member leaves the unit and is told.
pub(super) async fn remove(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    q: &CallbackQuery,
    unit: i64,
    person: i64,
) -> Result<()> {
    let Some((owner, member, code)) = removable(ctx, from, q, unit, person).await? else {
        return Ok(());
    };
    answer(ctx, q, None).await?;
    remove_buttons(ctx, q).await?;
    let removed =
        households::unbind(ctx.conn, unit, person, Actor::Owner(owner), None, ctx.now).await?;
    let owner_name = people::find_person_by_telegram_id(ctx.conn, from.user_id)
        .await?
        .map(|p| p.name)
        .unwrap_or_default();
    for r in &removed {
        if let Some(chat) = r.telegram_user_id {
            let lang = chats::language(ctx.conn, chat).await?.unwrap_or_default();
            let text = words::YOU_WERE_REMOVED.fill(lang, &[("unit", &code), ("by", &owner_name)]);
            ctx.reply(chat, Request::text(text)).await?;
        }
    }
    let text = words::REMOVED.fill(from.lang, &[("name", &member.name), ("unit", &code)]);
    ctx.reply(from.chat_id, Request::text(text)).await?;
    Ok(())
}

/// `/start <code>`: an invitation link opened. Bound with the role the
/// owner chose, or told exactly why not (nothing changes then).
pub async fn accept_invite(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    msg: &Message,
    code: &str,
) -> Result<()> {
    let lang = from.lang;
    let person = people::find_person_by_telegram_id(ctx.conn, from.user_id).await?;
    let opened =
        households::open_invite(ctx.conn, code, person.as_ref().map(|p| p.id), ctx.now).await?;
    let invite = match opened {
        Ok(invite) => invite,
        Err(refusal) => {
            tracing::info!(user = from.user_id, ?refusal, "invitation link refused");
            let text = match refusal {
                Refusal::Invalid => words::INVITE_INVALID.get(lang).to_string(),
                Refusal::Expired(at) => {
                    words::INVITE_EXPIRED.fill(lang, &[("at", &local_time(ctx, at))])
                }
                Refusal::Used => words::INVITE_USED.get(lang).to_string(),
                Refusal::InviterGone => words::INVITE_INVITER_GONE.get(lang).to_string(),
                Refusal::OwnLink => words::INVITE_OWN_LINK.get(lang).to_string(),
                Refusal::AlreadyMember { unit_code, role } => words::INVITE_ALREADY_MEMBER
                    .fill(lang, &[("unit", &unit_code), ("role", role.label(lang))]),
            };
            return ctx
                .reply(from.chat_id, Request::text_with(text, main_menu(lang)))
                .await
                .map(drop);
        }
    };
    let person_id = match person {
        Some(p) => p.id,
        None => {
            let name = msg
                .from
                .as_ref()
                .map(|u| u.full_name())
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| format!("Telegram {}", from.user_id));
            people::for_account(ctx.conn, from.user_id, None, &name, lang.code()).await?
        }
    };
    households::use_invite(ctx.conn, &invite, person_id, ctx.now).await?;
    let role = invite.role;
    let text = words::INVITE_WELCOME.fill(
        lang,
        &[
            ("unit", &invite.unit_code),
            ("role", role.label(lang)),
            ("by", &invite.inviter_name),
        ],
    );
    ctx.reply(from.chat_id, Request::text_with(text, main_menu(lang)))
        .await?;
    offer_reminders(ctx, from.chat_id, lang).await?;
    if let Some(chat) = invite.inviter_chat {
        let name = people::find_person_by_telegram_id(ctx.conn, from.user_id)
            .await?
            .map(|p| p.name)
            .unwrap_or_default();
        let owner_lang = chats::language(ctx.conn, chat).await?.unwrap_or_default();
        let text = words::INVITE_ACCEPTED.fill(
            owner_lang,
            &[
                ("name", &name),
                ("unit", &invite.unit_code),
                ("role", role.label(owner_lang)),
            ],
        );
        ctx.reply(chat, Request::text(text)).await?;
    }
    tracing::info!(
        user = from.user_id,
        unit = invite.unit_id,
        role = role.as_str(),
        "invitation used"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::households::Source;
    use crate::domain::units::Area;

    fn member(id: i64, name: &str, role: Role, invited_by: Option<i64>) -> Member {
        Member {
            person_id: id,
            name: name.into(),
            phone: None,
            telegram_user_id: None,
            role,
            source: Source::Import,
            invited_by,
        }
    }

    fn unit(role: Role) -> MemberUnit {
        MemberUnit {
            unit_id: 4,
            code: "A栋1203".into(),
            building: "A".into(),
            entrance: None,
            floor: Some(12),
            area: Area::from_m2(90.0),
            role,
            is_default: true,
        }
    }

    #[test]
    fn an_owner_sees_who_invited_whom_and_may_remove_all_but_owners() {
        let members = [
            member(1, "王芳", Role::Owner, None),
            member(2, "李强", Role::Owner, None),
            member(3, "王小明", Role::Family, Some(1)),
            member(4, "Tom", Role::Tenant, None),
        ];
        let (text, keyboard) = unit_card(Lang::Zh, &unit(Role::Owner), &members, 1);
        assert!(text.starts_with("🏠 A栋1203（您是业主）"), "{text}");
        assert!(text.contains("• 王芳（业主，您本人）"), "{text}");
        assert!(text.contains("• 王小明（家属，由 王芳 邀请）"), "{text}");
        let labels: Vec<String> = keyboard
            .unwrap()
            .inline_keyboard
            .into_iter()
            .flatten()
            .map(|b| b.text)
            .collect();
        assert_eq!(labels, ["移除 王小明", "移除 Tom", "邀请家属", "邀请租户"]);
    }

    #[test]
    fn a_family_member_sees_the_list_without_buttons() {
        let members = [
            member(1, "王芳", Role::Owner, None),
            member(3, "王小明", Role::Family, Some(1)),
        ];
        let (text, keyboard) = unit_card(Lang::En, &unit(Role::Family), &members, 3);
        assert!(text.contains("• 王小明 (family, you)"), "{text}");
        assert!(text.contains("Only an owner can invite"), "{text}");
        assert!(keyboard.is_none());
    }
}

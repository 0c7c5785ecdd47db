//! Staff commands that are not about one ticket's state: `/newticket` (a
//! report taken by phone or at the desk), `/staff` (the roster) and
//! `/settings` (office settings).

use anyhow::Result;

use super::desk::{file_ticket_as, split_first, unit_arg, Desk};
use super::menus;
use crate::domain::departments::Department;
use crate::domain::office_settings;
use crate::domain::staff::{self, StaffRole};
use crate::domain::tickets::{self, Actor, Channel, NewTicket};
use crate::domain::units;
use crate::processor::context::Ctx;
use crate::texts;

/// `/newticket UNIT kind [phone|walk-in|patrol] text`: a report taken by
/// phone, at the desk or on patrol, in one line (`/newticket` alone is the
/// guided form, `newticket.rs`). UNIT may be a common area of the office's
/// list. The unit's default member (if they use the bot) gets the status
/// pushes.
pub async fn new_ticket(ctx: &mut Ctx<'_>, desk: &Desk, arg: &str) -> Result<()> {
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
    let mut new = NewTicket::new(kind, text);
    // A common area of the office's list stands for the unit.
    let areas = office_settings::load(ctx.conn).await?.common_areas;
    if let Some(area) = areas
        .into_iter()
        .find(|a| a.eq_ignore_ascii_case(unit_code.trim()))
    {
        new.location = Some(area);
    } else {
        let Some(found) = unit_arg(ctx, desk.chat_id, desk.lang, unit_code).await? else {
            return Ok(());
        };
        let Some(units::UnitContact {
            unit_id,
            person_id,
            telegram_user_id: owner_user,
        }) = units::with_contact(ctx.conn, &found.code).await?
        else {
            return Ok(());
        };
        new.unit_id = Some(unit_id);
        new.person_id = person_id;
        new.owner_chat_id = owner_user;
    }
    new.channel = channel;
    new.fields = serde_json::json!({ "filed_by_staff": desk.staff.staff_no });
    let filed = file_ticket_as(ctx, new, Actor::Staff(desk.staff.telegram_user_id)).await?;
    desk.say_phrase(ctx, texts::NEWTICKET_OK, &[("id", &filed.id.to_string())])
        .await
}

/// `/staff` (list), `/staff add TELEGRAM_ID ROLE NAME`, `/staff remove NO`,
/// `/staff role NO ROLE` — managers, in a private chat only.
pub async fn roster(ctx: &mut Ctx<'_>, desk: &Desk, arg: &str) -> Result<()> {
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
            menus::refresh_member(ctx.conn, Some(ctx.update_id), &s).await?;
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
            let gone = staff::find(ctx.conn, &format!("#{no}")).await?;
            let done = staff::deactivate(ctx.conn, no).await?;
            if let (true, Some(gone)) = (done, gone) {
                menus::forget_member(ctx.conn, Some(ctx.update_id), gone.telegram_user_id).await?;
            }
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
            if let Some(changed) = staff::find(ctx.conn, &format!("#{no}"))
                .await?
                .filter(|_| done)
            {
                menus::refresh_member(ctx.conn, Some(ctx.update_id), &changed).await?;
            }
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
        "dept" => department(ctx, desk, a, rest2).await,
        _ => desk.say_phrase(ctx, texts::STAFF_USAGE, &[]).await,
    }
}

/// `/staff dept NO DEPARTMENT` (or `-`): which department a staff member
/// works in (a supervisor's decides whose low ratings reach them).
async fn department(ctx: &mut Ctx<'_>, desk: &Desk, no: &str, dept: &str) -> Result<()> {
    let dept = dept.trim();
    let chosen = match dept {
        "-" => None,
        _ => match Department::from_user(dept) {
            Some(d) => Some(d),
            None => return desk.say_phrase(ctx, texts::STAFF_USAGE, &[]).await,
        },
    };
    let Some(member) = staff::find(ctx.conn, &format!("#{}", no.trim_start_matches('#'))).await?
    else {
        return desk
            .say_phrase(ctx, texts::NO_SUCH_STAFF, &[("who", no)])
            .await;
    };
    let key = chosen.map(Department::as_str);
    staff::set_department(ctx.conn, member.telegram_user_id, key).await?;
    let who = member.display(desk.lang);
    let text = match chosen {
        Some(d) => texts::departments::STAFF_SET.fill(
            desk.lang,
            &[("who", &who), ("department", d.label(desk.lang))],
        ),
        None => texts::departments::STAFF_CLEARED.fill(desk.lang, &[("who", &who)]),
    };
    desk.say(ctx, text).await
}

/// `/settings` (every office setting: value, default, meaning) and
/// `/settings set KEY VALUE` — managers, in the staff group or privately.
pub async fn office_settings_command(ctx: &mut Ctx<'_>, desk: &Desk, arg: &str) -> Result<()> {
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
                    // The staff chats' menus follow their language, and a
                    // department's new chat gets the staff menu.
                    if change.key == "staff_language" || change.key.ends_with(".chat") {
                        let chats =
                            menus::staff_chats(ctx.conn, ctx.app.settings.staff_chat_id).await?;
                        for chat in chats {
                            menus::refresh_group(ctx.conn, Some(ctx.update_id), chat).await?;
                        }
                    }
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

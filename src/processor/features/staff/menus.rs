//! Commands where people look: Telegram's command menu (setMyCommands) per
//! scope, from the one command table. Everyone gets the owners' menu (the
//! default scope, registered at start-up by `app::register_commands`); the
//! staff group gets the staff commands (`BotCommandScopeChat`), and each
//! staff member's private chat the commands of their role with the owners'
//! (`BotCommandScopeChat` with their user id) — each in every language the
//! catalogue offers, and without a language code in the group's (or
//! Chinese) for clients in other languages.
//!
//! The menus go out through the outbox, so a change of the roster
//! (`/staff add|remove|role`, `propdesk staff add`) refreshes them in the
//! transaction that made it, and a refusal from Telegram is logged by the
//! sender and never stops the bot.

use anyhow::Result;
use sqlx::PgConnection;

use crate::domain::office_settings;
use crate::domain::staff::{self, Staff, StaffRole};
use crate::i18n::Lang;
use crate::outbox::{self, Batch, Lane, MenuCommand, Request};
use crate::processor::commands::{self, Command, Who};

/// The lines of a menu: the commands `keep` accepts that have a
/// description, in table order, each once.
fn menu(lang: Lang, keep: impl Fn(&Command) -> bool) -> Vec<MenuCommand> {
    let mut out: Vec<MenuCommand> = Vec::new();
    for c in commands::installed().filter(|c| keep(c)) {
        let Some(description) = c.description else {
            continue;
        };
        if out.iter().any(|m| m.command == c.name) {
            continue;
        }
        out.push(MenuCommand {
            command: c.name.to_string(),
            description: description.get(lang).to_string(),
        });
    }
    out
}

/// The staff group's menu: every staff command answered in a group.
#[must_use]
pub fn group_menu(lang: Lang) -> Vec<MenuCommand> {
    menu(lang, |c| {
        matches!(c.who, Who::Staff(_)) && c.chats.includes(false)
    })
}

/// A staff member's private menu: the commands of their role (and below)
/// answered privately, then the owners' (a staff member may live here too).
#[must_use]
pub fn member_menu(role: StaffRole, lang: Lang) -> Vec<MenuCommand> {
    let mut lines = menu(lang, |c| {
        matches!(c.who, Who::Staff(needed) if needed <= role) && c.chats.includes(true)
    });
    // `/help` answers a staff member with the staff help in any chat: its
    // line says so (the staff table's description, declared for the group).
    let staff_lines = menu(lang, |c| matches!(c.who, Who::Staff(_)));
    for mut owner in menu(lang, |c| c.who == Who::Anyone && c.chats.includes(true)) {
        if lines.iter().any(|m| m.command == owner.command) {
            continue;
        }
        if owner.command == "help" {
            if let Some(staff_help) = staff_lines.iter().find(|m| m.command == "help") {
                owner.description.clone_from(&staff_help.description);
            }
        }
        lines.push(owner);
    }
    lines
}

/// One menu per language code, and one without a code in `fallback`.
fn per_language(fallback: Lang, menu: impl Fn(Lang) -> Vec<MenuCommand>) -> Vec<Request> {
    std::iter::once(Request::SetMyCommands {
        language_code: None,
        commands: menu(fallback),
    })
    .chain(Lang::ALL.iter().map(|l| Request::SetMyCommands {
        language_code: Some(l.code().to_string()),
        commands: menu(*l),
    }))
    .collect()
}

/// Queues `requests` for chat `chat`.
async fn queue(
    conn: &mut PgConnection,
    update_id: Option<i64>,
    chat: i64,
    requests: &[Request],
) -> Result<()> {
    let batch = Batch {
        lane: Lane::Staff,
        not_before: None,
        update_id,
        requests,
    };
    let rows: Vec<(i64, usize)> = (0..requests.len()).map(|i| (chat, i)).collect();
    outbox::enqueue_many(conn, &batch, &rows).await?;
    Ok(())
}

/// Queues `member`'s private menu in every language.
pub async fn refresh_member(
    conn: &mut PgConnection,
    update_id: Option<i64>,
    member: &Staff,
) -> Result<()> {
    let role = member.role;
    let requests = per_language(Lang::Zh, |l| member_menu(role, l));
    queue(conn, update_id, member.telegram_user_id, &requests).await
}

/// Queues the removal of a former staff member's own menu: they see the
/// owners' menu again.
pub async fn forget_member(
    conn: &mut PgConnection,
    update_id: Option<i64>,
    telegram_user_id: i64,
) -> Result<()> {
    let requests: Vec<Request> = std::iter::once(None)
        .chain(Lang::ALL.iter().map(|l| Some(l.code().to_string())))
        .map(|language_code| Request::DeleteMyCommands { language_code })
        .collect();
    queue(conn, update_id, telegram_user_id, &requests).await
}

/// Queues the staff group's menu in every language (its fallback in the
/// `staff_language` setting).
pub async fn refresh_group(
    conn: &mut PgConnection,
    update_id: Option<i64>,
    chat: i64,
) -> Result<()> {
    let fallback = office_settings::load(conn).await?.staff_language;
    let requests = per_language(fallback, group_menu);
    queue(conn, update_id, chat, &requests).await
}

/// `propdesk staff add`: adds or updates a staff member and queues their
/// menu, in one transaction (the running bot's sender delivers it).
pub async fn add_member(
    pool: &sqlx::PgPool,
    telegram_user_id: i64,
    name: &str,
    role: StaffRole,
    department: Option<&str>,
) -> Result<Staff> {
    let mut tx = pool.begin().await?;
    let member = staff::upsert(&mut tx, telegram_user_id, name, role).await?;
    if department.is_some() {
        staff::set_department(&mut tx, telegram_user_id, department).await?;
    }
    refresh_member(&mut tx, None, &member).await?;
    tx.commit().await?;
    Ok(member)
}

/// Every staff chat: the staff group (if there is one) and each
/// department's own chat.
pub async fn staff_chats(conn: &mut PgConnection, staff_chat: Option<i64>) -> Result<Vec<i64>> {
    let mut chats = office_settings::load(conn).await?.department_chat_ids();
    chats.extend(staff_chat);
    chats.sort_unstable();
    chats.dedup();
    Ok(chats)
}

/// Queues every staff menu: the staff chats' and each active member's.
/// What `serve` does at start-up.
pub async fn refresh_all(conn: &mut PgConnection, staff_chat: Option<i64>) -> Result<()> {
    for chat in staff_chats(conn, staff_chat).await? {
        refresh_group(conn, None, chat).await?;
    }
    for member in staff::all_active(conn).await? {
        refresh_member(conn, None, &member).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(menu: &[MenuCommand]) -> Vec<&str> {
        menu.iter().map(|m| m.command.as_str()).collect()
    }

    #[test]
    fn each_role_sees_its_own_commands_and_the_owners() {
        commands::install(crate::processor::router::COMMAND_TABLES);
        let butler = member_menu(StaffRole::Butler, Lang::En);
        let manager = member_menu(StaffRole::Manager, Lang::En);
        for name in [
            "queue",
            "claim",
            "reply",
            "canned",
            "newticket",
            "mytickets",
            "help",
        ] {
            assert!(names(&butler).contains(&name), "butler lacks /{name}");
        }
        for name in ["assign", "reopen", "staff", "broadcast", "ban"] {
            assert!(!names(&butler).contains(&name), "butler has /{name}");
            assert!(names(&manager).contains(&name), "manager lacks /{name}");
        }
        assert!(names(&manager).len() <= 100, "Telegram takes at most 100");
        let group = group_menu(Lang::Zh);
        assert!(names(&group).contains(&"claim") && names(&group).contains(&"help"));
        assert!(!names(&group).contains(&"mytickets"));
        // The help line is the staff one in a staff member's chat.
        let help = butler.iter().find(|m| m.command == "help").unwrap();
        assert_eq!(help.description, crate::texts::desk::CMD_HELP.get(Lang::En));
    }
}

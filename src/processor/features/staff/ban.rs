//! `/ban USER_ID reason` and `/unban USER_ID reason`, for supervisors and
//! above, in the staff group or a private chat. Each change is audited
//! (`ban_audit`) and the person is told once. While banned, their updates
//! cost nothing but the inbox row (`features::limits`).

use anyhow::Result;

use super::{card, desk, desk::say};
use crate::domain::abuse::{self, BanChange};
use crate::domain::staff::{self, StaffRole};
use crate::outbox::Request;
use crate::processor::context::{chat_language, Ctx};
use crate::processor::reply::Sender;
use crate::texts::{self, fill};

/// The least role that may ban.
pub const NEEDS: StaffRole = StaffRole::Supervisor;

/// Handles `/ban` and `/unban`; false for any other text.
pub async fn on_command(ctx: &mut Ctx<'_>, from: &Sender, text: &str) -> Result<bool> {
    let Some((banning, args)) = parse(text, &ctx.app.settings.bot_username) else {
        return Ok(false);
    };
    let lang = if from.private {
        from.lang
    } else {
        card::staff_language(ctx, from.chat_id).await?
    };
    let what = if banning { "/ban" } else { "/unban" };
    let member = staff::by_telegram_id(ctx.conn, from.user_id).await?;
    let Some(member) = member.filter(|m| m.role >= NEEDS) else {
        let who = staff::by_telegram_id(ctx.conn, from.user_id).await?;
        desk::refuse(
            ctx,
            from.chat_id,
            lang,
            from.user_id,
            who.as_ref(),
            what,
            NEEDS,
        )
        .await?;
        return Ok(true);
    };
    let (target, reason) = args.split_once(char::is_whitespace).unwrap_or((args, ""));
    let (Ok(user_id), reason) = (target.trim().parse::<i64>(), reason.trim()) else {
        say(ctx, from.chat_id, texts::BAN_USAGE.get(lang).to_string()).await?;
        return Ok(true);
    };
    if reason.is_empty() || user_id <= 0 {
        say(ctx, from.chat_id, texts::BAN_USAGE.get(lang).to_string()).await?;
        return Ok(true);
    }
    let user = user_id.to_string();
    let change = BanChange {
        user_id,
        reason,
        staff_id: member.telegram_user_id,
        at: ctx.now,
    };
    let (answer, notice) = if banning {
        if staff::by_telegram_id(ctx.conn, user_id).await?.is_some() {
            (
                fill(texts::BAN_NOT_STAFF.get(lang), &[("user", &user)]),
                None,
            )
        } else if abuse::ban(ctx.conn, change).await? {
            (
                fill(
                    texts::BAN_DONE.get(lang),
                    &[("user", &user), ("reason", reason)],
                ),
                Some(texts::BANNED_NOTICE),
            )
        } else {
            (fill(texts::BAN_ALREADY.get(lang), &[("user", &user)]), None)
        }
    } else if abuse::unban(ctx.conn, change).await? {
        (
            fill(texts::UNBAN_DONE.get(lang), &[("user", &user)]),
            Some(texts::UNBANNED_NOTICE),
        )
    } else {
        (
            fill(texts::UNBAN_NOT_BANNED.get(lang), &[("user", &user)]),
            None,
        )
    };
    if let Some(notice) = notice {
        tracing::info!(
            user_id,
            by = member.telegram_user_id,
            command = what,
            reason,
            "ban changed"
        );
        // Their private chat has their user id.
        let their_lang = chat_language(ctx.conn, user_id).await?.unwrap_or_default();
        ctx.reply(user_id, Request::text(notice.get(their_lang)))
            .await?;
    }
    say(ctx, from.chat_id, answer).await?;
    Ok(true)
}

/// `(true, args)` for `/ban args`, `(false, args)` for `/unban args`, also
/// as `/ban@this_bot`.
fn parse<'t>(text: &'t str, bot_username: &str) -> Option<(bool, &'t str)> {
    let text = text.trim_start();
    let (word, args) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
    let command = match word.split_once('@') {
        Some((command, bot)) if bot.eq_ignore_ascii_case(bot_username) => command,
        Some(_) => return None,
        None => word,
    };
    match command {
        "/ban" => Some((true, args.trim())),
        "/unban" => Some((false, args.trim())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn ban_and_unban_are_read_with_or_without_the_bot_name() {
        assert_eq!(parse("/ban 42 spam", "desk_bot"), Some((true, "42 spam")));
        assert_eq!(
            parse("/unban@Desk_Bot 42 ok", "desk_bot"),
            Some((false, "42 ok"))
        );
        assert_eq!(parse("/ban@other_bot 42 spam", "desk_bot"), None);
        assert_eq!(parse("/banner", "desk_bot"), None);
        assert_eq!(parse("/ban", "desk_bot"), Some((true, "")));
    }
}

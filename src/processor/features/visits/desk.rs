//! Who is acting on a visit command or button: the staff member, where they
//! are, in which language the answer goes; and the small command parsing the
//! visit commands share.

use anyhow::Result;

use crate::domain::staff::{self, StaffRole};
use crate::i18n::Lang;
use crate::processor::context::Ctx;
use crate::processor::features::staff::card;
use crate::processor::features::staff::commands::{self, Desk};
use crate::processor::reply::Sender;

/// Minutes since the epoch: how a time travels in callback data.
/// `("visit", "12 2026-12-01 10:00")` from `/visit@bot 12 2026-12-01 10:00`;
/// None for a command addressed to another bot.
pub(crate) fn command<'a>(text: &'a str, bot: &str) -> Option<(String, &'a str)> {
    let rest = text.strip_prefix('/')?;
    let (head, args) = match rest.split_once(char::is_whitespace) {
        Some((h, a)) => (h, a.trim()),
        None => (rest, ""),
    };
    let (name, to) = match head.split_once('@') {
        Some((n, to)) => (n, Some(to)),
        None => (head, None),
    };
    if to.is_some_and(|to| !to.eq_ignore_ascii_case(bot)) {
        return None;
    }
    Some((name.to_ascii_lowercase(), args))
}

pub(crate) fn split_first(s: &str) -> (&str, &str) {
    let s = s.trim();
    match s.split_once(char::is_whitespace) {
        Some((a, b)) => (a, b.trim()),
        None => (s, ""),
    }
}

pub(super) async fn desk_for(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    member: staff::Staff,
) -> Result<Desk> {
    let lang = if from.private {
        from.lang
    } else {
        card::staff_language(ctx, from.chat_id).await?
    };
    Ok(Desk {
        staff: member,
        chat_id: from.chat_id,
        private: from.private,
        lang,
    })
}

/// The staff member behind `from` with at least `needed`, or a polite
/// refusal (and None).
pub(crate) async fn staff_desk(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    needed: StaffRole,
    what: &str,
) -> Result<Option<Desk>> {
    let member = staff::by_telegram_id(ctx.conn, from.user_id).await?;
    match member {
        Some(m) if m.role >= needed => Ok(Some(desk_for(ctx, from, m).await?)),
        other => {
            commands::refuse(
                ctx,
                from.chat_id,
                from.lang,
                from.user_id,
                other.as_ref(),
                what,
                needed,
            )
            .await?;
            Ok(None)
        }
    }
}

pub(super) async fn desk_lang(ctx: &mut Ctx<'_>, from: &Sender) -> Result<Lang> {
    if from.private {
        Ok(from.lang)
    } else {
        card::staff_language(ctx, from.chat_id).await
    }
}

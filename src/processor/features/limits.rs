//! Abuse limits, applied before any feature sees an update:
//! - a banned person's updates are marked processed and nothing else is
//!   written (one read of `bans` and the inbox for a whole batch, [`screen`]);
//! - past `--inbound-per-minute` messages a minute in a private chat, a
//!   person gets one slow-down notice per flood and the rest are dropped;
//! - an owner files at most the office setting `tickets_per_day` tickets in
//!   a local day ([`ticket_cap_reached`], asked by the dialogue driver).
//!
//! The inbound limit is a process setting, not an office setting: it guards
//! the service's capacity (like `--rate-per-sec` and `--workers`), is the
//! operator's to size with the machine, and is checked on every message
//! without a read of the settings table.

use std::collections::HashMap;

use anyhow::Result;
use chrono::{DateTime, TimeZone, Utc};
use sqlx::PgConnection;
use teloxide::types::{Message, Update, UpdateKind};

use crate::domain::{abuse, office_settings, staff};
use crate::i18n::Lang;
use crate::outbox::Request;
use crate::processor::context::{chat_language, Ctx};
use crate::texts::{self, fill};

/// What the limits found for each update of a batch (keyed by update id),
/// read in one query before any of them is handled. An update without a
/// sender is not asked about.
pub async fn screen(
    conn: &mut PgConnection,
    updates: &[(i64, &Update)],
) -> Result<HashMap<i64, abuse::Screen>> {
    let asked: Vec<abuse::Asked> = updates
        .iter()
        .filter_map(|(update_id, update)| {
            let user_id = i64::try_from(update.from()?.id.0).ok()?;
            let count_since = match &update.kind {
                UpdateKind::Message(msg) if msg.chat.is_private() => {
                    Some(msg.date.timestamp() - 60)
                }
                _ => None,
            };
            Some(abuse::Asked {
                update_id: *update_id,
                user_id,
                count_since,
            })
        })
        .collect();
    abuse::screen(conn, &asked).await
}

/// True when the update is turned away: its sender is banned, or it is a
/// message past the inbound limit (then the first of a flood is answered
/// with the slow-down notice). `screen` is what [`screen`] found for it.
pub async fn turned_away(
    ctx: &mut Ctx<'_>,
    update: &Update,
    screen: abuse::Screen,
) -> Result<bool> {
    let Some(user) = update.from() else {
        return Ok(false);
    };
    let Ok(user_id) = i64::try_from(user.id.0) else {
        return Ok(false);
    };
    if screen.banned {
        tracing::debug!(
            user_id,
            update_id = ctx.update_id,
            "update of a banned person ignored"
        );
        return Ok(true);
    }
    // `recent` is counted for messages in private chats only ([`screen`]).
    match (&update.kind, screen.recent) {
        (UpdateKind::Message(msg), Some(recent)) => over_the_limit(ctx, user_id, msg, recent).await,
        _ => Ok(false),
    }
}

async fn over_the_limit(
    ctx: &mut Ctx<'_>,
    user_id: i64,
    msg: &Message,
    recent: i64,
) -> Result<bool> {
    let limit = ctx.app.settings.inbound_per_minute;
    if recent <= i64::from(limit) {
        return Ok(false);
    }
    // Staff at work are not throttled.
    if staff::by_telegram_id(ctx.conn, user_id).await?.is_some() {
        return Ok(false);
    }
    if abuse::mark_over_limit(ctx.conn, user_id, msg.date).await? {
        tracing::warn!(
            user_id,
            recent,
            limit,
            "a person is past the inbound limit; told to slow down"
        );
        let lang = match chat_language(ctx.conn, msg.chat.id.0).await? {
            Some(lang) => lang,
            None => {
                Lang::from_language_code(msg.from.as_ref().and_then(|u| u.language_code.as_deref()))
            }
        };
        let text = fill(texts::SLOW_DOWN.get(lang), &[("limit", &limit.to_string())]);
        ctx.reply(msg.chat.id.0, Request::text(text)).await?;
    }
    Ok(true)
}

/// When the owner of `chat_id` has filed today's most tickets, the notice
/// saying so (in `lang`); `None` while they may file another.
pub async fn ticket_cap_reached(
    ctx: &mut Ctx<'_>,
    chat_id: i64,
    lang: Lang,
) -> Result<Option<String>> {
    let limit = office_settings::load(ctx.conn).await?.tickets_per_day;
    let since = local_midnight(ctx.now, ctx.app.settings.timezone);
    let filed =
        crate::domain::tickets::filed_since(ctx.conn, chat_id, since, ctx.update_id).await?;
    if filed < i64::from(limit) {
        return Ok(None);
    }
    tracing::info!(chat_id, filed, limit, "daily ticket cap reached");
    Ok(Some(texts::TICKET_CAP_REACHED.fill(
        lang,
        &[
            ("limit", &limit.to_string()),
            ("phone", &ctx.app.settings.duty_phone),
        ],
    )))
}

/// The start of `now`'s day in `tz`.
fn local_midnight(now: DateTime<Utc>, tz: chrono_tz::Tz) -> DateTime<Utc> {
    let day = now.with_timezone(&tz).date_naive();
    tz.from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
        .earliest()
        .map_or(now - chrono::Duration::days(1), |t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_day_starts_at_local_midnight() {
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 17, 30, 0).unwrap();
        // 01:30 on 2 December in Shanghai (UTC+8).
        let start = local_midnight(now, chrono_tz::Asia::Shanghai);
        assert_eq!(start, Utc.with_ymd_and_hms(2026, 12, 1, 16, 0, 0).unwrap());
    }
}

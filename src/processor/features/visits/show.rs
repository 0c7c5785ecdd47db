//! How a visit reads in a message: its time, what it is about, the
//! owner's Confirm / Another time buttons, and the language to write in.
//! Shared by the chat side (`visits`) and the timed side (`due`).

use anyhow::Result;
use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use crate::domain::visits::Visit;
use crate::i18n::Lang;
use crate::processor::context::chat_language;
use crate::telegram::callback::Callback;
use crate::texts::{self as common, visits as texts};

/// `Tue 01 Dec 10:00` / `12月01日（周二）10:00`, local time.
#[must_use]
pub fn when(at: DateTime<Utc>, tz: Tz, lang: Lang) -> String {
    let local = at.with_timezone(&tz);
    common::labels::DAY_AND_TIME.fill(
        lang,
        &[
            ("month", common::month(local.month()).get(lang)),
            ("day", &local.format("%d").to_string()),
            ("weekday", common::weekday(local.weekday()).get(lang)),
            ("time", &local.format("%H:%M").to_string()),
        ],
    )
}

/// `#12 · 3-2-1101` or `3-2-1101`: what a visit is about.
#[must_use]
pub fn describe(v: &Visit) -> String {
    match (v.ticket_id, &v.unit_code) {
        (Some(t), Some(u)) => format!("#{t} · {u}"),
        (Some(t), None) => format!("#{t}"),
        (None, Some(u)) => u.clone(),
        (None, None) => format!("V{}", v.id),
    }
}

/// The language of a chat we write to unasked: the chat's, else the
/// person's, else Chinese.
pub async fn lang_of(conn: &mut sqlx::PgConnection, chat: i64) -> Result<Lang> {
    if let Some(l) = chat_language(&mut *conn, chat).await? {
        return Ok(l);
    }
    let stored = crate::domain::people::language_of_telegram(conn, chat).await?;
    Ok(stored.as_deref().and_then(Lang::parse).unwrap_or_default())
}

/// Confirm / Another time for the visit as it is now (the time is in the
/// data, so a button from an older proposal cannot confirm a newer one).
#[must_use]
pub fn answer_buttons(visit: &Visit, lang: Lang) -> InlineKeyboardMarkup {
    let (id, at) = (visit.id, visit.at);
    InlineKeyboardMarkup::new([[
        InlineKeyboardButton::callback(
            texts::BUTTON_CONFIRM.get(lang),
            Callback::VisitConfirm { visit: id, at }.encode(),
        ),
        InlineKeyboardButton::callback(
            texts::BUTTON_RESCHEDULE.get(lang),
            Callback::VisitReschedule { visit: id, at }.encode(),
        ),
    ]])
}

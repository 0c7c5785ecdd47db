//! What a broadcast looks like: the notice owners receive with its RSVP
//! buttons (and the preview's inert copy), the author's progress message and
//! the `/broadcasts` list. Plain functions of the domain's data.

use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use crate::domain::broadcasts::{Broadcast, Progress, Schedule, Summary};
use crate::i18n::Lang;
use crate::outbox::Request;
use crate::telegram::callback::Callback;
use crate::texts::{broadcast as texts, fill};

/// The RSVP buttons owners get (join, decline); a preview gets inert ones
/// with the same labels.
#[must_use]
pub fn rsvp_keyboard(id: i64, lang: Lang, preview: bool) -> InlineKeyboardMarkup {
    let data = |answer: Callback| {
        if preview {
            Callback::BroadcastPreview(id).encode()
        } else {
            answer.encode()
        }
    };
    InlineKeyboardMarkup::new([[
        InlineKeyboardButton::callback(texts::JOIN.get(lang), data(Callback::BroadcastJoin(id))),
        InlineKeyboardButton::callback(
            texts::DECLINE.get(lang),
            data(Callback::BroadcastDecline(id)),
        ),
    ]])
}

/// The message an owner reading `lang` receives.
#[must_use]
pub fn owner_request(b: &Broadcast, lang: Lang, preview: bool) -> Request {
    let text = b.text.clone().unwrap_or_default();
    let markup = b.rsvp.then(|| rsvp_keyboard(b.id, lang, preview));
    match &b.photo {
        Some(photo) => Request::SendPhoto {
            photo: photo.clone(),
            caption: (!text.is_empty()).then_some(text),
            reply_markup: markup.map(Into::into),
        },
        None => Request::SendMessage {
            text,
            reply_markup: markup.map(Into::into),
            reply_to: None,
        },
    }
}

/// The author's progress message: where broadcast `b` stands.
#[must_use]
pub fn progress_text(b: &Broadcast, p: &Progress, schedule: Schedule, lang: Lang) -> String {
    let state = match b.status.as_str() {
        "scheduled" => fill(
            texts::STATE_SCHEDULED.get(lang),
            &[("at", &schedule.show(b.starts_at.unwrap_or(b.created_at)))],
        ),
        "done" => texts::STATE_DONE.get(lang).to_string(),
        _ => texts::STATE_SENDING.get(lang).to_string(),
    };
    let mut text = fill(
        texts::PROGRESS.get(lang),
        &[
            ("id", &b.id.to_string()),
            (
                "audience",
                &b.audience
                    .as_ref()
                    .map(|a| a.label(lang))
                    .unwrap_or_default(),
            ),
            ("state", &state),
            ("sent", &p.sent.to_string()),
            ("failed", &p.failed.to_string()),
            ("blocked", &p.blocked.to_string()),
            ("waiting", &p.waiting.to_string()),
        ],
    );
    if b.rsvp {
        text.push_str(&fill(
            texts::RSVP_TOTALS.get(lang),
            &[
                ("join", &p.join.to_string()),
                ("decline", &p.decline.to_string()),
            ],
        ));
    }
    text
}

/// `/broadcasts` as text.
#[must_use]
pub fn list_text(items: &[Summary], schedule: Schedule, lang: Lang) -> String {
    if items.is_empty() {
        return texts::LIST_EMPTY.get(lang).to_string();
    }
    let mut out = texts::LIST_HEADER.get(lang).to_string();
    for s in items {
        let b = &s.broadcast;
        let p = &s.progress;
        let status = match b.status.as_str() {
            "scheduled" => texts::STATUS_SCHEDULED,
            "sending" => texts::STATUS_SENDING,
            "done" => texts::STATUS_DONE,
            _ => texts::STATUS_CANCELLED,
        };
        let rsvp = if b.rsvp {
            fill(
                texts::LIST_RSVP.get(lang),
                &[
                    ("join", &p.join.to_string()),
                    ("decline", &p.decline.to_string()),
                ],
            )
        } else {
            String::new()
        };
        out.push('\n');
        out.push_str(&fill(
            texts::LIST_LINE.get(lang),
            &[
                ("id", &b.id.to_string()),
                ("at", &schedule.show(b.starts_at.unwrap_or(b.created_at))),
                (
                    "audience",
                    &b.audience
                        .as_ref()
                        .map(|a| a.label(lang))
                        .unwrap_or_default(),
                ),
                ("status", status.get(lang)),
                ("sent", &p.sent.to_string()),
                ("failed", &p.failed.to_string()),
                ("blocked", &p.blocked.to_string()),
                ("waiting", &p.waiting.to_string()),
                ("rsvp", &rsvp),
            ],
        ));
    }
    out
}

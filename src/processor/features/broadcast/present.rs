//! What a broadcast looks like: the notice owners receive with its RSVP
//! buttons (and the preview's inert copy), the author's progress message and
//! the `/broadcasts` list. Plain functions of the domain's data.

use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use crate::domain::broadcasts::{
    Broadcast, Progress, RecallProgress, Schedule, Summary, RECALL_WITHIN,
};
use crate::i18n::Lang;
use crate::outbox::Request;
use crate::telegram::callback::Callback;
use crate::texts::{broadcast as texts, fill, notices};

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

/// The buttons of an activity's announcement (join, cannot come); a
/// preview gets inert ones.
#[must_use]
pub fn activity_keyboard(
    broadcast: i64,
    activity: i64,
    lang: Lang,
    preview: bool,
) -> InlineKeyboardMarkup {
    let data = |c: Callback| {
        if preview {
            Callback::BroadcastPreview(broadcast).encode()
        } else {
            c.encode()
        }
    };
    InlineKeyboardMarkup::new([[
        InlineKeyboardButton::callback(
            crate::texts::activity::JOIN_BUTTON.get(lang),
            data(Callback::ActivityJoin(activity)),
        ),
        InlineKeyboardButton::callback(
            crate::texts::activity::LEAVE_BUTTON.get(lang),
            data(Callback::ActivityLeave(activity)),
        ),
    ]])
}

/// The message an owner reading `lang` receives: the notice in their
/// language (Chinese when it has no version in theirs).
#[must_use]
pub fn owner_request(b: &Broadcast, lang: Lang, preview: bool) -> Request {
    let text = b.text_in(lang).unwrap_or_default().to_string();
    let markup = match b.activity_id {
        Some(activity) => Some(activity_keyboard(b.id, activity, lang, preview)),
        None => b.rsvp.then(|| rsvp_keyboard(b.id, lang, preview)),
    };
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
        _ if b.recalled_at.is_some() => notices::STATUS_RECALLED.get(lang).to_string(),
        _ if b.stopped_at.is_some() => notices::STATUS_STOPPED.get(lang).to_string(),
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

/// The buttons under the author's progress message: stop while copies
/// wait to go out, recall once some went out, none after a recall.
#[must_use]
pub fn progress_keyboard(b: &Broadcast, p: &Progress, lang: Lang) -> Option<InlineKeyboardMarkup> {
    if b.recalled_at.is_some() {
        return None;
    }
    let mut row = Vec::new();
    if matches!(b.status.as_str(), "scheduled" | "sending") && p.waiting > 0 {
        row.push(InlineKeyboardButton::callback(
            notices::STOP_BUTTON.get(lang),
            Callback::BroadcastStop(b.id).encode(),
        ));
    }
    if p.sent > 0 {
        row.push(InlineKeyboardButton::callback(
            notices::RECALL_BUTTON.get(lang),
            Callback::BroadcastRecall(b.id).encode(),
        ));
    }
    (!row.is_empty()).then(|| InlineKeyboardMarkup::new([row]))
}

/// The most names a recall report lists.
const RECALL_NAMES: usize = 30;

/// The author's recall message once every deletion was answered.
#[must_use]
pub fn recall_text(id: i64, r: &RecallProgress, lang: Lang) -> String {
    let mut text = notices::RECALLED.fill(
        lang,
        &[
            ("n", &id.to_string()),
            ("deleted", &r.deleted.to_string()),
            ("asked", &r.asked.to_string()),
        ],
    );
    let kept = r.refused + r.too_old;
    if kept > 0 {
        let mut names: Vec<String> = r.kept_by.iter().take(RECALL_NAMES).cloned().collect();
        if r.kept_by.len() > RECALL_NAMES {
            names.push(notices::MORE.fill(
                lang,
                &[("n", &(r.kept_by.len() - RECALL_NAMES).to_string())],
            ));
        }
        text.push_str("\n\n");
        text.push_str(&notices::RECALL_KEPT.fill(
            lang,
            &[
                ("count", &kept.to_string()),
                ("hours", &RECALL_WITHIN.num_hours().to_string()),
                ("list", &names.join("; ")),
            ],
        ));
    }
    if r.not_delivered > 0 {
        text.push_str("\n\n");
        text.push_str(
            &notices::RECALL_NOT_DELIVERED.fill(lang, &[("count", &r.not_delivered.to_string())]),
        );
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
            _ if b.recalled_at.is_some() => notices::STATUS_RECALLED,
            _ if b.stopped_at.is_some() => notices::STATUS_STOPPED,
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
        out.push_str(
            &texts::LIST_LINE.fill(
                lang,
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
            ),
        );
    }
    out
}

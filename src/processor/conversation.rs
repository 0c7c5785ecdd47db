//! What the bot waits for from each person in each chat: one stored value
//! per (chat, person) in `conversations`, with one expiry rule (the draft
//! TTL, renewed at every answer). The router reads it first and hands the
//! message to the one feature that owns the question; the scheduler's sweep
//! (`expire_drafts`) removes what was left alone and tells the person.
//!
//! Keyed by person as well as chat: in the staff group several staff members
//! may each be asked something, and one's answer is never another's.

use anyhow::Result;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;

use super::context::{chat_language, Ctx};
use super::main_menu::main_menu;
use crate::domain::activities::PlanDraft;
use crate::domain::broadcasts;
use crate::domain::incidents::FormDraft;
use crate::domain::visits::Outcome;
use crate::engine::{Photo, State};
use crate::outbox::{self, Outgoing, Request};
use crate::texts;

/// The question a person has been asked and not yet answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "waiting", rename_all = "snake_case")]
pub enum Waiting {
    /// An owner in a dialogue (complaint, repair, registration …).
    Dialogue { state: State },
    /// A manager composing broadcast `draft` (its content is in
    /// `broadcasts`); `step` is what the next answer is for.
    BroadcastDraft { draft: i64, step: String },
    /// The owner pressed "Cancel #N": the reason, or "keep it".
    CancelReason { ticket: i64 },
    /// The owner rated #N: an optional comment. `held` is a text that looked
    /// like a new problem, kept until the owner says what it was.
    RatingComment {
        ticket: i64,
        #[serde(default)]
        held: Option<String>,
    },
    /// The owner wrote `text` with no active ticket but #N resolved lately:
    /// reopen #N with it, or start a new request.
    ReopenOrNew { ticket: i64, text: String },
    /// A staff member recording a visit's outcome: the note.
    VisitNote { visit: i64, outcome: Outcome },
    /// A supervisor following up a low rating of #N: what came of it.
    FollowUpNote { ticket: i64 },
    /// A staff member filling in `/newticket` (a phone, walk-in or patrol
    /// report), one step at a time.
    NewTicket { form: Box<TicketForm> },
    /// A staff member refusing registration request #N: the reason.
    RegistrationRefusal { ticket: i64 },
    /// A manager asked for the dates of a report.
    ReportRange,
    /// A manager planning an activity: `step` is what the next answer is
    /// for, `plan` what was answered so far.
    ActivityPlan { step: String, plan: PlanDraft },
    /// A staff member marking who came to activity `activity`.
    Attendance { activity: i64 },
    /// An attendee's optional comment after rating activity `activity`.
    ActivityComment { activity: i64 },
    /// A supervisor filling in the outage form: `step` is what the next
    /// answer is for, `form` what was answered so far.
    OutageForm { step: String, form: FormDraft },
}

/// The steps of the `/newticket` form, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FormStep {
    /// Phone, walk-in or patrol.
    Channel,
    /// A unit, or a common area.
    Place,
    /// The caller's name and phone (none on a patrol).
    Caller,
    Kind,
    Category,
    Priority,
    Description,
    Photos,
    Confirm,
}

impl FormStep {
    pub const ALL: [FormStep; 9] = [
        FormStep::Channel,
        FormStep::Place,
        FormStep::Caller,
        FormStep::Kind,
        FormStep::Category,
        FormStep::Priority,
        FormStep::Description,
        FormStep::Photos,
        FormStep::Confirm,
    ];

    /// The step's number on its buttons.
    #[must_use]
    pub fn code(self) -> u8 {
        match self {
            FormStep::Channel => 0,
            FormStep::Place => 1,
            FormStep::Caller => 2,
            FormStep::Kind => 3,
            FormStep::Category => 4,
            FormStep::Priority => 5,
            FormStep::Description => 6,
            FormStep::Photos => 7,
            FormStep::Confirm => 8,
        }
    }

    #[must_use]
    pub fn from_code(code: u8) -> Option<FormStep> {
        FormStep::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// What the `/newticket` form has gathered so far (stored values: a
/// ticket kind, priority and channel as the tickets table spells them).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketForm {
    /// The step being asked; `None` before the first.
    pub step: Option<FormStep>,
    /// The steps answered, for Back.
    #[serde(default)]
    pub trail: Vec<FormStep>,
    pub unit: Option<String>,
    /// A common area (from the list, or typed) when there is no unit.
    pub area: Option<String>,
    /// Units offered for a code that was not found (the buttons' order).
    #[serde(default)]
    pub offered: Vec<String>,
    pub caller_name: Option<String>,
    pub caller_phone: Option<String>,
    /// A registered resident the caller turned out to be.
    pub person_id: Option<i64>,
    pub owner_chat_id: Option<i64>,
    pub kind: Option<String>,
    pub category: Option<String>,
    pub priority: Option<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub photos: Vec<String>,
    pub channel: Option<String>,
}

impl Waiting {
    fn kind(&self) -> &'static str {
        match self {
            Waiting::Dialogue { .. } => "dialogue",
            Waiting::BroadcastDraft { .. } => "broadcast_draft",
            Waiting::CancelReason { .. } => "cancel_reason",
            Waiting::RatingComment { .. } => "rating_comment",
            Waiting::ReopenOrNew { .. } => "reopen_or_new",
            Waiting::VisitNote { .. } => "visit_note",
            Waiting::FollowUpNote { .. } => "follow_up_note",
            Waiting::NewTicket { .. } => "new_ticket",
            Waiting::RegistrationRefusal { .. } => "registration_refusal",
            Waiting::ReportRange => "report_range",
            Waiting::ActivityPlan { .. } => "activity_plan",
            Waiting::Attendance { .. } => "attendance",
            Waiting::ActivityComment { .. } => "activity_comment",
            Waiting::OutageForm { .. } => "outage_form",
        }
    }
}

/// Whose conversation: a person in a chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub chat_id: i64,
    pub user_id: i64,
}

/// A live conversation.
#[derive(Debug, Clone)]
pub struct Conversation {
    pub waiting: Waiting,
    /// Album photos waiting for the rest of their album (dialogues).
    pub album: Vec<Photo>,
}

/// A conversation as `load` found it.
#[derive(Debug)]
pub enum Loaded {
    Live(Box<Conversation>),
    /// It had expired: it is deleted, its notice queued.
    Expired(Box<Waiting>),
    Absent,
}

/// The conversation of `key`, locked until the update commits, so a
/// concurrent sweep waits and then sees the renewed expiry instead of
/// removing a question being answered. An expired one is removed and its
/// notice queued here.
pub async fn load(ctx: &mut Ctx<'_>, key: Key) -> Result<Loaded> {
    let row = sqlx::query!(
        "SELECT waiting, expires_at, album FROM conversations
          WHERE chat_id = $1 AND user_id = $2 FOR UPDATE",
        key.chat_id,
        key.user_id,
    )
    .fetch_optional(&mut *ctx.conn)
    .await?;
    let Some(row) = row else {
        return Ok(Loaded::Absent);
    };
    let waiting = match serde_json::from_value::<Waiting>(row.waiting) {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!(chat = key.chat_id, user = key.user_id, error = %e,
                "unreadable conversation state; starting afresh");
            clear(ctx.conn, key).await?;
            return Ok(Loaded::Absent);
        }
    };
    if row.expires_at <= ctx.now {
        clear(ctx.conn, key).await?;
        let ttl = ctx.app.settings.draft_ttl;
        expired(ctx.conn, Some(ctx.update_id), key, &waiting, ttl).await?;
        return Ok(Loaded::Expired(Box::new(waiting)));
    }
    let album: Vec<Photo> = serde_json::from_value(row.album).unwrap_or_default();
    Ok(Loaded::Live(Box::new(Conversation { waiting, album })))
}

/// The live conversation of `key`, if any (an expired one is told and gone).
pub async fn live(ctx: &mut Ctx<'_>, key: Key) -> Result<Option<Waiting>> {
    Ok(match load(ctx, key).await? {
        Loaded::Live(c) => Some(c.waiting),
        Loaded::Expired(_) | Loaded::Absent => None,
    })
}

/// Stores `waiting` for `key` and asks `question` in its chat with
/// `keyboard`, after why the last answer was refused (if it was): one step
/// of a form kept in the conversation state.
pub async fn ask(
    ctx: &mut Ctx<'_>,
    key: Key,
    waiting: &Waiting,
    refused: Option<String>,
    question: String,
    keyboard: teloxide::types::InlineKeyboardMarkup,
) -> Result<()> {
    wait_for(ctx, key, waiting).await?;
    let text = match refused {
        Some(why) => format!("{why}\n\n{question}"),
        None => question,
    };
    ctx.reply(key.chat_id, Request::text_with(text, keyboard))
        .await?;
    Ok(())
}

/// Stores what `key` is now asked, replacing whatever was waiting; the
/// expiry starts again from now.
pub async fn wait_for(ctx: &mut Ctx<'_>, key: Key, waiting: &Waiting) -> Result<()> {
    let expires_at = ctx.now + ctx.app.settings.draft_ttl;
    let kind = waiting.kind();
    sqlx::query!(
        "INSERT INTO conversations (chat_id, user_id, waiting, started_at, updated_at, expires_at)
         VALUES ($1, $2, $3, $4, $4, $5)
         ON CONFLICT (chat_id, user_id) DO UPDATE
           SET waiting = $3, updated_at = $4, expires_at = $5,
               album = CASE WHEN conversations.waiting->>'waiting' = $6
                            THEN conversations.album ELSE '[]'::jsonb END,
               started_at = CASE WHEN conversations.waiting->>'waiting' = $6
                                 THEN conversations.started_at ELSE $4 END",
        key.chat_id,
        key.user_id,
        serde_json::to_value(waiting)?,
        ctx.now,
        expires_at,
        kind,
    )
    .execute(&mut *ctx.conn)
    .await?;
    Ok(())
}

/// Keeps album photos that arrived ahead of the rest of their album.
pub async fn set_album(conn: &mut PgConnection, key: Key, album: &[Photo]) -> Result<()> {
    sqlx::query!(
        "UPDATE conversations SET album = $3 WHERE chat_id = $1 AND user_id = $2",
        key.chat_id,
        key.user_id,
        serde_json::to_value(album)?,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Nothing is waiting for `key` any more.
pub async fn clear(conn: &mut PgConnection, key: Key) -> Result<()> {
    sqlx::query!(
        "DELETE FROM conversations WHERE chat_id = $1 AND user_id = $2",
        key.chat_id,
        key.user_id,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Conversations left alone past their expiry (`draft_ttl`, named in the
/// notices): deleted, each person told once (a broadcast draft is discarded
/// with its question).
pub async fn expire_drafts(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    draft_ttl: chrono::Duration,
) -> Result<u64> {
    let rows = sqlx::query!(
        "DELETE FROM conversations WHERE expires_at <= $1 RETURNING chat_id, user_id, waiting",
        now,
    )
    .fetch_all(&mut *conn)
    .await?;
    let swept = rows.len() as u64;
    for row in rows {
        let key = Key {
            chat_id: row.chat_id,
            user_id: row.user_id,
        };
        match serde_json::from_value::<Waiting>(row.waiting) {
            Ok(waiting) => expired(conn, None, key, &waiting, draft_ttl).await?,
            Err(e) => {
                tracing::warn!(chat = key.chat_id, error = %e, "unreadable conversation expired")
            }
        }
    }
    Ok(swept)
}

/// Undoes what an expired question held and queues its notice.
async fn expired(
    conn: &mut PgConnection,
    update_id: Option<i64>,
    key: Key,
    waiting: &Waiting,
    draft_ttl: chrono::Duration,
) -> Result<()> {
    let hours = draft_ttl.num_hours().to_string();
    let lang = match waiting {
        Waiting::Dialogue { state } => state.lang,
        _ => chat_language(conn, key.chat_id).await?.unwrap_or_default(),
    };
    let request = match waiting {
        Waiting::Dialogue { .. } => {
            let text = texts::DRAFT_EXPIRED.fill(lang, &[("hours", &hours)]);
            Request::text_with(text, main_menu(lang))
        }
        Waiting::BroadcastDraft { draft, .. } => {
            if !broadcasts::cancel_draft(conn, *draft).await? {
                return Ok(());
            }
            Request::text(
                texts::BROADCAST_DRAFT_EXPIRED
                    .fill(lang, &[("n", &draft.to_string()), ("hours", &hours)]),
            )
        }
        Waiting::CancelReason { ticket } => {
            Request::text(texts::CANCEL_REASON_EXPIRED.fill(lang, &[("id", &format!("#{ticket}"))]))
        }
        Waiting::VisitNote { visit, .. } => {
            Request::text(texts::VISIT_NOTE_EXPIRED.fill(lang, &[("visit", &visit.to_string())]))
        }
        Waiting::FollowUpNote { ticket } => Request::text(
            texts::desk::FOLLOW_UP_NOTE_EXPIRED.fill(lang, &[("id", &format!("#{ticket}"))]),
        ),
        Waiting::NewTicket { .. } => Request::text(texts::desk::NT_EXPIRED.get(lang)),
        Waiting::RegistrationRefusal { ticket } => Request::text(
            texts::household::REFUSAL_EXPIRED.fill(lang, &[("id", &format!("#{ticket}"))]),
        ),
        Waiting::ActivityPlan { .. } => {
            Request::text(texts::activity::PLAN_EXPIRED.fill(lang, &[("hours", &hours)]))
        }
        Waiting::OutageForm { .. } => {
            Request::text(texts::outage::FORM_EXPIRED.fill(lang, &[("hours", &hours)]))
        }
        Waiting::Attendance { activity } => Request::text(
            texts::activity::ATTENDANCE_EXPIRED.fill(lang, &[("id", &activity.to_string())]),
        ),
        // The rating stands; an unsent comment or an unanswered offer needs
        // no notice.
        // A report's dates need no notice either: /report asks again.
        Waiting::RatingComment { .. }
        | Waiting::ReopenOrNew { .. }
        | Waiting::ReportRange
        | Waiting::ActivityComment { .. } => return Ok(()),
    };
    outbox::enqueue(conn, update_id, &Outgoing::reply(key.chat_id, request)).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_question_round_trips_through_its_stored_json() {
        let all = [
            Waiting::BroadcastDraft {
                draft: 3,
                step: "text".into(),
            },
            Waiting::CancelReason { ticket: 12 },
            Waiting::RatingComment {
                ticket: 12,
                held: Some("电梯也坏了".into()),
            },
            Waiting::ReopenOrNew {
                ticket: 9,
                text: "still leaking".into(),
            },
            Waiting::VisitNote {
                visit: 4,
                outcome: Outcome::OwnerAbsent,
            },
            Waiting::FollowUpNote { ticket: 7 },
            Waiting::NewTicket {
                form: Box::new(TicketForm {
                    step: Some(FormStep::Caller),
                    trail: vec![FormStep::Place],
                    area: Some("B2车库".into()),
                    photos: vec!["file-1".into()],
                    ..TicketForm::default()
                }),
            },
            Waiting::RegistrationRefusal { ticket: 7 },
            Waiting::ReportRange,
            Waiting::ActivityPlan {
                step: "capacity".into(),
                plan: PlanDraft {
                    title: Some("植树".into()),
                    ..PlanDraft::default()
                },
            },
            Waiting::Attendance { activity: 3 },
            Waiting::ActivityComment { activity: 3 },
            Waiting::OutageForm {
                step: "floors".into(),
                form: FormDraft {
                    kind: Some("water".into()),
                    ..FormDraft::default()
                },
            },
        ];
        for w in all {
            let json = serde_json::to_value(&w).unwrap();
            assert_eq!(json["waiting"], w.kind(), "{json}");
            assert_eq!(serde_json::from_value::<Waiting>(json).unwrap(), w);
        }
        // What migration 0011 writes for a pending prompt.
        let moved: Waiting = serde_json::from_value(serde_json::json!(
            {"waiting": "rating_comment", "ticket": 5}
        ))
        .unwrap();
        assert_eq!(
            moved,
            Waiting::RatingComment {
                ticket: 5,
                held: None
            }
        );
        let note: Waiting = serde_json::from_value(serde_json::json!(
            {"waiting": "visit_note", "visit": 2, "outcome": "absent"}
        ))
        .unwrap();
        assert_eq!(
            note,
            Waiting::VisitNote {
                visit: 2,
                outcome: Outcome::OwnerAbsent
            }
        );
    }
}

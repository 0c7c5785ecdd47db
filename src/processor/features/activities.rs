//! Public-welfare activities in Telegram.
//!
//! - A manager plans one with `/activity` (private chat): title, date and
//!   time, place, capacity, description, then Announce. The plan lives in
//!   the manager's conversation state (`Waiting::ActivityPlan`) and expires
//!   like any draft; the announcement is a broadcast to every owner whose
//!   buttons are the activity's (Join / Can't come), so it can be stopped
//!   and recalled like any notice and counts in the report.
//! - Owners join up to the capacity, then onto a waiting list; giving up a
//!   place moves the first in line up, and tells them.
//! - The day before, those with a place are reminded (`run_due`).
//! - Staff mark who came with `/attendance N` (a numbered list; they answer
//!   `1 3 5-7`, `all` or `none`); each attendee then gets a feedback form:
//!   1–5, then an optional comment. `/activities` lists them; the report
//!   sums them up.

use anyhow::Result;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sqlx::PgConnection;
use teloxide::types::{CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message};

use crate::clock::local_minute as local;
use crate::domain::activities::{
    self as act, AttendanceOutcome, JoinOutcome, LeaveOutcome, PlanDraft, PlanError,
};
use crate::domain::broadcasts::{self as bc, Audience, NewBroadcast, Schedule};
use crate::domain::staff::StaffRole;
use crate::domain::{people, staff};
use crate::i18n::Lang;
use crate::outbox::{self, Batch, Lane, Outgoing, Request};
use crate::processor::commands::{self, Chats, Command, Feature, Who};
use crate::processor::context::{App, Ctx};
use crate::processor::conversation::{self, Waiting};
use crate::processor::reply::{answer, remove_buttons, say, Sender};
use crate::telegram::callback::Callback;
use crate::texts::activity as t;

/// Activities `/activities` lists.
const LIST_LIMIT: i64 = 10;

/// Planning is for managers; the list and attendance for any staff member.
pub const COMMANDS: &[Command] = &[
    Command::new(
        "activity",
        Feature::Activities,
        Chats::Any,
        Who::Staff(StaffRole::Manager),
    )
    .described(crate::texts::desk::CMD_ACTIVITY),
    Command::new(
        "activities",
        Feature::Activities,
        Chats::Any,
        Who::Staff(StaffRole::Assistant),
    )
    .described(crate::texts::desk::CMD_ACTIVITIES),
    Command::new(
        "attendance",
        Feature::Activities,
        Chats::Any,
        Who::Staff(StaffRole::Assistant),
    )
    .described(crate::texts::desk::CMD_ATTENDANCE),
];

/// `/activity`, `/activities`, `/attendance N`. False for other messages.
pub async fn on_message(ctx: &mut Ctx<'_>, from: &Sender, msg: &Message) -> Result<bool> {
    let Some(text) = msg.text() else {
        return Ok(false);
    };
    let word = commands::word(text, &ctx.app.settings.bot_username);
    let args = text
        .split_once(char::is_whitespace)
        .map_or("", |(_, a)| a)
        .trim();
    match word.as_deref() {
        Some("activity") => start_plan(ctx, from).await?,
        Some("activities") => list(ctx, from).await?,
        Some("attendance") => ask_attendance(ctx, from, args).await?,
        _ => return Ok(false),
    }
    Ok(true)
}

async fn staff_member(ctx: &mut Ctx<'_>, from: &Sender) -> Result<Option<staff::Staff>> {
    staff::by_telegram_id(ctx.conn, from.user_id).await
}

// ------------------------------------------------------------------ plan

async fn start_plan(ctx: &mut Ctx<'_>, from: &Sender) -> Result<()> {
    let lang = from.lang;
    if !staff_member(ctx, from)
        .await?
        .is_some_and(|s| s.role.can_plan_activities())
    {
        tracing::warn!(
            user_id = from.user_id,
            "activity plan refused: not a manager"
        );
        return say(ctx, from.chat_id, t::MANAGERS_ONLY.get(lang)).await;
    }
    if !from.private {
        return say(ctx, from.chat_id, t::PRIVATE_ONLY.get(lang)).await;
    }
    ask_step(ctx, from, "title", PlanDraft::default(), None).await
}

/// Stores where the plan is and asks its question (after why the last
/// answer was refused, if it was).
async fn ask_step(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    step: &str,
    plan: PlanDraft,
    refused: Option<String>,
) -> Result<()> {
    let lang = from.lang;
    let tz = ctx.app.settings.timezone;
    let cancel =
        InlineKeyboardButton::callback(t::CANCEL.get(lang), Callback::ActivityPlanCancel.encode());
    let (question, keyboard) = match step {
        "title" => (
            t::ASK_TITLE.fill(lang, &[("max", &act::TITLE_MAX.to_string())]),
            vec![vec![cancel]],
        ),
        "when" => (t::ASK_WHEN.get(lang).to_string(), vec![vec![cancel]]),
        "place" => (
            t::ASK_PLACE.fill(lang, &[("max", &act::PLACE_MAX.to_string())]),
            vec![vec![cancel]],
        ),
        "capacity" => (
            t::ASK_CAPACITY.fill(lang, &[("max", &act::CAPACITY_MAX.to_string())]),
            vec![vec![cancel]],
        ),
        "description" => (
            t::ASK_DESCRIPTION.fill(lang, &[("max", &act::DESCRIPTION_MAX.to_string())]),
            vec![vec![
                InlineKeyboardButton::callback(
                    t::SKIP.get(lang),
                    Callback::ActivitySkipDescription.encode(),
                ),
                cancel,
            ]],
        ),
        _ => {
            let Some(p) = plan.complete() else {
                return Ok(());
            };
            (
                t::PREVIEW.fill(
                    lang,
                    &[
                        ("title", &p.title),
                        ("when", &local(p.starts_at, tz)),
                        ("place", &p.place),
                        ("capacity", &p.capacity.to_string()),
                        ("description", &p.description),
                    ],
                ),
                vec![vec![
                    InlineKeyboardButton::callback(
                        t::ANNOUNCE.get(lang),
                        Callback::ActivityAnnounce.encode(),
                    ),
                    cancel,
                ]],
            )
        }
    };
    let waiting = Waiting::ActivityPlan {
        step: step.to_string(),
        plan,
    };
    conversation::ask(
        ctx,
        from.key(),
        &waiting,
        refused,
        question,
        InlineKeyboardMarkup::new(keyboard),
    )
    .await
}

fn plan_error(e: &PlanError, text: &str, lang: Lang, tz: Tz, now: DateTime<Utc>) -> String {
    let _ = now;
    match e {
        PlanError::Empty => t::ERR_EMPTY.get(lang).to_string(),
        PlanError::TooLong { got, max } => t::ERR_TOO_LONG.fill(
            lang,
            &[("got", &got.to_string()), ("max", &max.to_string())],
        ),
        PlanError::BadTime => t::ERR_BAD_TIME.fill(lang, &[("text", text.trim())]),
        PlanError::Past => {
            let when = act::parse_when(text, DateTime::<Utc>::MIN_UTC, tz)
                .map_or_else(|_| text.trim().to_string(), |at| local(at, tz));
            t::ERR_PAST.fill(lang, &[("when", &when)])
        }
        PlanError::NotANumber => t::ERR_NOT_A_NUMBER.fill(lang, &[("text", text.trim())]),
        PlanError::CapacityTooSmall(_) => t::ERR_CAPACITY_SMALL.get(lang).to_string(),
        PlanError::CapacityTooLarge(_) => {
            t::ERR_CAPACITY_LARGE.fill(lang, &[("max", &act::CAPACITY_MAX.to_string())])
        }
    }
}

/// A message while the plan waits for `step`. `/cancel` drops the plan;
/// other commands pass (the plan waits).
pub async fn on_plan_answer(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    msg: &Message,
    step: &str,
    mut plan: PlanDraft,
) -> Result<bool> {
    let text = msg.text().unwrap_or_default();
    match commands::word(text, &ctx.app.settings.bot_username).as_deref() {
        Some("cancel") => {
            conversation::clear(ctx.conn, from.key()).await?;
            say(ctx, from.chat_id, t::CANCELLED.get(from.lang)).await?;
            return Ok(true);
        }
        Some(_) => return Ok(false),
        None => {}
    }
    let tz = ctx.app.settings.timezone;
    let parsed = match step {
        "title" => act::parse_text(text, act::TITLE_MAX).map(|v| {
            plan.title = Some(v);
            "when"
        }),
        "when" => act::parse_when(text, ctx.now, tz).map(|v| {
            plan.starts_at = Some(v);
            "place"
        }),
        "place" => act::parse_text(text, act::PLACE_MAX).map(|v| {
            plan.place = Some(v);
            "capacity"
        }),
        "capacity" => act::parse_capacity(text).map(|v| {
            plan.capacity = Some(v);
            "description"
        }),
        "description" => act::parse_text(text, act::DESCRIPTION_MAX).map(|v| {
            plan.description = Some(v);
            "preview"
        }),
        // The preview waits for a button.
        _ => return ask_step(ctx, from, step, plan, None).await.map(|()| true),
    };
    match parsed {
        Ok(next) => ask_step(ctx, from, next, plan, None).await?,
        Err(e) => {
            tracing::info!(user_id = from.user_id, step, error = %e, "activity plan answer refused");
            let why = plan_error(&e, text, from.lang, tz, ctx.now);
            ask_step(ctx, from, step, plan, Some(why)).await?;
        }
    }
    Ok(true)
}

/// The plan's buttons: skip the description, announce, cancel.
async fn on_plan_button(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    q: &CallbackQuery,
    button: &Callback,
) -> Result<()> {
    let lang = from.lang;
    let (step, plan) = match conversation::live(ctx, from.key()).await? {
        Some(Waiting::ActivityPlan { step, plan }) => (step, plan),
        _ => return answer(ctx, q, Some(crate::texts::BUTTON_EXPIRED.get(lang))).await,
    };
    answer(ctx, q, None).await?;
    match button {
        Callback::ActivityPlanCancel => {
            remove_buttons(ctx, q).await?;
            conversation::clear(ctx.conn, from.key()).await?;
            say(ctx, from.chat_id, t::CANCELLED.get(lang)).await
        }
        Callback::ActivitySkipDescription if step == "description" => {
            remove_buttons(ctx, q).await?;
            let mut plan = plan;
            plan.description = Some(String::new());
            ask_step(ctx, from, "preview", plan, None).await
        }
        Callback::ActivityAnnounce if step == "preview" => {
            remove_buttons(ctx, q).await?;
            announce(ctx, from, &plan).await
        }
        _ => say(ctx, from.chat_id, crate::texts::BUTTON_EXPIRED.get(lang)).await,
    }
}

/// Stores the activity and announces it to every owner as a broadcast with
/// the activity's buttons, in each owner's language.
async fn announce(ctx: &mut Ctx<'_>, from: &Sender, plan: &PlanDraft) -> Result<()> {
    let lang = from.lang;
    let tz = ctx.app.settings.timezone;
    let Some(plan) = plan.complete() else {
        return Ok(());
    };
    if !staff_member(ctx, from)
        .await?
        .is_some_and(|s| s.role.can_plan_activities())
    {
        conversation::clear(ctx.conn, from.key()).await?;
        return say(ctx, from.chat_id, t::MANAGERS_ONLY.get(lang)).await;
    }
    if plan.starts_at <= ctx.now {
        let why = t::ERR_PAST.fill(lang, &[("when", &local(plan.starts_at, tz))]);
        let draft = PlanDraft {
            title: Some(plan.title),
            place: Some(plan.place),
            capacity: Some(plan.capacity),
            description: Some(plan.description),
            ..PlanDraft::default()
        };
        return ask_step(ctx, from, "when", draft, Some(why)).await;
    }
    let id = act::create(ctx.conn, &plan, from.user_id, ctx.now).await?;
    let text_in = |l: Lang| {
        t::ANNOUNCEMENT.fill(
            l,
            &[
                ("title", &plan.title),
                ("when", &local(plan.starts_at, tz)),
                ("place", &plan.place),
                ("capacity", &plan.capacity.to_string()),
                ("description", &plan.description),
            ],
        )
    };
    // The author's conversation is this plan, so an unfinished broadcast
    // draft of theirs can no longer be reached: it gives way.
    if let Some(draft) = bc::draft_of(ctx.conn, from.user_id).await? {
        bc::cancel_draft(ctx.conn, draft.id).await?;
    }
    let broadcast = bc::insert_draft(
        ctx.conn,
        &NewBroadcast {
            author_user_id: from.user_id,
            author_chat_id: from.chat_id,
            audience: Audience::All,
            text: text_in(Lang::default()),
            photo: None,
            rsvp: false,
            urgent: false,
            send_at: None,
        },
    )
    .await?;
    for l in Lang::ALL.into_iter().filter(|l| *l != Lang::default()) {
        bc::set_text_in(ctx.conn, broadcast, l, Some(&text_in(l))).await?;
    }
    bc::set_activity(ctx.conn, broadcast, id).await?;
    let schedule = Schedule::load(ctx.conn, tz).await?;
    conversation::clear(ctx.conn, from.key()).await?;
    match super::broadcast::confirm(ctx.conn, schedule, broadcast, ctx.now).await? {
        Ok(started) => {
            tracing::info!(
                activity = id,
                broadcast,
                recipients = started.recipients,
                "activity announced"
            );
            say(
                ctx,
                from.chat_id,
                t::ANNOUNCED.fill(
                    lang,
                    &[
                        ("id", &id.to_string()),
                        ("broadcast", &broadcast.to_string()),
                    ],
                ),
            )
            .await
        }
        Err(refusal) => {
            tracing::info!(activity = id, ?refusal, "activity announcement refused");
            bc::cancel_draft(ctx.conn, broadcast).await?;
            say(ctx, from.chat_id, t::NO_AUDIENCE.get(lang)).await
        }
    }
}

// ------------------------------------------------------------------ owners

/// An activity button.
pub async fn on_button(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    q: &CallbackQuery,
    button: Callback,
) -> Result<()> {
    match button {
        Callback::ActivityJoin(id) => join(ctx, from, q, id).await,
        Callback::ActivityLeave(id) => leave(ctx, from, q, id).await,
        Callback::ActivityRate { activity, stars } => rate(ctx, from, q, activity, stars).await,
        Callback::ActivitySkipComment(_) => {
            answer(ctx, q, None).await?;
            remove_buttons(ctx, q).await?;
            if matches!(
                conversation::live(ctx, from.key()).await?,
                Some(Waiting::ActivityComment { .. })
            ) {
                conversation::clear(ctx.conn, from.key()).await?;
            }
            say(ctx, from.chat_id, t::THANKS.get(from.lang)).await
        }
        Callback::ActivitySkipDescription
        | Callback::ActivityAnnounce
        | Callback::ActivityPlanCancel => on_plan_button(ctx, from, q, &button).await,
        _ => answer(ctx, q, Some(crate::texts::BUTTON_EXPIRED.get(from.lang))).await,
    }
}

async fn join(ctx: &mut Ctx<'_>, from: &Sender, q: &CallbackQuery, id: i64) -> Result<()> {
    let lang = from.lang;
    let tz = ctx.app.settings.timezone;
    let person = people::find_person_by_telegram_id(ctx.conn, from.user_id).await?;
    let outcome = act::join(ctx.conn, id, person.map(|p| p.id), from.chat_id, ctx.now).await?;
    let Some(a) = act::load_for_update(ctx.conn, id).await? else {
        return answer(ctx, q, Some(t::CLOSED.get(lang))).await;
    };
    let message = match outcome {
        JoinOutcome::Joined => t::JOINED.fill(
            lang,
            &[
                ("title", &a.title),
                ("when", &local(a.starts_at, tz)),
                ("place", &a.place),
            ],
        ),
        JoinOutcome::Waiting(n) => {
            t::WAITING.fill(lang, &[("title", &a.title), ("n", &n.to_string())])
        }
        JoinOutcome::AlreadyJoined => {
            return answer(ctx, q, Some(t::ALREADY_JOINED.get(lang))).await
        }
        JoinOutcome::AlreadyWaiting(n) => {
            let toast = t::ALREADY_WAITING.fill(lang, &[("n", &n.to_string())]);
            return answer(ctx, q, Some(toast.as_str())).await;
        }
        JoinOutcome::Closed => return answer(ctx, q, Some(t::CLOSED.get(lang))).await,
    };
    tracing::info!(
        activity = id,
        chat = from.chat_id,
        ?outcome,
        "activity join"
    );
    answer(ctx, q, None).await?;
    say(ctx, from.chat_id, message).await
}

async fn leave(ctx: &mut Ctx<'_>, from: &Sender, q: &CallbackQuery, id: i64) -> Result<()> {
    let lang = from.lang;
    let tz = ctx.app.settings.timezone;
    let outcome = act::leave(ctx.conn, id, from.chat_id, ctx.now).await?;
    let Some(a) = act::load_for_update(ctx.conn, id).await? else {
        return answer(ctx, q, Some(t::CLOSED.get(lang))).await;
    };
    let promoted = match outcome {
        LeaveOutcome::Closed => return answer(ctx, q, Some(t::CLOSED.get(lang))).await,
        LeaveOutcome::NotOnList => return answer(ctx, q, Some(t::NOT_ON_LIST.get(lang))).await,
        LeaveOutcome::Left { promoted } => promoted,
    };
    tracing::info!(
        activity = id,
        chat = from.chat_id,
        ?promoted,
        "activity place given up"
    );
    answer(ctx, q, None).await?;
    say(
        ctx,
        from.chat_id,
        t::LEFT.fill(lang, &[("title", &a.title)]),
    )
    .await?;
    if let Some((chat, their)) = promoted {
        let text = t::PROMOTED.fill(
            their,
            &[
                ("title", &a.title),
                ("when", &local(a.starts_at, tz)),
                ("place", &a.place),
            ],
        );
        ctx.send(Outgoing::new(
            chat,
            Lane::Reminder,
            Request::text_with(text, leave_keyboard(id, their)),
        ))
        .await?;
    }
    Ok(())
}

fn leave_keyboard(id: i64, lang: Lang) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new([[InlineKeyboardButton::callback(
        t::LEAVE_BUTTON.get(lang),
        Callback::ActivityLeave(id).encode(),
    )]])
}

async fn rate(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    q: &CallbackQuery,
    id: i64,
    stars: u8,
) -> Result<()> {
    let lang = from.lang;
    if !act::rate(ctx.conn, id, from.chat_id, stars, ctx.now).await? {
        return answer(ctx, q, Some(t::NOT_ATTENDED.get(lang))).await;
    }
    answer(ctx, q, None).await?;
    remove_buttons(ctx, q).await?;
    conversation::wait_for(ctx, from.key(), &Waiting::ActivityComment { activity: id }).await?;
    let keyboard = InlineKeyboardMarkup::new([[InlineKeyboardButton::callback(
        t::SKIP.get(lang),
        Callback::ActivitySkipComment(id).encode(),
    )]]);
    ctx.reply(
        from.chat_id,
        Request::text_with(t::ASK_COMMENT.get(lang), keyboard),
    )
    .await?;
    Ok(())
}

/// A message while an attendee's comment is asked for: a command passes
/// (the question is dropped), any text is the comment.
pub async fn on_comment(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    msg: &Message,
    activity: i64,
) -> Result<bool> {
    let Some(text) = msg.text().map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(false);
    };
    conversation::clear(ctx.conn, from.key()).await?;
    if text.starts_with('/') {
        return Ok(false);
    }
    act::comment(ctx.conn, activity, from.chat_id, text, ctx.now).await?;
    say(ctx, from.chat_id, t::THANKS.get(from.lang)).await?;
    Ok(true)
}

// ------------------------------------------------------------------ staff

async fn list(ctx: &mut Ctx<'_>, from: &Sender) -> Result<()> {
    let lang = from.lang;
    if staff_member(ctx, from).await?.is_none() {
        return say(ctx, from.chat_id, t::STAFF_ONLY.get(lang)).await;
    }
    let tz = ctx.app.settings.timezone;
    let items = act::recent(ctx.conn, LIST_LIMIT).await?;
    if items.is_empty() {
        return say(ctx, from.chat_id, t::LIST_EMPTY.get(lang)).await;
    }
    let mut text = t::LIST_HEADER.get(lang).to_string();
    for a in items {
        text.push('\n');
        text.push_str(&t::LIST_LINE.fill(
            lang,
            &[
                ("id", &a.id.to_string()),
                ("title", &a.title),
                ("when", &local(a.starts_at, tz)),
                ("place", &a.place),
                ("joined", &a.joined.to_string()),
                ("capacity", &a.capacity.to_string()),
                ("waiting", &a.waiting.to_string()),
            ],
        ));
    }
    say(ctx, from.chat_id, text).await
}

/// `/attendance N`: the numbered list of those with a place, and the
/// question who came.
async fn ask_attendance(ctx: &mut Ctx<'_>, from: &Sender, args: &str) -> Result<()> {
    let lang = from.lang;
    if staff_member(ctx, from).await?.is_none() {
        return say(ctx, from.chat_id, t::STAFF_ONLY.get(lang)).await;
    }
    let Ok(id) = args.trim_start_matches('#').parse::<i64>() else {
        return say(ctx, from.chat_id, t::ATTENDANCE_USAGE.get(lang)).await;
    };
    let number = id.to_string();
    let Some(a) = act::load_for_update(ctx.conn, id).await? else {
        return say(
            ctx,
            from.chat_id,
            t::ATTENDANCE_NOT_FOUND.fill(lang, &[("id", &number)]),
        )
        .await;
    };
    if a.attendance_at.is_some() {
        return say(
            ctx,
            from.chat_id,
            t::ATTENDANCE_ALREADY.fill(lang, &[("id", &number)]),
        )
        .await;
    }
    if a.starts_at > ctx.now {
        return say(
            ctx,
            from.chat_id,
            t::ATTENDANCE_TOO_EARLY.fill(lang, &[("id", &number)]),
        )
        .await;
    }
    let roster = act::roster(ctx.conn, id).await?;
    if roster.is_empty() {
        return say(
            ctx,
            from.chat_id,
            t::ATTENDANCE_EMPTY.fill(lang, &[("id", &number)]),
        )
        .await;
    }
    let lines: Vec<String> = roster
        .iter()
        .enumerate()
        .map(|(i, r)| {
            t::ROSTER_LINE.fill(
                lang,
                &[
                    ("n", &(i + 1).to_string()),
                    ("name", &r.name),
                    ("units", &r.units),
                ],
            )
        })
        .collect();
    conversation::wait_for(ctx, from.key(), &Waiting::Attendance { activity: id }).await?;
    let text = t::ATTENDANCE_ROSTER.fill(
        lang,
        &[
            ("id", &number),
            ("title", &a.title),
            ("list", &lines.join("\n")),
        ],
    );
    crate::processor::features::staff::say(ctx, from.chat_id, text).await
}

/// The answer to "who came": saved, and each attendee gets the feedback
/// form. `/cancel` drops the question; other commands pass.
pub async fn on_attendance(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    msg: &Message,
    id: i64,
) -> Result<bool> {
    let lang = from.lang;
    let text = msg.text().unwrap_or_default();
    match commands::word(text, &ctx.app.settings.bot_username).as_deref() {
        Some("cancel") => {
            conversation::clear(ctx.conn, from.key()).await?;
            say(ctx, from.chat_id, crate::texts::NOTHING_TO_CANCEL.get(lang)).await?;
            return Ok(true);
        }
        Some(_) => return Ok(false),
        None => {}
    }
    let Some(member) = staff_member(ctx, from).await? else {
        conversation::clear(ctx.conn, from.key()).await?;
        return Ok(false);
    };
    let roster = act::roster(ctx.conn, id).await?;
    let Some(present) = act::parse_present(text, roster.len()) else {
        conversation::wait_for(ctx, from.key(), &Waiting::Attendance { activity: id }).await?;
        say(
            ctx,
            from.chat_id,
            t::ATTENDANCE_BAD.fill(lang, &[("max", &roster.len().to_string())]),
        )
        .await?;
        return Ok(true);
    };
    let ids: Vec<i64> = present
        .iter()
        .filter_map(|n| roster.get(n - 1).map(|r| r.rsvp_id))
        .collect();
    conversation::clear(ctx.conn, from.key()).await?;
    let number = id.to_string();
    match act::save_attendance(ctx.conn, id, &ids, member.telegram_user_id, ctx.now).await? {
        AttendanceOutcome::Saved { attended, joined } => {
            let Some(a) = act::load_for_update(ctx.conn, id).await? else {
                return Ok(true);
            };
            queue_feedback(ctx.conn, ctx.update_id, &a.title, id, &attended).await?;
            tracing::info!(
                activity = id,
                attended = attended.len(),
                joined,
                "attendance saved"
            );
            say(
                ctx,
                from.chat_id,
                t::ATTENDANCE_SAVED.fill(
                    lang,
                    &[
                        ("id", &number),
                        ("attended", &attended.len().to_string()),
                        ("joined", &joined.to_string()),
                    ],
                ),
            )
            .await?;
        }
        AttendanceOutcome::AlreadySaved => {
            say(
                ctx,
                from.chat_id,
                t::ATTENDANCE_ALREADY.fill(lang, &[("id", &number)]),
            )
            .await?;
        }
        AttendanceOutcome::TooEarly => {
            say(
                ctx,
                from.chat_id,
                t::ATTENDANCE_TOO_EARLY.fill(lang, &[("id", &number)]),
            )
            .await?;
        }
        AttendanceOutcome::NotFound => {
            say(
                ctx,
                from.chat_id,
                t::ATTENDANCE_NOT_FOUND.fill(lang, &[("id", &number)]),
            )
            .await?;
        }
    }
    Ok(true)
}

/// The feedback form (1–5 buttons) to each attendee, in their language.
async fn queue_feedback(
    conn: &mut PgConnection,
    update_id: i64,
    title: &str,
    id: i64,
    attended: &[(i64, Lang)],
) -> Result<()> {
    let requests: Vec<Request> = Lang::ALL
        .into_iter()
        .map(|l| {
            let stars: Vec<InlineKeyboardButton> = (1..=5u8)
                .map(|s| {
                    InlineKeyboardButton::callback(
                        s.to_string(),
                        Callback::ActivityRate {
                            activity: id,
                            stars: s,
                        }
                        .encode(),
                    )
                })
                .collect();
            Request::text_with(
                t::FEEDBACK.fill(l, &[("title", title)]),
                InlineKeyboardMarkup::new([stars]),
            )
        })
        .collect();
    let rows: Vec<(i64, usize)> = attended
        .iter()
        .map(|(chat, l)| (*chat, l.index()))
        .collect();
    let batch = Batch {
        lane: Lane::Reminder,
        not_before: None,
        update_id: Some(update_id),
        requests: &requests,
    };
    outbox::enqueue_many(conn, &batch, &rows).await?;
    Ok(())
}

// ------------------------------------------------------------------ reminders

/// The reminder the day before, to everyone with a place (held by quiet
/// hours like other reminders). Returns how many were queued.
pub async fn run_due(conn: &mut PgConnection, app: &App, now: DateTime<Utc>) -> Result<u64> {
    let tz = app.settings.timezone;
    let schedule = Schedule::load(conn, tz).await?;
    let mut queued = 0;
    for id in act::reminders_due(conn, now, tz).await? {
        let Some(a) = act::load_for_update(conn, id).await? else {
            continue;
        };
        let joined = act::joined_chats(conn, id).await?;
        let requests: Vec<Request> = Lang::ALL
            .into_iter()
            .map(|l| {
                let text = t::REMINDER.fill(
                    l,
                    &[
                        ("title", &a.title),
                        ("when", &local(a.starts_at, tz)),
                        ("place", &a.place),
                    ],
                );
                Request::text_with(text, leave_keyboard(id, l))
            })
            .collect();
        let rows: Vec<(i64, usize)> = joined.iter().map(|(chat, l)| (*chat, l.index())).collect();
        // Held by quiet hours, else now.
        let release = schedule.quiet_hours.release(now, tz);
        let batch = Batch {
            lane: Lane::Reminder,
            not_before: (release > now).then_some(release),
            update_id: None,
            requests: &requests,
        };
        queued += outbox::enqueue_many(conn, &batch, &rows).await?.len() as u64;
        act::mark_reminded(conn, id, now).await?;
        tracing::info!(
            activity = id,
            reminded = rows.len(),
            "activity reminder queued"
        );
    }
    Ok(queued)
}

//! Visits in the chat: staff book a visit (`/visit`), the owner confirms or
//! picks another time (`v:` buttons), staff record the outcome
//! (`/outcome`). The timed side — reminders — is `run_due`.

mod booking;
pub(crate) mod desk;
mod due;
mod outcome;
mod show;

use anyhow::Result;
use teloxide::types::{CallbackQuery, Message};

pub use due::run_due;
pub use show::{answer_buttons, describe, lang_of, when};

use crate::domain::staff::{self, StaffRole};
use crate::domain::visits::{self, Outcome};
use crate::outbox::Request;
use crate::processor::commands::{Chats, Command, Feature, Who};
use crate::processor::context::Ctx;
use crate::processor::conversation::{self, Key};
use crate::processor::reply::{answer, Sender};
use crate::telegram::callback::Callback;
use crate::texts::{self as common, fill};
pub use outcome::split_department;

use booking::{book, load_subject, may_book, owner_button, visit_command};
use desk::{command, desk_for, desk_lang, staff_desk};
use outcome::{ask_note, may_record, outcome_command, record};

/// A message: `/visit` or `/outcome`. True if handled here.
/// The visit commands (butlers and above).
pub const COMMANDS: &[Command] = &[
    Command::new(
        "visit",
        Feature::Visits,
        Chats::Any,
        Who::Staff(StaffRole::Butler),
    ),
    Command::new(
        "outcome",
        Feature::Visits,
        Chats::Any,
        Who::Staff(StaffRole::Butler),
    ),
];

pub async fn on_message(ctx: &mut Ctx<'_>, from: &Sender, msg: &Message) -> Result<bool> {
    let Some(text) = msg.text() else {
        return Ok(false);
    };
    let parsed = command(text, &ctx.app.settings.bot_username);
    match parsed.as_ref().map(|(n, a)| (n.as_str(), *a)) {
        Some(("visit", args)) => {
            if let Some(desk) = staff_desk(ctx, from, StaffRole::Butler, "visit").await? {
                visit_command(ctx, &desk, args).await?;
            }
            Ok(true)
        }
        Some(("outcome", args)) => {
            if let Some(desk) = staff_desk(ctx, from, StaffRole::Butler, "outcome").await? {
                outcome_command(ctx, &desk, args).await?;
            }
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// A message from the staff member asked for the note of `visit_id`'s
/// `outcome`, in the chat where they were asked (another person's message
/// there is never theirs): the note, `/skip` for none, `/cancel` to leave
/// it. Other commands and non-text pass (the question waits).
pub async fn on_waiting(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    msg: &Message,
    visit_id: i64,
    outcome: Outcome,
) -> Result<bool> {
    let Some(text) = msg.text() else {
        return Ok(false);
    };
    let key = Key {
        chat_id: from.chat_id,
        user_id: from.user_id,
    };
    let word = crate::processor::commands::word(text, &ctx.app.settings.bot_username);
    let note = match word.as_deref() {
        None => text.trim(),
        Some("skip") => "",
        Some("cancel") => {
            conversation::clear(ctx.conn, key).await?;
            let lang = desk_lang(ctx, from).await?;
            let text = fill(
                common::VISIT_NOTE_CANCELLED.get(lang),
                &[("visit", &visit_id.to_string())],
            );
            ctx.reply(from.chat_id, Request::text(text)).await?;
            return Ok(true);
        }
        Some(_) => return Ok(false),
    };
    conversation::clear(ctx.conn, key).await?;
    let Some(member) = staff::by_telegram_id(ctx.conn, from.user_id).await? else {
        return Ok(false);
    };
    let desk = desk_for(ctx, from, member).await?;
    let Some(visit) = visits::load(ctx.conn, visit_id).await? else {
        return Ok(true);
    };
    record(ctx, &desk, &visit, outcome, note).await?;
    Ok(true)
}

/// A visit button. Staff: slot picked, outcome. Owner: confirm, ask for
/// another time, move to a picked slot.
pub async fn on_button(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    q: &CallbackQuery,
    button: Callback,
) -> Result<()> {
    match button {
        Callback::VisitSlot { subject, at } => {
            let Some(desk) = staff_desk(ctx, from, StaffRole::Butler, "visit slot").await? else {
                return answer(ctx, q, None).await;
            };
            answer(ctx, q, None).await?;
            let Some(subject) = load_subject(ctx, subject).await? else {
                return desk.say_phrase(ctx, common::BUTTON_EXPIRED, &[]).await;
            };
            if !may_book(ctx, &desk, &subject).await? {
                return Ok(());
            }
            book(ctx, &desk, subject, at).await
        }
        Callback::VisitOutcome { visit, outcome } => {
            let Some(desk) = staff_desk(ctx, from, StaffRole::Butler, "visit outcome").await?
            else {
                return answer(ctx, q, None).await;
            };
            answer(ctx, q, None).await?;
            let Some(visit) = visits::load(ctx.conn, visit).await? else {
                return desk.say_phrase(ctx, common::BUTTON_EXPIRED, &[]).await;
            };
            if !may_record(ctx, &desk, &visit).await? {
                return Ok(());
            }
            ask_note(ctx, &desk, &visit, outcome).await
        }
        Callback::VisitConfirm { visit, at }
        | Callback::VisitReschedule { visit, at }
        | Callback::VisitMove { visit, at } => owner_button(ctx, from, q, &button, visit, at).await,
        _ => answer(ctx, q, Some(common::BUTTON_EXPIRED.get(from.lang))).await,
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::desk::command;
    use super::{split_department, when};
    use crate::i18n::Lang;

    #[test]
    fn commands_are_parsed_with_or_without_the_bot_name() {
        assert_eq!(
            command("/visit 12 2026-12-01 10:00", "bot"),
            Some(("visit".into(), "12 2026-12-01 10:00"))
        );
        assert_eq!(
            command("/Visit@Bot 12", "bot"),
            Some(("visit".into(), "12"))
        );
        assert_eq!(command("/visit@other 12", "bot"), None);
        assert_eq!(command("hello", "bot"), None);
    }

    #[test]
    fn a_follow_up_names_its_department_before_a_colon() {
        assert_eq!(
            split_department("绿化：树枝挡住窗户"),
            (Some("绿化".into()), "树枝挡住窗户".into())
        );
        assert_eq!(
            split_department("plumbing: leak under the sink"),
            (Some("plumbing".into()), "leak under the sink".into())
        );
        assert_eq!(
            split_department("no department"),
            (None, "no department".into())
        );
    }

    #[test]
    fn times_read_naturally_in_both_languages() {
        let at = Utc.with_ymd_and_hms(2026, 12, 1, 2, 0, 0).unwrap();
        let tz = chrono_tz::Asia::Shanghai;
        assert_eq!(when(at, tz, Lang::En), "Tue 01 Dec 10:00");
        assert_eq!(when(at, tz, Lang::Zh), "12月01日（周二）10:00");
    }
}

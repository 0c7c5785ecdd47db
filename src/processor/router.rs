//! Routes an update to the feature that handles it. Each feature owns its
//! branch; this file only assembles them.

use std::collections::HashMap;

use anyhow::Result;
use sqlx::PgConnection;
use teloxide::types::{
    CallbackQuery, ChatKind, ChatMemberUpdated, Message, MessageKind, Update, UpdateKind,
};

use super::commands::{self, Command, Feature, Who};
use super::context::Ctx;
use super::conversation::{self, Conversation, Key, Loaded, Waiting};
use super::features::activities;
use super::features::broadcast;
use super::features::dialogue;
use super::features::erasure;
use super::features::household;
use super::features::incidents;
use super::features::intents;
use super::features::limits;
use super::features::menu;
use super::features::outages;
use super::features::reports;
use super::features::staff;
use super::features::surveys;
use super::features::visits;
use super::reply::{answer, Sender};
use crate::domain::abuse::Screen;
use crate::domain::chats;
use crate::i18n::Lang;
use crate::outbox::Request;
use crate::telegram::callback::Callback;
use crate::texts;

/// What [`before_batch`] read for one update.
#[derive(Debug, Clone, Copy, Default)]
pub struct Known {
    /// What the abuse limits found.
    pub screen: Screen,
    /// The update's chat as stored (`None`: never seen, or no chat).
    pub chat: Option<chats::Known>,
}

/// What is asked once for a whole batch before any of its updates is
/// handled, in three statements whatever its size: the staff's @usernames
/// its messages show are remembered, and the abuse limits' reads and the
/// chats' rows are read (keyed by update id, for [`handle`]).
pub async fn before_batch(
    conn: &mut PgConnection,
    updates: &[(i64, &Update)],
) -> Result<HashMap<i64, Known>> {
    staff::remember(conn, updates).await?;
    let mut screens = limits::screen(conn, updates).await?;
    let chat_ids: Vec<i64> = updates
        .iter()
        .filter_map(|(_, u)| u.chat())
        .map(|c| c.id.0)
        .collect();
    let stored = chats::known(conn, &chat_ids).await?;
    Ok(updates
        .iter()
        .map(|(id, update)| {
            let known = Known {
                screen: screens.remove(id).unwrap_or_default(),
                chat: update.chat().and_then(|c| stored.get(&c.id.0).copied()),
            };
            (*id, known)
        })
        .collect())
}

/// Handles one update; `known` is what [`before_batch`] read for it.
pub async fn handle(ctx: &mut Ctx<'_>, update: &Update, known: Known) -> Result<()> {
    // Banned people and floods stop here, before anything is written.
    if limits::turned_away(ctx, update, known.screen).await? {
        return Ok(());
    }
    match &update.kind {
        UpdateKind::Message(msg) => {
            let from = remember_chat(ctx, msg, known.chat).await?;
            ctx.thread = topic_of(msg);
            on_message(ctx, &from, msg).await
        }
        UpdateKind::EditedMessage(msg) => {
            let from = remember_chat(ctx, msg, known.chat).await?;
            if from.private {
                ctx.reply(
                    from.chat_id,
                    Request::text(texts::EDITED_MESSAGE.get(from.lang)),
                )
                .await?;
            }
            Ok(())
        }
        UpdateKind::CallbackQuery(q) => {
            ctx.thread = q.regular_message().and_then(topic_of);
            on_callback(ctx, q, known.chat).await
        }
        UpdateKind::MyChatMember(change) => on_membership(ctx, change).await,
        UpdateKind::Error(_) => {
            tracing::warn!(
                update_id = ctx.update_id,
                "an update teloxide cannot read is kept in the inbox as it came; nothing to do"
            );
            Ok(())
        }
        // Stored and marked processed; nobody is waiting for an answer.
        _ => Ok(()),
    }
}

async fn on_message(ctx: &mut Ctx<'_>, from: &Sender, msg: &Message) -> Result<()> {
    // What this person was asked in this chat comes first: the one feature
    // that asked gets the message, and says whether it was the answer.
    let key = Key {
        chat_id: from.chat_id,
        user_id: from.user_id,
    };
    match conversation::load(ctx, key).await? {
        Loaded::Live(conv) => {
            if answers_the_question(ctx, from, msg, *conv).await? {
                return Ok(());
            }
        }
        // A message meant for a dialogue that expired: its notice (with the
        // menu) answers it.
        Loaded::Expired(w) if matches!(*w, Waiting::Dialogue { .. }) => return Ok(()),
        Loaded::Expired(_) | Loaded::Absent => {}
    }
    // A command goes to the one feature that declared it.
    if let Some(text) = msg.text().or(msg.caption()) {
        if commands::is_command(text) {
            // An invitation link opened: `/start <code>`.
            if let Some(code) = from
                .private
                .then(|| household::start_payload(text, &ctx.app.settings.bot_username))
                .flatten()
            {
                return household::accept_invite(ctx, from, msg, code).await;
            }
            return on_command(ctx, from, msg, text).await;
        }
    }
    // Staff replies to ticket messages, in any chat.
    if staff::on_message(ctx, from, msg).await? {
        return Ok(());
    }
    if !from.private {
        // Group messages matter only to staff features.
        return Ok(());
    }
    if let Some(text) = msg.text() {
        // An open ticket or a lately resolved one takes the words first,
        // as before; an emergency among them still gets the duty phone.
        if staff::owner_follow_up(ctx, from.chat_id, msg).await?
            || staff::owner::offer_reopen(ctx, from, text.trim()).await?
        {
            if intents::is_urgent(ctx, text) {
                intents::duty_phone_now(ctx, from).await?;
            }
            return Ok(());
        }
        // The owner's own words find their dialogue.
        return intents::on_text(ctx, from, text).await;
    }
    if !matches!(msg.kind, MessageKind::Common(_)) {
        // Service messages (pinned, chat photo …) need no answer.
        return Ok(());
    }
    if msg.photo().is_some() {
        if staff::owner_follow_up(ctx, from.chat_id, msg).await? {
            return Ok(());
        }
        // An album arrives as one update per photo: answer its first only.
        if !earlier_part_of_album(ctx, from.chat_id, msg).await? {
            ctx.reply(
                from.chat_id,
                Request::text_with(
                    texts::PHOTO_WITHOUT_CONTEXT.get(from.lang),
                    menu::main_menu(from.lang),
                ),
            )
            .await?;
        }
        return Ok(());
    }
    if msg.sticker().is_some() {
        return intents::on_sticker(ctx, from).await;
    }
    if msg.contact().is_some() && staff::owner_follow_up(ctx, from.chat_id, msg).await? {
        return Ok(());
    }
    ctx.reply(
        from.chat_id,
        Request::text(texts::UNSUPPORTED_MESSAGE.get(from.lang)),
    )
    .await?;
    Ok(())
}

/// Dispatches a command by the command table (`commands`); a command
/// nobody declared gets "unknown command" in a private chat and nothing in
/// a group (it may be for another bot there).
async fn on_command(ctx: &mut Ctx<'_>, from: &Sender, msg: &Message, text: &str) -> Result<()> {
    let name = commands::word(text, &ctx.app.settings.bot_username);
    let feature = name
        .as_deref()
        .and_then(|n| find_command(n, from.private))
        .map(|c| c.feature);
    let handled = match feature {
        Some(Feature::Menu) => {
            menu::on_command(ctx, from, text).await?;
            true
        }
        Some(Feature::Staff) => staff::on_message(ctx, from, msg).await?,
        Some(Feature::Visits) => visits::on_message(ctx, from, msg).await?,
        Some(Feature::Surveys) => surveys::on_message(ctx, from, msg).await?,
        Some(Feature::Incidents) => incidents::on_message(ctx, from, msg).await?,
        Some(Feature::Broadcast) => broadcast::on_message(ctx, from, msg).await?,
        Some(Feature::Reports) => reports::on_message(ctx, from, msg).await?,
        Some(Feature::Activities) => activities::on_message(ctx, from, msg).await?,
        Some(Feature::Erasure) => erasure::on_message(ctx, from, msg).await?,
        None => false,
    };
    if !handled && from.private {
        ctx.reply(
            from.chat_id,
            Request::text(texts::UNKNOWN_COMMAND.get(from.lang)),
        )
        .await?;
    }
    Ok(())
}

/// Hands the message to the feature whose question is waiting; false when
/// it is not the answer (a command that works anywhere, say) and the
/// general rules should have it.
async fn answers_the_question(
    ctx: &mut Ctx<'_>,
    from: &Sender,
    msg: &Message,
    conv: Conversation,
) -> Result<bool> {
    match conv.waiting {
        Waiting::Dialogue { state } if from.private => {
            dialogue::on_waiting(ctx, from, msg, state, conv.album).await
        }
        Waiting::BroadcastDraft { draft, step } if from.private => {
            broadcast::on_waiting(ctx, from, msg, draft, &step).await
        }
        Waiting::ReportRange if from.private => reports::on_waiting(ctx, from, msg).await,
        Waiting::ActivityPlan { step, plan } if from.private => {
            activities::on_plan_answer(ctx, from, msg, &step, plan).await
        }
        Waiting::Attendance { activity } => {
            activities::on_attendance(ctx, from, msg, activity).await
        }
        Waiting::OutageForm { step, form } if from.private => {
            outages::on_answer(ctx, from, msg, &step, form).await
        }
        Waiting::ActivityComment { activity } if from.private => {
            activities::on_comment(ctx, from, msg, activity).await
        }
        Waiting::VisitNote { visit, outcome } => {
            visits::on_waiting(ctx, from, msg, visit, outcome).await
        }
        Waiting::FollowUpNote { ticket } => {
            staff::followup::on_waiting(ctx, from, msg, ticket).await
        }
        Waiting::NewTicket { form } => staff::newticket::on_waiting(ctx, from, msg, *form).await,
        Waiting::RegistrationRefusal { ticket } => {
            household::on_refusal_reason(ctx, from, msg, ticket).await
        }
        ref owner @ (Waiting::CancelReason { .. }
        | Waiting::RatingComment { .. }
        | Waiting::ReopenOrNew { .. })
            if from.private =>
        {
            staff::owner::on_waiting(ctx, from, msg, owner).await
        }
        // A private question stored for a group chat cannot be answered there.
        _ => Ok(false),
    }
}

/// A button press; `stored` is the chat as [`before_batch`] read it.
async fn on_callback(
    ctx: &mut Ctx<'_>,
    q: &CallbackQuery,
    stored: Option<chats::Known>,
) -> Result<()> {
    let Some(message) = &q.message else {
        return answer(ctx, q, None).await;
    };
    let chat = message.chat();
    let user_id = i64::try_from(q.from.id.0)?;
    let lang = match stored.and_then(|c| c.language) {
        Some(l) => l,
        None => Lang::from_language_code(q.from.language_code.as_deref()),
    };
    let from = Sender {
        chat_id: chat.id.0,
        user_id,
        private: chat.is_private(),
        lang,
    };
    // Data of another layout (a message sent before the codec's version) or
    // forged: expired, never read as some other action.
    let Some(button) = Callback::decode(q.data.as_deref().unwrap_or_default()) else {
        return answer(ctx, q, Some(texts::BUTTON_EXPIRED.get(lang))).await;
    };
    match button {
        Callback::Menu(item) => menu::on_menu_button(ctx, &from, q, item).await,
        Callback::Language(l) => menu::on_language_button(ctx, &from, q, l).await,
        Callback::Dialogue(data) => dialogue::on_button(ctx, &from, q, &data).await,
        Callback::ResumeContinue => dialogue::on_resume_button(ctx, &from, q, true).await,
        Callback::ResumeDiscard => dialogue::on_resume_button(ctx, &from, q, false).await,
        Callback::Claim(_)
        | Callback::Assign(_)
        | Callback::GiveTo { .. }
        | Callback::QueuePage(_)
        | Callback::CancelTicket(_)
        | Callback::KeepTicket(_)
        | Callback::Rate { .. }
        | Callback::Reopen(_)
        | Callback::SkipComment(_)
        | Callback::MyComment(_)
        | Callback::NewRequest(_)
        | Callback::CannedPick(_)
        | Callback::CannedSend { .. }
        | Callback::FollowUpCall(_)
        | Callback::FollowUpNote(_)
        | Callback::FollowUpReopen(_)
        | Callback::StaffReopen(_)
        | Callback::NewTicketForm { .. } => staff::on_button(ctx, &from, q, button).await,
        Callback::BroadcastCancel(_)
        | Callback::BroadcastAudience { .. }
        | Callback::BroadcastNoPhoto(_)
        | Callback::BroadcastRsvp { .. }
        | Callback::BroadcastUrgent { .. }
        | Callback::BroadcastSendNow(_)
        | Callback::BroadcastSendLater(_)
        | Callback::BroadcastConfirm(_)
        | Callback::BroadcastPreview(_)
        | Callback::BroadcastJoin(_)
        | Callback::BroadcastDecline(_)
        | Callback::BroadcastSkipLanguage { .. }
        | Callback::BroadcastStop(_)
        | Callback::BroadcastRecall(_)
        | Callback::BroadcastRecallConfirm(_)
        | Callback::BroadcastRecallKeep(_) => broadcast::on_button(ctx, &from, q, button).await,
        Callback::IncidentNotify(_) | Callback::IncidentJoin(_) | Callback::IncidentOther => {
            incidents::on_button(ctx, &from, q, button).await
        }
        Callback::VisitSlot { .. }
        | Callback::VisitOutcome { .. }
        | Callback::VisitConfirm { .. }
        | Callback::VisitReschedule { .. }
        | Callback::VisitMove { .. } => visits::on_button(ctx, &from, q, button).await,
        Callback::Intent { .. } | Callback::IntentNone => {
            intents::on_button(ctx, &from, q, button).await
        }
        Callback::RegistrationBind { .. }
        | Callback::RegistrationRefuse(_)
        | Callback::HouseholdInvite { .. }
        | Callback::HouseholdRemove { .. }
        | Callback::HouseholdRemoveYes { .. }
        | Callback::HouseholdKeep
        | Callback::Reminders(_)
        | Callback::Unbind { .. } => household::on_button(ctx, &from, q, button).await,
        Callback::ForgetContinue | Callback::ForgetErase(_) | Callback::ForgetKeep => {
            erasure::on_button(ctx, &from, q, button).await
        }
        Callback::ReportPeriod(_)
        | Callback::ReportRange
        | Callback::ReportCancel
        | Callback::ReportXlsx(_)
        | Callback::ReportCsv(_) => reports::on_button(ctx, &from, q, button).await,
        Callback::ActivityJoin(_)
        | Callback::ActivityLeave(_)
        | Callback::ActivityRate { .. }
        | Callback::ActivitySkipComment(_)
        | Callback::ActivitySkipDescription
        | Callback::ActivityAnnounce
        | Callback::ActivityPlanCancel => activities::on_button(ctx, &from, q, button).await,
        Callback::OutageKind(_)
        | Callback::OutageAll
        | Callback::OutageNow
        | Callback::OutageSkipLanguage(_)
        | Callback::OutageDeclare { .. }
        | Callback::OutageCancel => outages::on_button(ctx, &from, q, button).await,
    }
}

/// Whether an earlier photo of the same album reached this chat already.
async fn earlier_part_of_album(ctx: &mut Ctx<'_>, chat_id: i64, msg: &Message) -> Result<bool> {
    let Some(group) = msg.media_group_id() else {
        return Ok(false);
    };
    crate::inbox::album_seen_before(ctx.conn, chat_id, ctx.update_id, &group.0).await
}

/// The bot's own membership changed: a person blocked or unblocked it, or
/// it was removed from or added to a group. Reachability follows.
///
/// A group or channel the bot is added to by someone who is not staff (and
/// that is not the configured staff group) is left at once, and nothing is
/// sent there again (`chats::mark_left`).
async fn on_membership(ctx: &mut Ctx<'_>, change: &ChatMemberUpdated) -> Result<()> {
    let chat_id = change.chat.id.0;
    let kind = kind_of(&change.chat.kind);
    if !change.new_chat_member.kind.is_present() {
        chats::mark_blocked(ctx.conn, chat_id, kind).await?;
        return Ok(());
    }
    if change.chat.is_private() {
        chats::mark_unblocked(ctx.conn, chat_id, kind).await?;
        return Ok(());
    }
    let by = i64::try_from(change.from.id.0).unwrap_or(0);
    let welcome = ctx.app.settings.staff_chat_id == Some(chat_id)
        || crate::domain::staff::by_telegram_id(ctx.conn, by)
            .await?
            .is_some();
    if welcome {
        chats::mark_rejoined(ctx.conn, chat_id, kind).await?;
        chats::set_forum(ctx.conn, chat_id, is_forum(&change.chat.kind)).await?;
        return Ok(());
    }
    tracing::warn!(
        chat_id,
        added_by = by,
        "a stranger added the bot to a group; leaving it"
    );
    // Nothing still queued goes there. The leave itself is queued while the
    // chat counts as reachable (the bot is in it again, if it was left
    // before), then the chat is marked left.
    chats::mark_rejoined(ctx.conn, chat_id, kind).await?;
    crate::outbox::cancel_pending(ctx.conn, chat_id).await?;
    ctx.send(crate::outbox::Outgoing::new(
        chat_id,
        crate::outbox::Lane::Staff,
        Request::LeaveChat,
    ))
    .await?;
    chats::mark_left(ctx.conn, chat_id, kind).await?;
    Ok(())
}

fn kind_of(kind: &ChatKind) -> chats::Kind {
    match kind {
        ChatKind::Private(_) => chats::Kind::Private,
        ChatKind::Public(p) => match p.kind {
            teloxide::types::PublicChatKind::Group => chats::Kind::Group,
            teloxide::types::PublicChatKind::Supergroup(_) => chats::Kind::Supergroup,
            teloxide::types::PublicChatKind::Channel(_) => chats::Kind::Channel,
        },
    }
}

/// Whether a chat is a forum supergroup (topics on).
fn is_forum(kind: &ChatKind) -> bool {
    matches!(kind, ChatKind::Public(p)
        if matches!(&p.kind, teloxide::types::PublicChatKind::Supergroup(s) if s.is_forum))
}

/// The forum topic a message is in, as (chat, thread id).
fn topic_of(msg: &Message) -> Option<(i64, i32)> {
    msg.is_topic_message
        .then_some(msg.thread_id)
        .flatten()
        .map(|t| (msg.chat.id.0, t.0 .0))
}

/// Works out who is talking, in which language, and remembers the chat (a
/// chat that writes to us is reachable again) unless `stored`, its row as
/// [`before_batch`] read it, already says all that.
async fn remember_chat(
    ctx: &mut Ctx<'_>,
    msg: &Message,
    stored: Option<chats::Known>,
) -> Result<Sender> {
    let user = msg.from.as_ref();
    let detected = Lang::from_language_code(user.and_then(|u| u.language_code.as_deref()));
    let private = msg.chat.is_private();
    let forum = is_forum(&msg.chat.kind);
    let language = match stored {
        Some(chat) if chat.unchanged_by_message(forum) => chat.language,
        _ => {
            chats::remember(
                ctx.conn,
                msg.chat.id.0,
                kind_of(&msg.chat.kind),
                private.then_some(detected),
                forum,
            )
            .await?
        }
    };
    Ok(Sender {
        chat_id: msg.chat.id.0,
        user_id: user.map_or(0, |u| i64::try_from(u.id.0).unwrap_or(0)),
        private,
        lang: language.unwrap_or(detected),
    })
}

/// Every feature's commands, as the features declare them.
pub const COMMAND_TABLES: &[&[Command]] = &[
    super::features::menu::COMMANDS,
    super::features::staff::COMMANDS,
    super::features::visits::COMMANDS,
    super::features::surveys::COMMANDS,
    super::features::incidents::COMMANDS,
    super::features::broadcast::COMMANDS,
    super::features::reports::COMMANDS,
    super::features::activities::COMMANDS,
    super::features::erasure::COMMANDS,
];

/// Every command, in declaration order.
pub fn all_commands() -> impl Iterator<Item = &'static Command> {
    COMMAND_TABLES.iter().flat_map(|t| t.iter())
}

/// The command named `name` in a chat that is `private` or not.
#[must_use]
pub fn find_command(name: &str, private: bool) -> Option<&'static Command> {
    all_commands().find(|c| c.name == name && c.chats.includes(private))
}

/// The command list registered with setMyCommands for everyone, per
/// language: the commands anyone may use in a private chat that have a
/// description, in table order.
#[must_use]
pub fn owner_command_list(lang: Lang) -> Vec<(&'static str, &'static str)> {
    all_commands()
        .filter(|c| c.who == Who::Anyone && c.chats.includes(true))
        .filter_map(|c| c.description.map(|d| (c.name, d.get(lang))))
        .collect()
}

#[cfg(test)]
mod tests {
    use teloxide::utils::command::BotCommands;

    use super::*;
    use crate::processor::features;

    /// Pairs of commands that claim the same name in overlapping chats (the
    /// table is wrong when this is not empty).
    fn command_conflicts() -> Vec<(&'static Command, &'static Command)> {
        let commands: Vec<&Command> = all_commands().collect();
        let mut found = Vec::new();
        for (i, a) in commands.iter().enumerate() {
            for b in &commands[i + 1..] {
                if a.name == b.name && a.chats.overlaps(b.chats) {
                    found.push((*a, *b));
                }
            }
        }
        found
    }

    #[test]
    fn no_command_is_claimed_twice_in_the_same_kind_of_chat() {
        let conflicts: Vec<String> = command_conflicts()
            .into_iter()
            .map(|(a, b)| format!("/{} ({:?} and {:?})", a.name, a.feature, b.feature))
            .collect();
        assert!(conflicts.is_empty(), "claimed twice: {conflicts:?}");
    }

    #[test]
    fn names_are_what_telegram_accepts() {
        // setMyCommands: 1–32 characters, lower-case letters, digits, `_`.
        for c in all_commands() {
            assert!(
                (1..=32).contains(&c.name.len())
                    && c.name
                        .chars()
                        .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_'),
                "/{}",
                c.name
            );
        }
    }

    /// The features parse their commands with teloxide's `BotCommands`;
    /// every command they parse is in the table under their name, and the
    /// other way round.
    #[test]
    fn the_table_matches_what_each_feature_parses() {
        fn names(commands: Vec<teloxide::types::BotCommand>) -> Vec<String> {
            commands
                .into_iter()
                .map(|c| c.command.trim_start_matches('/').to_owned())
                .collect()
        }
        let parsed = [
            (
                Feature::Menu,
                names(features::menu::OwnerCommand::bot_commands()),
            ),
            (
                Feature::Staff,
                names(features::staff::StaffCommand::bot_commands()),
            ),
            (
                Feature::Incidents,
                names(features::incidents::IncidentCommand::bot_commands()),
            ),
        ];
        for (feature, names) in parsed {
            for name in &names {
                assert!(
                    all_commands().any(|c| c.feature == feature && c.name == name),
                    "{feature:?} parses /{name} but does not declare it"
                );
            }
        }
    }

    /// Whether `help` names `/name` as a command of its own (`/incident`
    /// is not named by `/incident_close`).
    fn names_command(help: &str, name: &str) -> bool {
        let word = format!("/{name}");
        help.match_indices(&word).any(|(at, _)| {
            !help[at + word.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        })
    }

    /// Every command of the table has its line in Telegram's command menu
    /// and is named by the help its users read (owners: `/help`; staff:
    /// the staff help), in every language.
    #[test]
    fn every_command_is_in_the_menu_and_in_the_help() {
        let mut missing = Vec::new();
        for c in all_commands() {
            if c.description.is_none() {
                missing.push(format!("/{}: no menu description", c.name));
            }
            let help = match c.who {
                Who::Anyone => crate::texts::HELP,
                Who::Staff(_) => crate::texts::STAFF_HELP,
            };
            for lang in Lang::ALL {
                if !names_command(help.get(lang), c.name) {
                    missing.push(format!(
                        "/{}: not in {} ({})",
                        c.name,
                        help.key(),
                        lang.code()
                    ));
                }
            }
        }
        assert!(missing.is_empty(), "{missing:#?}");
        assert!(names_command("/incident_close N · /incident x", "incident"));
        assert!(!names_command("/incident_close N", "incident"));
    }

    #[test]
    fn each_command_finds_its_feature_by_chat() {
        assert_eq!(
            find_command("help", true).map(|c| c.feature),
            Some(Feature::Menu)
        );
        assert_eq!(
            find_command("help", false).map(|c| c.feature),
            Some(Feature::Staff)
        );
        assert!(find_command("nonsense", true).is_none());
    }
}

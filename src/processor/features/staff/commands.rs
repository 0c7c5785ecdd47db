//! Staff commands, in the staff group or a private chat with the bot: the
//! command set, the least role each needs, and where each goes. Every
//! command first checks who is asking; a refusal is polite and logged.

use anyhow::Result;
use teloxide::utils::command::BotCommands;

use super::desk::{chat_department, refuse, split_first, ticket_arg, ticket_number, Desk};
use super::{admin, canned, newticket, queue, replies, transitions};
use crate::domain::staff::StaffRole;
use crate::domain::tickets::{self, TicketId};
use crate::processor::commands::{Chats, Command, Feature, Who};
use crate::processor::context::Ctx;
use crate::processor::features::household;
use crate::texts::{self, desk, Phrase};

/// The staff desk's commands (the least role each needs; finer checks come
/// with the ticket).
pub const COMMANDS: &[Command] = &[
    staff("queue", StaffRole::Assistant, desk::CMD_QUEUE),
    staff("next", StaffRole::Butler, desk::CMD_NEXT),
    staff("claim", StaffRole::Butler, desk::CMD_CLAIM),
    staff("release", StaffRole::Butler, desk::CMD_RELEASE),
    staff("assign", StaffRole::Supervisor, desk::CMD_ASSIGN),
    staff("transfer", StaffRole::Butler, desk::CMD_TRANSFER),
    staff("reply", StaffRole::Assistant, desk::CMD_REPLY),
    staff("canned", StaffRole::Assistant, desk::CMD_CANNED),
    staff("note", StaffRole::Assistant, desk::CMD_NOTE),
    staff("resolve", StaffRole::Butler, desk::CMD_RESOLVE),
    staff("reopen", StaffRole::Supervisor, desk::CMD_REOPEN),
    staff("schedule", StaffRole::Butler, desk::CMD_SCHEDULE),
    staff("mine", StaffRole::Assistant, desk::CMD_MINE),
    staff("ticket", StaffRole::Assistant, desk::CMD_TICKET),
    staff("newticket", StaffRole::Assistant, desk::CMD_NEWTICKET),
    staff("staff", StaffRole::Manager, desk::CMD_STAFF),
    staff("settings", StaffRole::Manager, desk::CMD_SETTINGS),
    staff("ban", super::ban::NEEDS, desk::CMD_BAN),
    staff("unban", super::ban::NEEDS, desk::CMD_UNBAN),
    staff("unbind", StaffRole::Butler, desk::CMD_UNBIND),
    // In a group /help lists the staff commands; privately the menu's
    // /help does, for staff (`menu::on_command`).
    Command::new(
        "help",
        Feature::Staff,
        Chats::Group,
        Who::Staff(StaffRole::Assistant),
    )
    .described(desk::CMD_HELP),
];

const fn staff(name: &'static str, role: StaffRole, description: Phrase) -> Command {
    Command::new(name, Feature::Staff, Chats::Any, Who::Staff(role)).described(description)
}

/// Commands for the office's staff (a separate set from the owners').
#[derive(BotCommands, Debug, Clone, PartialEq, Eq)]
#[command(rename_rule = "lowercase")]
pub enum StaffCommand {
    Queue(String),
    Next,
    Claim(String),
    Release(String),
    Assign(String),
    Transfer(String),
    Reply(String),
    Note(String),
    Resolve(String),
    Reopen(String),
    Schedule(String),
    Mine,
    Ticket(String),
    Newticket(String),
    Canned(String),
    Staff(String),
    Settings(String),
    Unbind(String),
}

impl StaffCommand {
    /// The command's name, as the command table knows it.
    fn name(&self) -> &'static str {
        match self {
            StaffCommand::Queue(_) => "queue",
            StaffCommand::Next => "next",
            StaffCommand::Claim(_) => "claim",
            StaffCommand::Release(_) => "release",
            StaffCommand::Assign(_) => "assign",
            StaffCommand::Transfer(_) => "transfer",
            StaffCommand::Reply(_) => "reply",
            StaffCommand::Note(_) => "note",
            StaffCommand::Resolve(_) => "resolve",
            StaffCommand::Reopen(_) => "reopen",
            StaffCommand::Schedule(_) => "schedule",
            StaffCommand::Mine => "mine",
            StaffCommand::Ticket(_) => "ticket",
            StaffCommand::Newticket(_) => "newticket",
            StaffCommand::Canned(_) => "canned",
            StaffCommand::Staff(_) => "staff",
            StaffCommand::Settings(_) => "settings",
            StaffCommand::Unbind(_) => "unbind",
        }
    }

    /// The least role that may use the command at all, from the command
    /// table (finer checks, such as "only the holder", come with the
    /// ticket). A command missing from the table needs a manager.
    fn needs(&self) -> StaffRole {
        let name = self.name();
        COMMANDS
            .iter()
            .find(|c| c.name == name)
            .and_then(|c| match c.who {
                Who::Staff(role) => Some(role),
                Who::Anyone => None,
            })
            .unwrap_or(StaffRole::Manager)
    }
}

/// Runs a parsed staff command for `desk`; `photo` is a photo sent with it
/// (a `/resolve` or `/reply` caption).
/// `replied_to` is the ticket of the message the command answers (a
/// Telegram reply), if any.
pub async fn run(
    ctx: &mut Ctx<'_>,
    desk: &Desk,
    command: StaffCommand,
    photo: Option<String>,
    replied_to: Option<TicketId>,
) -> Result<()> {
    let needed = command.needs();
    if desk.staff.role < needed {
        return refuse(
            ctx,
            desk.chat_id,
            desk.lang,
            desk.staff.telegram_user_id,
            Some(&desk.staff),
            &format!("{command:?}"),
            needed,
        )
        .await;
    }
    match command {
        StaffCommand::Queue(page) => queue::queue(ctx, desk, &page).await,
        StaffCommand::Next => {
            let department = chat_department(ctx, desk.chat_id).await?;
            match tickets::next_open(ctx.conn, department).await? {
                Some(id) => transitions::claim(ctx, desk, id).await,
                None => desk.say_phrase(ctx, texts::QUEUE_EMPTY, &[]).await,
            }
        }
        StaffCommand::Claim(arg) => match ticket_number(ctx, desk, &arg).await? {
            Some(id) => transitions::claim(ctx, desk, id).await,
            None => Ok(()),
        },
        StaffCommand::Release(arg) => transitions::release(ctx, desk, &arg).await,
        StaffCommand::Assign(arg) | StaffCommand::Transfer(arg) => {
            transitions::assign(ctx, desk, &arg).await
        }
        StaffCommand::Reply(arg) => {
            let (id, text) = split_first(&arg);
            let Some(t) = ticket_arg(ctx, desk, id).await? else {
                return Ok(());
            };
            replies::reply(ctx, desk, &t, text, photo).await
        }
        StaffCommand::Note(arg) => transitions::note(ctx, desk, &arg).await,
        StaffCommand::Resolve(arg) => transitions::resolve(ctx, desk, &arg, photo).await,
        StaffCommand::Reopen(arg) => transitions::reopen(ctx, desk, &arg).await,
        StaffCommand::Schedule(arg) => transitions::schedule(ctx, desk, &arg).await,
        StaffCommand::Mine => queue::mine(ctx, desk).await,
        StaffCommand::Ticket(arg) => queue::show(ctx, desk, &arg).await,
        StaffCommand::Newticket(arg) if arg.trim().is_empty() => newticket::start(ctx, desk).await,
        StaffCommand::Newticket(arg) => admin::new_ticket(ctx, desk, &arg).await,
        StaffCommand::Canned(arg) => canned::command(ctx, desk, &arg, replied_to).await,
        StaffCommand::Staff(arg) => admin::roster(ctx, desk, &arg).await,
        StaffCommand::Settings(arg) => admin::office_settings_command(ctx, desk, &arg).await,
        StaffCommand::Unbind(arg) => household::unbind_command(ctx, desk, &arg).await,
    }
}

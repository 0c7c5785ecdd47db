//! Staff commands, in the staff group or a private chat with the bot: the
//! command set, the least role each needs, and where each goes. Every
//! command first checks who is asking; a refusal is polite and logged.

use anyhow::Result;
use teloxide::utils::command::BotCommands;

use super::desk::{refuse, split_first, ticket_arg, ticket_number, Desk};
use super::{admin, queue, replies, transitions};
use crate::domain::staff::StaffRole;
use crate::domain::tickets;
use crate::processor::context::Ctx;
use crate::processor::features::household;
use crate::texts;

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
    Staff(String),
    Settings(String),
    Unbind(String),
}

impl StaffCommand {
    /// The least role that may use the command at all (finer checks, such
    /// as "only the holder", come with the ticket).
    fn needs(&self) -> StaffRole {
        match self {
            StaffCommand::Next
            | StaffCommand::Claim(_)
            | StaffCommand::Release(_)
            | StaffCommand::Resolve(_)
            | StaffCommand::Schedule(_)
            | StaffCommand::Transfer(_)
            | StaffCommand::Unbind(_) => StaffRole::Butler,
            StaffCommand::Assign(_) | StaffCommand::Reopen(_) => StaffRole::Supervisor,
            StaffCommand::Staff(_) | StaffCommand::Settings(_) => StaffRole::Manager,
            _ => StaffRole::Assistant,
        }
    }
}

/// Runs a parsed staff command for `desk`; `photo` is a photo sent with it
/// (a `/resolve` or `/reply` caption).
pub async fn run(
    ctx: &mut Ctx<'_>,
    desk: &Desk,
    command: StaffCommand,
    photo: Option<String>,
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
        StaffCommand::Next => match tickets::next_open(ctx.conn).await? {
            Some(id) => transitions::claim(ctx, desk, id).await,
            None => desk.say_phrase(ctx, texts::QUEUE_EMPTY, &[]).await,
        },
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
        StaffCommand::Newticket(arg) => admin::new_ticket(ctx, desk, &arg).await,
        StaffCommand::Staff(arg) => admin::roster(ctx, desk, &arg).await,
        StaffCommand::Settings(arg) => admin::office_settings_command(ctx, desk, &arg).await,
        StaffCommand::Unbind(arg) => household::unbind_command(ctx, desk, &arg).await,
    }
}

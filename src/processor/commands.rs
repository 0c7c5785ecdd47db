//! What a slash command is: its name, the feature that answers it, where
//! and for whom. Each feature declares its own (`COMMANDS` next to its
//! handler); the router assembles them into one table
//! (`router::COMMAND_TABLES`) and dispatches a command to the one feature
//! that declared it — so no feature has to come "before" another for its
//! commands to work, and a test checks that no command is claimed twice in
//! the same kind of chat. `/help` texts and the lists registered with
//! Telegram (setMyCommands) read the same table.
//!
//! To add a command: add a [`Command`] to the feature's `COMMANDS` and
//! handle it in that feature's `on_message`; if the feature is new, give it a
//! [`Feature`] variant and a line in the router's table and dispatch.

use crate::domain::staff::StaffRole;
use crate::texts::Phrase;

/// Every feature's command table as the router assembles it
/// (`router::COMMAND_TABLES`), installed at start-up ([`install`]) so that
/// the staff command menus can read it without importing the router (the
/// router imports the staff desk, whose roster changes refresh the menus).
static TABLES: std::sync::OnceLock<&'static [&'static [Command]]> = std::sync::OnceLock::new();

/// Installs the command tables (once; later calls change nothing).
pub fn install(tables: &'static [&'static [Command]]) {
    let _ = TABLES.set(tables);
}

/// Every installed command, in table order (none before [`install`]).
pub fn installed() -> impl Iterator<Item = &'static Command> {
    TABLES
        .get()
        .copied()
        .unwrap_or_default()
        .iter()
        .flat_map(|t| t.iter())
}

/// The features that answer commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Feature {
    /// The front door: /start, /help, /menu, /lang, /mytickets, /reminders …
    Menu,
    /// The staff desk: the queue, tickets, the roster, bans.
    Staff,
    Visits,
    Surveys,
    Incidents,
    Broadcast,
    /// The managers' report (`/report`).
    Reports,
    /// Public-welfare activities.
    Activities,
    /// `/forgetme`: an owner's personal data erased at their request.
    Erasure,
}

/// Which chats a command is answered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chats {
    /// Only a private chat with the bot.
    Private,
    /// Only a group (the staff group).
    Group,
    /// Both.
    Any,
}

impl Chats {
    /// Whether a chat can be of both kinds.
    #[must_use]
    pub fn overlaps(self, other: Chats) -> bool {
        !matches!(
            (self, other),
            (Chats::Private, Chats::Group) | (Chats::Group, Chats::Private)
        )
    }

    /// Whether a command of these chats is answered in a chat that is
    /// `private` or not.
    #[must_use]
    pub fn includes(self, private: bool) -> bool {
        match self {
            Chats::Private => private,
            Chats::Group => !private,
            Chats::Any => true,
        }
    }
}

/// Who a command is meant for (the feature still checks who asks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// Anyone who writes to the bot: owners, tenants, family — and staff.
    Anyone,
    /// Staff members of at least this role.
    Staff(StaffRole),
}

/// One command and the feature that answers it.
#[derive(Debug, Clone, Copy)]
pub struct Command {
    /// Without the slash, lower case (`mytickets`).
    pub name: &'static str,
    pub feature: Feature,
    pub chats: Chats,
    pub who: Who,
    /// What Telegram's command menu says of it; `None` keeps it out of
    /// the menu (it still works).
    pub description: Option<Phrase>,
}

impl Command {
    /// A command for `who`, answered by `feature` in `chats`.
    #[must_use]
    pub const fn new(name: &'static str, feature: Feature, chats: Chats, who: Who) -> Command {
        Command {
            name,
            feature,
            chats,
            who,
            description: None,
        }
    }

    /// With its line in Telegram's command menu.
    #[must_use]
    pub const fn described(mut self, description: Phrase) -> Command {
        self.description = Some(description);
        self
    }
}

/// Whether `text` is a command: a slash and then a letter or digit, as
/// Telegram marks them (`//` starts an internal note in a ticket's topic).
#[must_use]
pub fn is_command(text: &str) -> bool {
    text.trim_start()
        .strip_prefix('/')
        .and_then(|rest| rest.chars().next())
        .is_some_and(char::is_alphanumeric)
}

/// The command word of `text` when it is a command for this bot:
/// `/Claim@bot 12` → `claim`; `None` for plain text and for a command
/// addressed to another bot (`/start@other`).
#[must_use]
pub fn word(text: &str, bot_username: &str) -> Option<String> {
    let word = text
        .trim_start()
        .strip_prefix('/')?
        .split_whitespace()
        .next()?;
    let (name, to) = word.split_once('@').unwrap_or((word, ""));
    if !to.is_empty() && !to.eq_ignore_ascii_case(bot_username) {
        return None;
    }
    Some(name.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_is_a_slash_and_a_letter() {
        assert!(is_command("/start"));
        assert!(is_command("  /help@bot"));
        assert!(is_command("/报修"));
        assert!(!is_command("// an internal note"));
        assert!(!is_command("/ spaced"));
        assert!(!is_command("hello /start"));
    }

    #[test]
    fn command_words_are_ours_only_when_addressed_to_us() {
        assert_eq!(word("/Cancel", "bot").as_deref(), Some("cancel"));
        assert_eq!(word("/skip@Bot x", "bot").as_deref(), Some("skip"));
        assert_eq!(word("/skip@other", "bot"), None);
        assert_eq!(word("hello /x", "bot"), None);
    }
}

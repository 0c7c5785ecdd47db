//! The command line: its commands and their arguments. The flags that have
//! environment variables (and their defaults) are in `settings`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::settings::{DbArgs, Settings, DEFAULT_DIALOGUES, DEFAULT_LOG, DEFAULT_TIMEZONE};

#[derive(Debug, Parser)]
#[command(
    name = "propdesk",
    version,
    about = "Telegram front desk for a residential property management office"
)]
pub struct Cli {
    /// Log filter (tracing's `EnvFilter` syntax).
    #[arg(long, global = true, env = "RUST_LOG", default_value = DEFAULT_LOG)]
    pub log: String,
    /// Log lines as text or as JSON (one object a line, for a log collector).
    #[arg(long, global = true, env = "PROPDESK_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

/// How log lines are written to standard error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Try propdesk without Telegram: a sample estate, the real bot, and a
    /// Telegram-like web page to act as owners and staff. Needs no token.
    Demo(DemoArgs),
    /// Run the bot: intake, processor, sender and scheduler.
    Serve(Box<Settings>),
    /// Apply database migrations and exit.
    Migrate(DbArgs),
    /// Validate the dialogue files; prints `file:line: message` per problem.
    Check {
        /// Folder of dialogue files.
        #[arg(env = "PROPDESK_DIALOGUES", default_value = DEFAULT_DIALOGUES)]
        dir: PathBuf,
    },
    /// Chat with the dialogues in the terminal.
    Console(ConsoleArgs),
    /// Load units, owners or fees from a CSV file.
    Import(ImportArgs),
    /// Manage the staff roster.
    #[command(subcommand)]
    Staff(StaffCommand),
    /// Reports for managers.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Inspect and replay updates that failed repeatedly.
    #[command(subcommand)]
    Inbox(InboxCommand),
    /// Show or change the office settings (office hours, deadlines …).
    #[command(subcommand)]
    Settings(SettingsCommand),
    /// Delete processed updates and delivered messages older than an age
    /// (rows anything still refers to are kept).
    Purge {
        #[command(flatten)]
        db: DbArgs,
        /// e.g. 180d (days), 26w (weeks), 48h (hours); at least 1 day.
        #[arg(long)]
        older_than: String,
        /// Count what would be deleted, delete nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Erase a person's personal data (name, phone, messages, photos …);
    /// their tickets are kept, anonymised, for the statistics.
    Forget {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long, allow_hyphen_values = true)]
        telegram_id: i64,
        /// Do it without asking.
        #[arg(long)]
        yes: bool,
    },
    /// Write the whole database to FILE (pg_dump's custom format).
    Backup {
        #[command(flatten)]
        db: DbArgs,
        file: PathBuf,
    },
    /// Replace the whole database with a backup (stop `serve` first).
    Restore {
        #[command(flatten)]
        db: DbArgs,
        file: PathBuf,
        /// Restore over a database that holds data or is in use.
        #[arg(long)]
        force: bool,
    },
}

/// `propdesk demo`: its own database folder and address, never a real
/// installation's.
#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// Address of the demo page.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,
    /// Start again from the sample estate (forgets what was done in earlier runs).
    #[arg(long)]
    pub reset: bool,
    /// The demo's own folder (its embedded PostgreSQL is in `postgres/` below it).
    #[arg(long, default_value = "./data/demo")]
    pub data_dir: PathBuf,
    /// Dialogue folder.
    #[arg(long, env = "PROPDESK_DIALOGUES", default_value = DEFAULT_DIALOGUES)]
    pub dialogues: PathBuf,
}

#[derive(Debug, Clone, Subcommand)]
pub enum SettingsCommand {
    /// Every office setting: key, value, default and meaning.
    Show {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Change one office setting; a bad key or value changes nothing.
    Set {
        #[command(flatten)]
        db: DbArgs,
        key: String,
        #[arg(allow_hyphen_values = true)]
        value: String,
        /// Who is changing it, for the audit record.
        #[arg(long, default_value = "command line")]
        by: String,
    },
}

#[derive(Debug, Clone, Args)]
pub struct ConsoleArgs {
    #[command(flatten)]
    pub db: DbArgs,
    #[arg(long, value_enum, default_value = "zh")]
    pub lang: LangArg,
    /// Act as the owner with this phone number (as imported).
    #[arg(long)]
    pub as_phone: Option<String>,
    #[arg(long, env = "PROPDESK_DIALOGUES", default_value = DEFAULT_DIALOGUES)]
    pub dialogues: PathBuf,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LangArg {
    Zh,
    En,
    #[value(name = "zh-Hant")]
    ZhHant,
}

#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub db: DbArgs,
    #[arg(value_enum)]
    pub kind: crate::import::ImportKind,
    pub file: PathBuf,
    /// Check and count everything, write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Owners only: also remove the imported memberships this file no
    /// longer lists (people who moved out), with the members they invited.
    #[arg(long)]
    pub replace: bool,
}

#[derive(Debug, Clone, Subcommand)]
pub enum StaffCommand {
    /// Add or update a staff member.
    Add {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long, allow_hyphen_values = true)]
        telegram_id: i64,
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        role: StaffRoleArg,
        /// The department they work in (engineering, cleaning …), counted
        /// per department in the reports.
        #[arg(long)]
        department: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StaffRoleArg {
    Assistant,
    Butler,
    Supervisor,
    Manager,
}

#[derive(Debug, Clone, Subcommand)]
pub enum InboxCommand {
    /// List parked updates with their errors.
    Parked {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Put a parked update back in the queue.
    Replay {
        #[command(flatten)]
        db: DbArgs,
        update_id: i64,
    },
}

#[derive(Debug, Clone, Subcommand)]
pub enum ReportCommand {
    /// Tickets filed in a period: counts by status, kind and building,
    /// median times to first response and resolution, average rating.
    Tickets {
        #[command(flatten)]
        db: DbArgs,
        /// First day (YYYY-MM-DD, local time), inclusive.
        #[arg(long)]
        from: chrono::NaiveDate,
        /// Last day (YYYY-MM-DD, local time), inclusive.
        #[arg(long)]
        to: chrono::NaiveDate,
        /// The estate's time zone.
        #[arg(long, env = "PROPDESK_TIMEZONE", default_value = DEFAULT_TIMEZONE)]
        timezone: chrono_tz::Tz,
        /// Print CSV (section,key,value) instead of text.
        #[arg(long)]
        csv: bool,
    },
    /// A quarterly survey: per-question averages, response rate per
    /// building, earlier quarters, and an SVG chart of the trend.
    Survey {
        #[command(flatten)]
        db: DbArgs,
        /// The campaign, e.g. 2026Q4.
        code: String,
        /// Folder for the chart.
        #[arg(long, default_value = ".")]
        out: std::path::PathBuf,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_never_shows_in_debug_output() {
        let cli = Cli::parse_from(["propdesk", "serve", "--token", "123:SECRET-TOKEN"]);
        let text = format!("{cli:?}");
        assert!(!text.contains("SECRET-TOKEN"), "{text}");
        assert!(text.contains("redacted"));
    }
}

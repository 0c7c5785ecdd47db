//! The command line and the settings it reads from flags and environment
//! variables (names as in DESIGN.md's contracts). Secrets are never logged.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// A secret (the bot token): `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    #[must_use]
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, for the one place that must send it.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(«redacted»)")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Secret(s.to_string()))
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "propdesk",
    version,
    about = "Telegram front desk for a residential property management office"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the bot: intake, processor, sender and scheduler.
    Serve(Box<ServeArgs>),
    /// Apply database migrations and exit.
    Migrate(DbArgs),
    /// Validate the dialogue files; prints `file:line: message` per problem.
    Check {
        /// Folder of dialogue files (default: PROPDESK_DIALOGUES or ./dialogues).
        dir: Option<PathBuf>,
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
}

/// Where the database is.
#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// PostgreSQL URL; when unset, an embedded cluster under --data-dir is used.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Folder for the embedded PostgreSQL cluster.
    #[arg(long, env = "PROPDESK_DATA_DIR", default_value = "./data/postgres")]
    pub data_dir: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// The bot token from @BotFather.
    #[arg(long, env = "TELOXIDE_TOKEN", hide_env_values = true)]
    pub token: Secret,
    /// Another Bot API server (default: Telegram's).
    #[arg(long, env = "TELOXIDE_API_URL")]
    pub api_url: Option<url::Url>,
    /// The staff group's chat id.
    #[arg(long, env = "PROPDESK_STAFF_CHAT_ID", allow_hyphen_values = true)]
    pub staff_chat_id: Option<i64>,
    /// The estate's time zone.
    #[arg(long, env = "PROPDESK_TIMEZONE", default_value = "Asia/Shanghai")]
    pub timezone: chrono_tz::Tz,
    /// Dialogue folder.
    #[arg(long, env = "PROPDESK_DIALOGUES", default_value = "./dialogues")]
    pub dialogues: PathBuf,
    /// Processor workers (chats handled in parallel).
    #[arg(long, env = "PROPDESK_WORKERS", default_value_t = 8)]
    pub workers: usize,
    /// Messages per second overall (Telegram's limit is 30).
    #[arg(long, env = "PROPDESK_RATE_PER_SEC", default_value_t = 30)]
    pub rate_per_sec: u32,
    /// The office duty phone, shown at once for emergencies.
    #[arg(long, env = "PROPDESK_DUTY_PHONE", default_value = "0755-8888 0000")]
    pub duty_phone: String,
    /// Hours an unfinished dialogue is kept before it expires.
    #[arg(long, env = "PROPDESK_DRAFT_TTL_HOURS", default_value_t = 24)]
    pub draft_ttl_hours: u32,
    /// Day of the month arrears reminders go out.
    #[arg(long, env = "PROPDESK_REMINDER_DAY", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=28))]
    pub reminder_day: u32,
    /// Local time of day arrears reminders go out (HH:MM).
    #[arg(long, env = "PROPDESK_REMINDER_TIME", default_value = "10:00", value_parser = parse_hhmm)]
    pub reminder_time: chrono::NaiveTime,
    /// Local hours when non-urgent broadcasts wait ("21:00-08:00"; "00:00-00:00" is off).
    #[arg(long, env = "PROPDESK_QUIET_HOURS", default_value = "21:00-08:00")]
    pub quiet_hours: String,
    /// Public HTTPS URL Telegram should post updates to (webhook mode).
    #[arg(long, requires = "listen")]
    pub webhook_url: Option<url::Url>,
    /// Address to listen on in webhook mode, e.g. 0.0.0.0:8443.
    #[arg(long, requires = "webhook_url")]
    pub listen: Option<std::net::SocketAddr>,
}

fn parse_hhmm(s: &str) -> Result<chrono::NaiveTime, String> {
    chrono::NaiveTime::parse_from_str(s, "%H:%M")
        .map_err(|_| format!("{s:?} is not a time like 10:00"))
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
    #[arg(long, env = "PROPDESK_DIALOGUES", default_value = "./dialogues")]
    pub dialogues: PathBuf,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LangArg {
    Zh,
    En,
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
        #[arg(long, env = "PROPDESK_TIMEZONE", default_value = "Asia/Shanghai")]
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

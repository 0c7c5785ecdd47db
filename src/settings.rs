//! The process settings: every flag of `propdesk serve` with its environment
//! variable and its default, stated once in the clap attributes below
//! (names as in DESIGN.md's contracts). [`Settings::defaults`] gives the
//! same defaults to code that needs them without a command line (tests,
//! benches, the console); `app::ServeSettings::from_settings` turns them
//! into what `serve` runs with. What a manager changes while the bot runs
//! is not here but in the database (`domain::office_settings`).

use std::path::PathBuf;

use clap::{Args, FromArgMatches};

/// The dialogue folder when neither flag nor `PROPDESK_DIALOGUES` says.
pub const DEFAULT_DIALOGUES: &str = "./dialogues";
/// The estate's time zone when neither flag nor `PROPDESK_TIMEZONE` says.
pub const DEFAULT_TIMEZONE: &str = "Asia/Shanghai";
/// The log filter when neither `--log` nor `RUST_LOG` says.
pub const DEFAULT_LOG: &str = "info,sqlx=warn";

/// Variables earlier versions read that are office settings now; `serve`
/// warns if one is still set, so a value does not silently stop counting.
pub const RETIRED: &[(&str, &str)] = &[
    ("PROPDESK_QUIET_HOURS", "quiet_hours"),
    ("PROPDESK_REMINDER_DAY", "reminder_day"),
    ("PROPDESK_REMINDER_TIME", "reminder_time"),
];

/// What `propdesk serve` says when it has no bot token.
pub const NO_TOKEN: &str = "no bot token: `propdesk serve` needs one.\n  \
     Get it from @BotFather in Telegram (send /newbot, pick a name; it answers with a token like 123456:ABC-DEF…),\n  \
     then put it in TELOXIDE_TOKEN (export TELOXIDE_TOKEN=…) or pass --token.\n  \
     To try propdesk without Telegram or a token first, run `propdesk demo`.";

impl Secret {
    /// Whether no secret was given at all.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.trim().is_empty()
    }
}

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

/// Everything `propdesk serve` reads from its flags and environment.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    #[command(flatten)]
    pub db: DbArgs,
    /// The bot token from @BotFather (`propdesk demo` needs none).
    // Not `required`: without it `serve` says how to get one (NO_TOKEN)
    // instead of clap's bare "argument missing".
    #[arg(
        long,
        env = "TELOXIDE_TOKEN",
        hide_env_values = true,
        default_value = "",
        hide_default_value = true
    )]
    pub token: Secret,
    /// Another Bot API server (default: Telegram's).
    #[arg(long, env = "TELOXIDE_API_URL")]
    pub api_url: Option<url::Url>,
    /// The staff group's chat id (ticket cards, digests).
    #[arg(long, env = "PROPDESK_STAFF_CHAT_ID", allow_hyphen_values = true)]
    pub staff_chat_id: Option<i64>,
    /// The estate's time zone.
    #[arg(long, env = "PROPDESK_TIMEZONE", default_value = DEFAULT_TIMEZONE)]
    pub timezone: chrono_tz::Tz,
    /// Dialogue folder.
    #[arg(long, env = "PROPDESK_DIALOGUES", default_value = DEFAULT_DIALOGUES)]
    pub dialogues: PathBuf,
    /// Processor workers (chats handled in parallel).
    #[arg(long, env = "PROPDESK_WORKERS", default_value_t = 8)]
    pub workers: usize,
    /// Messages per second overall (default: Telegram's limit).
    #[arg(long, env = "PROPDESK_RATE_PER_SEC",
          default_value_t = crate::sender::limits::RateLimits::default().global_per_sec)]
    pub rate_per_sec: u32,
    /// Messages per second to one private chat (default: Telegram's limit;
    /// raised only against a local Bot API server or the stand-in).
    #[arg(long, env = "PROPDESK_PRIVATE_RATE_PER_SEC", value_parser = positive_rate,
          default_value_t = crate::sender::limits::RateLimits::default().private_per_sec)]
    pub private_rate_per_sec: f64,
    /// The office duty phone, shown at once for emergencies.
    #[arg(long, env = "PROPDESK_DUTY_PHONE", default_value = "0755-8888 0000")]
    pub duty_phone: String,
    /// Hours an unfinished dialogue is kept before it expires.
    #[arg(long, env = "PROPDESK_DRAFT_TTL_HOURS", default_value_t = 24)]
    pub draft_ttl_hours: u32,
    /// Public HTTPS URL Telegram should post updates to (webhook mode).
    #[arg(long, env = "PROPDESK_WEBHOOK_URL", requires = "listen")]
    pub webhook_url: Option<url::Url>,
    /// Address to listen on in webhook mode, e.g. 0.0.0.0:8443.
    #[arg(long, env = "PROPDESK_LISTEN", requires = "webhook_url")]
    pub listen: Option<std::net::SocketAddr>,
    /// Address for /healthz and /metrics, e.g. 127.0.0.1:9090 (webhook mode
    /// serves them on --listen as well).
    #[arg(long, env = "PROPDESK_METRICS_LISTEN")]
    pub metrics_listen: Option<std::net::SocketAddr>,
    /// Messages one person may send per minute in a private chat; past it
    /// they get one slow-down notice and the rest are dropped unanswered.
    #[arg(long, env = "PROPDESK_INBOUND_PER_MINUTE", default_value_t = 20)]
    pub inbound_per_minute: u32,
}

/// A rate above zero and finite (the limiter divides by it).
fn positive_rate(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate > 0.0 => Ok(rate),
        _ => Err(format!("{text:?} is not a rate above zero")),
    }
}

impl Settings {
    /// The defaults, from the same attributes as the command line, with the
    /// environment ignored (a test must not pick up the shell's token or
    /// database) and an empty token.
    #[must_use]
    pub fn defaults() -> Settings {
        let command = Settings::augment_args(clap::Command::new("serve"))
            .mut_args(|a| a.env(None::<&'static str>))
            .no_binary_name(true);
        let parsed = command
            .try_get_matches_from(["--token", ""])
            .map_err(|e| e.to_string())
            .and_then(|m| Settings::from_arg_matches(&m).map_err(|e| e.to_string()));
        match parsed {
            Ok(settings) => settings,
            // The attributes are compiled in; the unit test below parses them.
            Err(e) => unreachable!("the serve flags have no defaults: {e}"),
        }
    }

    /// Logs a warning for each retired variable still set.
    pub fn warn_retired() {
        for (var, key) in RETIRED {
            if std::env::var_os(var).is_some() {
                tracing::warn!(
                    "{var} is no longer read: quiet hours and reminder times are office settings \
                     now (`propdesk settings set {key} VALUE`, or /settings in Telegram)"
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use clap::{CommandFactory, Parser};

    use super::*;
    use crate::config::Cli;

    /// Every environment variable any command reads, with its flag.
    fn env_vars(command: &clap::Command, out: &mut BTreeSet<(String, String)>) {
        for arg in command.get_arguments() {
            if let Some(env) = arg.get_env() {
                let flag = arg
                    .get_long()
                    .map_or_else(|| arg.get_id().to_string(), |l| format!("--{l}"));
                out.insert((env.to_string_lossy().into_owned(), flag));
            }
        }
        for sub in command.get_subcommands() {
            env_vars(sub, out);
        }
    }

    #[test]
    fn serve_without_a_token_parses_and_the_token_is_empty() {
        let cli = Cli::try_parse_from(["propdesk", "serve"]).expect("serve parses without a token");
        let crate::config::Command::Serve(s) = cli.command else {
            panic!("not serve")
        };
        // The environment may hold a token; the flag-less default is empty.
        if std::env::var_os("TELOXIDE_TOKEN").is_none() {
            assert!(s.token.is_empty());
        }
        for needle in ["@BotFather", "TELOXIDE_TOKEN", "propdesk demo"] {
            assert!(NO_TOKEN.contains(needle), "{needle}");
        }
    }

    #[test]
    fn the_defaults_come_from_the_flag_attributes() {
        let s = Settings::defaults();
        assert_eq!(s.workers, 8);
        assert_eq!(s.timezone, chrono_tz::Asia::Shanghai);
        assert_eq!(s.dialogues, PathBuf::from(DEFAULT_DIALOGUES));
        assert_eq!(s.draft_ttl_hours, 24);
        assert_eq!(s.rate_per_sec, 30);
        assert_eq!(s.inbound_per_minute, 20);
        assert!(s.metrics_listen.is_none());
        assert!(s.webhook_url.is_none() && s.api_url.is_none());
    }

    #[test]
    fn every_serve_flag_has_an_environment_variable() {
        let cli = Cli::command();
        let serve = cli.find_subcommand("serve").expect("serve");
        for arg in serve.get_arguments() {
            if matches!(arg.get_id().as_str(), "help" | "version") {
                continue;
            }
            assert!(
                arg.get_env().is_some(),
                "--{} has no environment variable",
                arg.get_id()
            );
        }
        // The global --log flag is RUST_LOG.
        let log = cli
            .get_arguments()
            .find(|a| a.get_id() == "log")
            .expect("--log");
        assert_eq!(log.get_env().and_then(|e| e.to_str()), Some("RUST_LOG"));
    }

    #[test]
    fn the_readme_settings_table_lists_every_variable_and_only_those() {
        let readme = include_str!("../README.md");
        let section = readme
            .split("## Settings")
            .nth(1)
            .and_then(|s| s.split("\n## ").next())
            .expect("README has a Settings section");
        let table = section
            .split("### Office settings")
            .next()
            .unwrap_or(section);
        let mut listed = BTreeSet::new();
        for line in table.lines().filter(|l| l.starts_with("| `")) {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let var = cells[1].trim_matches('`').to_string();
            let flag = cells[2].trim_matches('`').to_string();
            listed.insert((var, flag));
        }
        let mut wanted = BTreeSet::new();
        env_vars(&Cli::command(), &mut wanted);
        // `propdesk check [DIR]` reads the same variable as --dialogues.
        wanted.retain(|(var, flag)| !(var == "PROPDESK_DIALOGUES" && flag == "dir"));
        assert_eq!(listed, wanted, "README.md's settings table vs the flags");
        for (var, _) in RETIRED {
            assert!(!table.contains(var), "{var} is retired");
        }
    }
}

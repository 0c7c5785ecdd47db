//! Assembles the running bot: intake, processor workers, sender — one code
//! path for `propdesk serve` and the end-to-end tests.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use sqlx::PgPool;
use teloxide::prelude::*;
use teloxide::types::BotCommand;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::clock::{Clock, SystemClock};
use crate::engine::Dialogues;
use crate::i18n::Lang;
use crate::processor::{self, menu_commands, App, ProcessorSettings};
use crate::settings::{Secret, Settings};
use crate::telegram::webhook::{self, WebhookSettings};
use crate::telegram::{intake, sender, sender::SenderConfig};

/// Everything `serve` needs besides the database.
#[derive(Debug, Clone)]
pub struct ServeSettings {
    pub token: Secret,
    /// Another Bot API server (a local one, or the stand-in in tests).
    pub api_url: Option<url::Url>,
    pub processor: ProcessorSettings,
    pub sender: SenderConfig,
    pub workers: usize,
    /// getUpdates long-poll timeout in seconds.
    pub poll_timeout: u32,
    pub clock: Arc<dyn Clock>,
    /// Whether this process runs the scheduler (tests drive `scheduler::tick`
    /// themselves with the time they choose).
    pub run_scheduler: bool,
    /// Webhook mode instead of long polling.
    pub webhook: Option<WebhookSettings>,
    /// The dialogue folder; `serve` refuses to start if a file is invalid.
    pub dialogues_dir: PathBuf,
}

impl ServeSettings {
    /// What `serve` runs with for these flags and environment: the one
    /// place they are assembled.
    #[must_use]
    pub fn from_settings(s: &Settings) -> ServeSettings {
        let mut sender = SenderConfig::default();
        sender.limits.global_per_sec = s.rate_per_sec;
        ServeSettings {
            token: s.token.clone(),
            api_url: s.api_url.clone(),
            processor: ProcessorSettings::from_settings(s),
            sender,
            workers: s.workers,
            poll_timeout: 25,
            clock: Arc::new(SystemClock),
            run_scheduler: true,
            webhook: match (&s.webhook_url, s.listen) {
                (Some(url), Some(listen)) => Some(WebhookSettings {
                    url: url.clone(),
                    listen,
                }),
                _ => None,
            },
            dialogues_dir: s.dialogues.clone(),
        }
    }

    /// Every flag at its default, with `token` (tests, benches).
    #[must_use]
    pub fn new(token: impl Into<String>) -> ServeSettings {
        ServeSettings::from_settings(&Settings {
            token: Secret::new(token),
            ..Settings::defaults()
        })
    }
}

/// The teloxide bot for these settings, with an HTTP timeout longer than
/// the long poll (teloxide's default 17 s would cut a 25 s poll).
pub fn build_bot(settings: &ServeSettings) -> Result<Bot> {
    let client = teloxide::net::default_reqwest_settings()
        .timeout(Duration::from_secs(u64::from(settings.poll_timeout) + 20))
        .build()
        .context("building the HTTP client")?;
    let bot = Bot::with_client(settings.token.expose(), client);
    Ok(match &settings.api_url {
        Some(url) => bot.set_api_url(url.clone()),
        None => bot,
    })
}

/// Loads and checks the dialogue files; the error lists every problem as
/// `file:line: message`.
pub fn load_dialogues(dir: &Path) -> Result<Dialogues> {
    crate::engine::load_dir(dir).map_err(|problems| {
        let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
        anyhow::anyhow!(
            "the dialogue files in {} have problems:\n{}",
            dir.display(),
            lines.join("\n")
        )
    })
}

/// Runs the bot until `stop` fires, then lets work in flight finish.
pub async fn serve(
    pool: PgPool,
    mut settings: ServeSettings,
    stop: CancellationToken,
) -> Result<()> {
    let bot = build_bot(&settings)?;
    let me = loop {
        match bot.get_me().await {
            Ok(me) => break me,
            Err(e) => {
                tracing::warn!(error = %e, "getMe failed; is the token right and Telegram reachable?");
                tokio::select! {
                    () = stop.cancelled() => return Ok(()),
                    () = tokio::time::sleep(Duration::from_secs(2)) => {}
                }
            }
        }
    };
    tracing::info!(username = %me.username(), "connected to the Bot API");
    settings.processor.bot_username = me.username().to_string();
    register_commands(&bot).await;

    let app = Arc::new(App {
        settings: settings.processor.clone(),
        clock: settings.clock.clone(),
        dialogues: Arc::new(load_dialogues(&settings.dialogues_dir)?),
    });
    let inbox_wake = Arc::new(Notify::new());
    let outbox_wake = Arc::new(Notify::new());

    let intake = match settings.webhook.clone() {
        Some(hook) => tokio::spawn(webhook::run(
            pool.clone(),
            bot.clone(),
            hook,
            inbox_wake.clone(),
            stop.clone(),
        )),
        None => tokio::spawn(intake::run_polling(
            pool.clone(),
            bot.clone(),
            settings.poll_timeout,
            inbox_wake.clone(),
            stop.clone(),
        )),
    };
    let scheduler = if settings.run_scheduler {
        tokio::spawn(crate::scheduler::run(
            pool.clone(),
            app.clone(),
            stop.clone(),
        ))
    } else {
        tokio::spawn(async { Ok(()) })
    };
    let processor = tokio::spawn(processor::run(
        pool.clone(),
        app,
        settings.workers,
        inbox_wake,
        stop.clone(),
    ));
    let sender = tokio::spawn(sender::run(
        pool,
        bot,
        settings.sender,
        outbox_wake,
        stop.clone(),
    ));

    let mut first_error = None;
    for (name, task) in [
        ("intake", intake),
        ("processor", processor),
        ("sender", sender),
        ("scheduler", scheduler),
    ] {
        match task.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                tracing::error!(task = name, error = %format!("{e:#}"), "stopped with an error");
                stop.cancel();
                first_error.get_or_insert(e);
            }
            Err(e) => {
                stop.cancel();
                first_error.get_or_insert(anyhow::anyhow!("{name} task failed: {e}"));
            }
        }
    }
    first_error.map_or(Ok(()), Err)
}

/// setMyCommands in Chinese (the default) and English. Failure is logged,
/// not fatal: the commands still work, Telegram just does not list them.
async fn register_commands(bot: &Bot) {
    for (lang, code) in [
        (Lang::Zh, None),
        (Lang::Zh, Some("zh")),
        (Lang::En, Some("en")),
    ] {
        let commands = menu_commands(lang)
            .into_iter()
            .map(|(c, d)| BotCommand::new(c, d));
        let mut request = bot.set_my_commands(commands);
        if let Some(code) = code {
            request = request.language_code(code);
        }
        if let Err(e) = request.await {
            tracing::warn!(error = %e, ?code, "setMyCommands failed");
        }
    }
}

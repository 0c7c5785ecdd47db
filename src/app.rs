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
use crate::config::Secret;
use crate::engine::Dialogues;
use crate::i18n::Lang;
use crate::processor::{self, menu_commands, App, ProcessorSettings};
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
    #[must_use]
    pub fn new(token: impl Into<String>) -> ServeSettings {
        ServeSettings {
            token: Secret::new(token),
            api_url: None,
            processor: ProcessorSettings::default(),
            sender: SenderConfig::default(),
            workers: 8,
            poll_timeout: 25,
            clock: Arc::new(SystemClock),
            run_scheduler: true,
            webhook: None,
            dialogues_dir: PathBuf::from("./dialogues"),
        }
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

/// Loads and checks `dir/texts.toml` and installs it as the catalogue every
/// text is read from; the error lists every problem as `file:line: message`.
pub fn load_texts(dir: &Path) -> Result<()> {
    let catalogue = crate::texts::load(dir).map_err(|problems| {
        let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
        anyhow::anyhow!(
            "the text catalogue in {} has problems:\n{}",
            dir.display(),
            lines.join("\n")
        )
    })?;
    if !crate::texts::install(catalogue) {
        tracing::debug!("a text catalogue was installed already; keeping it");
    }
    Ok(())
}

/// Every problem of the dialogue folder — dialogue files and the text
/// catalogue — as `file:line: message`; empty when it is fine.
#[must_use]
pub fn check_dir(dir: &Path) -> Vec<String> {
    let dialogues = crate::engine::check_dir(dir);
    let texts = crate::texts::check_file(dir);
    dialogues
        .iter()
        .map(ToString::to_string)
        .chain(texts.iter().map(ToString::to_string))
        .collect()
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

    load_texts(&settings.dialogues_dir)?;
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
    let each = Lang::ALL.into_iter().map(|l| (l, Some(l.code())));
    for (lang, code) in std::iter::once((Lang::default(), None)).chain(each) {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The repository's dialogue folder copied, with `texts.toml` broken by
    /// replacing `from` with `to`.
    fn folder_with_texts(from: &str, to: &str) -> tempfile::TempDir {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("dialogues");
        let dir = tempfile::tempdir().unwrap();
        for entry in std::fs::read_dir(&repo).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|x| x == "toml") {
                let mut text = std::fs::read_to_string(&path).unwrap();
                if path.ends_with(crate::texts::FILE_NAME) {
                    assert!(text.contains(from));
                    text = text.replacen(from, to, 1);
                }
                std::fs::write(dir.path().join(path.file_name().unwrap()), text).unwrap();
            }
        }
        dir
    }

    #[test]
    fn serve_refuses_a_catalogue_with_a_missing_language() {
        let dir = folder_with_texts(
            r#"menu = { zh = "主菜单：", en = "Main menu:" }"#,
            r#"menu = { zh = "主菜单：" }"#,
        );
        let err = load_texts(dir.path()).unwrap_err().to_string();
        let file = dir.path().join("texts.toml");
        assert!(
            err.contains(&format!(
                "{}:2: missing language: `menu` has no `en` text",
                file.display()
            )),
            "{err}"
        );
        assert_eq!(
            check_dir(dir.path()).len(),
            1,
            "{:?}",
            check_dir(dir.path())
        );
    }

    #[test]
    fn serve_refuses_a_folder_without_a_catalogue() {
        let dir = folder_with_texts("", "");
        std::fs::remove_file(dir.path().join("texts.toml")).unwrap();
        let err = load_texts(dir.path()).unwrap_err().to_string();
        assert!(err.contains("cannot read the text catalogue"), "{err}");
    }

    #[test]
    fn the_repository_folder_checks_clean() {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("dialogues");
        assert_eq!(check_dir(&repo), Vec::<String>::new());
    }
}
